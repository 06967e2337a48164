/**
 * The tap's dead letters (docs/wire-format.md#tap-rules): what the broker drops from the full tap
 * queue (`x-overflow: drop-head`, reason `maxlen`) or expires there (`x-message-ttl`, reason
 * `expired`) is dead-lettered through the fanout `<queue>.dlx` into `<queue>.dropped`, and
 * counted here, so that every delivery is either persisted or dropped and counted.
 *
 * On a connection of their own: in a storm the tap's connection carries a full prefetch of
 * deliveries ahead of any reply, and the sweep's queue checks queued behind them took seconds
 * (7 s measured), long enough for `<queue>.dropped` to overflow uncounted.
 *
 * Bounded on both sides:
 * - the worker: dead letters are consumed with a bounded prefetch and
 *   acked one by one, so the broker never pushes more than `prefetch` of them at a time, however
 *   many are dropped (a noAck consumer would take them as fast as the broker sends them);
 * - the broker: `<queue>.dropped` is bounded (`x-max-length`, at least as long as the tap queue)
 *   and swept every `sweepMs`: when more than `purgeAt` wait (a storm), they are purged in one
 *   call and the purged count is counted as dropped (reason `purged`: read in bulk, not one by
 *   one). A dead letter is counted once: a purge removes only messages not yet delivered, and
 *   those delivered to the consumer are counted when they arrive.
 *
 * What is not counted: dead letters past `<queue>.dropped`'s own bound between two sweeps (more
 * than the bound in `sweepMs`), and those held when the connection drops (the exclusive queue
 * goes with it; the disconnection is recorded as a tap gap anyway).
 */
import amqp, { type Channel, type ChannelModel } from 'amqplib';

/** How dead letters are counted; every field has a default. */
export interface DeadLetterOptions {
  /** amqp URL of the tap (the same user: configure, write and read on `^l2scope\.tap\.`). */
  url: string;
  /** Dead letters delivered unacked at a time (default 200). */
  prefetch?: number;
  /** x-max-length of `<queue>.dropped` (default: the tap queue's, at least 100,000). */
  maxLength: number;
  /** Milliseconds between two sweeps of `<queue>.dropped` (default 1,000). */
  sweepMs?: number;
  /** A sweep purges `<queue>.dropped` when at least this many wait (default 1,000). */
  purgeAt?: number;
  /** Called per dead letter consumed (`count` 1, reason `maxlen`, `expired`...) and per purge (`count` purged, reason `purged`). */
  onDropped: (reason: string, count: number) => void;
  log: (line: string) => void;
}

/**
 * The smallest bound of `<queue>.dropped` (the default tap queue's). With 10,000, a storm of
 * 20,000 onto a tap queue of 1,000 left 4,702 deliveries uncounted under a load average of 48,
 * most likely dead letters past that bound while the starved worker swept late.
 */
export const MIN_DEAD_LETTER_BOUND = 100_000;

/** The dead-letter exchange and queue of one tap queue, and their consumer and sweeper. */
export class DeadLetters {
  /** Name of the dead-letter exchange (fanout): `<queue>.dlx`. */
  readonly exchange: string;
  /** Name of the dead-letter queue: `<queue>.dropped`. */
  readonly queue: string;
  private sweeper: NodeJS.Timeout | null = null;
  private sweeping = false;
  private stopped = false;
  private conn: ChannelModel | null = null;
  private connecting: Promise<void> | null = null;
  private retry: NodeJS.Timeout | null = null;
  private consumedCount = 0;
  private purgedCount = 0;

  constructor(
    tapQueue: string,
    private readonly opts: DeadLetterOptions,
  ) {
    this.exchange = `${tapQueue}.dlx`;
    this.queue = `${tapQueue}.dropped`;
  }

  /** Dead letters consumed and counted one by one since the tap started. */
  get consumed(): number {
    return this.consumedCount;
  }

  /** Dead letters purged (and counted) in bulk since the tap started. */
  get purged(): number {
    return this.purgedCount;
  }

  /**
   * Make sure the dead-letter connection is up, with the exchange and the bounded queue declared
   * (before the tap queue that names the exchange as its `x-dead-letter-exchange`), the consumer
   * and the sweeper running. Called on every (re)connection of the tap; a no-op while its own
   * connection stands. Lost on its own, that connection is opened again by itself (backoff 1 s
   * doubling to 30 s), without touching the tap: closing the tap's connection would delete its
   * exclusive queue, and every message in it, for the sake of counting drops.
   * @throws the broker's error (e.g. connection refused, 403 without configure permission on `^l2scope\.tap\.`)
   */
  setup(): Promise<void> {
    if (this.conn) return Promise.resolve();
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(): Promise<void> {
    const conn = await amqp.connect(this.opts.url, { clientProperties: { connection_name: `${this.queue} (l2scope tap dead letters)` } });
    try {
      conn.on('error', (err: Error) => this.opts.log(`tap: dead-letter connection error: ${err.message}`));
      const ch = await conn.createChannel();
      ch.on('error', (err: Error) => this.opts.log(`tap: dead-letter channel error: ${err.message}`));
      await ch.assertExchange(this.exchange, 'fanout', { durable: false, autoDelete: true });
      await ch.assertQueue(this.queue, {
        exclusive: true,
        autoDelete: true,
        durable: false,
        arguments: { 'x-max-length': Math.max(this.opts.maxLength, MIN_DEAD_LETTER_BOUND), 'x-overflow': 'drop-head' },
      });
      await ch.bindQueue(this.queue, this.exchange, '');
      await ch.prefetch(this.opts.prefetch ?? 200);
      await ch.consume(this.queue, (msg) => {
        if (!msg) return; // cancelled: the channel closes next
        this.consumedCount++;
        this.opts.onDropped(String(msg.properties.headers?.['x-first-death-reason'] ?? 'unknown'), 1);
        try {
          ch.ack(msg);
        } catch {
          // channel already gone
        }
      });
      ch.on('close', () => {
        this.stopSweeping();
        this.conn = null;
        conn.close().catch(() => {});
        if (this.stopped) return;
        // the queue and the auto-delete exchange went with it: drops are lost uncounted until it is back
        this.opts.log('tap: the dead-letter connection closed: drops are not counted until it is open again');
        this.reopen(1_000);
      });
      this.conn = conn;
      this.sweeper = setInterval(() => void this.sweep(ch), this.opts.sweepMs ?? 1_000);
      this.sweeper.unref();
    } catch (err) {
      await conn.close().catch(() => {});
      throw err;
    }
  }

  /** Open the dead-letter connection again in `delayMs`, doubling the delay (to 30 s) while it fails. */
  private reopen(delayMs: number): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.setup().then(
        () => this.opts.log('tap: the dead-letter connection is open again: drops are counted'),
        (err: unknown) => {
          this.opts.log(`tap: opening the dead-letter connection failed: ${(err as Error).message}`);
          this.reopen(Math.min(delayMs * 2, 30_000));
        },
      );
    }, delayMs);
    this.retry.unref();
  }

  /** Purge `<queue>.dropped` if at least `purgeAt` dead letters wait; counts what was purged. */
  private async sweep(ch: Channel): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const { messageCount } = await ch.checkQueue(this.queue);
      if (messageCount < (this.opts.purgeAt ?? 1_000)) return;
      const { messageCount: purged } = await ch.purgeQueue(this.queue);
      if (purged === 0) return;
      this.purgedCount += purged;
      this.opts.onDropped('purged', purged);
      this.opts.log(`tap: ${purged} dead letters piled up (a storm): purged and counted as dropped`);
    } catch (err) {
      this.opts.log(`tap: sweeping the dead letters failed: ${(err as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }

  /** Stop for good: no more sweeps, the dead-letter connection closed (its exclusive queue goes with it). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopSweeping();
    if (this.retry) clearTimeout(this.retry);
    await this.connecting?.catch(() => {});
    await this.conn?.close().catch(() => {});
    this.conn = null;
  }

  private stopSweeping(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }
}
