/**
 * The live AMQP tap (docs/wire-format.md#tap-rules): one exclusive, auto-delete, bounded queue
 * (`x-max-length` + `x-overflow: drop-head` + `x-message-ttl`) bound to the l2pop fanout
 * exchange, to `neutron` with `q-agent-notifier-l2population-update.#` and `q-reports-plugin`
 * (optionally the rest of Neutron's agent RPC). It never redeclares Neutron's exchanges with
 * other flags: they are checked passively, and only declared (with oslo's exact flags) when
 * `declareExchanges` is set; missing ones are retried until Neutron creates them.
 * Messages the broker drops (queue full) or expires are dead-lettered to a second bounded
 * queue of the tap's own and counted ({@link DeadLetters}: consumed with a bounded prefetch,
 * purged and counted in bulk when they pile up in a storm). Reconnects with exponential backoff (amqplib recovery);
 * each disconnection is reported as a gap. Acks only after the pipeline persisted the message.
 *
 * Its consume callback never throws (docs/wire-format.md#poison-input): a synchronous throw there
 * would make amqplib close the connection, and the exclusive queue would be deleted with every
 * message behind it. A delivery whose handler throws or rejects is logged, counted
 * ({@link AmqpTap.deliveryFailures}) and acked, so it can neither loop nor pin a prefetch slot.
 *
 * Least privilege: configure/write on `^l2scope\.tap\.` names, read on those and on the
 * Neutron exchanges (see README "Tapping a real cloud").
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage, type RecoveringChannelModel } from 'amqplib';
import { type AmqpProperties, type ExchangeSpec, type TapBinding, tapBindings } from '@l2scope/domain';
import { DeadLetters } from './dead-letters';
import type { Delivery } from './delivery';

export interface TapOptions {
  url: string;
  /** What to bind (default: Neutron's l2pop + report_state, see `tapBindings`). */
  bindings?: TapBinding[];
  /** Queue name prefix (default `l2scope.tap`); must match the user's configure permission. */
  queuePrefix?: string;
  /**
   * A stable queue name (`--tap-queue`, e.g. `l2scope.tap.worker1`): the queue is not exclusive and
   * outlives the worker by `queueExpiresMs` (`x-expires`), so after a crash or restart the broker
   * redelivers what was not acked and keeps what arrived meanwhile (no gap); the store skips
   * redeliveries already committed (delivery identity). Default: a fresh exclusive queue per run.
   */
  queueName?: string;
  /** x-expires of a stable queue (ms, default 1 h): it is deleted after that long without a consumer. */
  queueExpiresMs?: number;
  allRpc?: boolean;
  declareExchanges?: boolean;
  /**
   * Check every poll that the bound exchanges still exist; one deleted under the tap (its bindings
   * go with it) is logged, declared again when `declareExchanges` is set, and bound again.
   */
  watchExchanges?: boolean;
  durableExchanges?: boolean;
  /** x-max-length of the tap queue (messages). */
  maxLength?: number;
  /** x-message-ttl of the tap queue (ms). */
  messageTtlMs?: number;
  prefetch?: number;
  /** Count broker-side drops and expiries through a dead-letter queue (default true). */
  countDrops?: boolean;
  /** Dead letters in flight to the worker at a time (default 200, see {@link DeadLetters}). */
  deadLetterPrefetch?: number;
  /** Milliseconds between two checks of the dead-letter queue's depth (default 1,000). */
  deadLetterSweepMs?: number;
  /** Dead letters waiting that make a check purge (and count) them all at once (default 1,000). */
  deadLetterPurgeAt?: number;
  /** Seconds between checks for missing exchanges and of the queue depth. */
  pollSeconds?: number;
  onDelivery: (d: Delivery) => Promise<void>;
  onConnected?: () => void;
  onDisconnected?: (err: Error) => void;
  /** Messages the broker dropped (`maxlen`) or expired (`expired`), one by one, or `count` purged at once (`purged`). */
  onDropped?: (reason: string, count: number) => void;
  onStatus?: (s: { missingExchanges: string[]; deniedExchanges: string[]; queueDepth: number | null }) => void;
  log?: (line: string) => void;
}

const PROPERTY_KEYS = [
  'contentType',
  'contentEncoding',
  'headers',
  'deliveryMode',
  'priority',
  'expiration',
  'messageId',
  'correlationId',
  'replyTo',
  'timestamp',
  'type',
  'userId',
  'appId',
] as const;

/** amqplib message properties without the unset ones. */
export function pickProperties(p: ConsumeMessage['properties']): AmqpProperties {
  const out: Record<string, unknown> = {};
  for (const k of PROPERTY_KEYS) if (p[k] !== undefined && p[k] !== null) out[k] = p[k];
  return out as AmqpProperties;
}

/** The AMQP reply code of a channel/connection error (404 NOT_FOUND, 403 ACCESS_REFUSED, 406 PRECONDITION_FAILED...). */
function amqpCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: number }).code : undefined;
}

/** A running tap; `close()` stops it (a fresh exclusive queue is deleted with the connection; a stable one stays until `x-expires`). */
export class AmqpTap {
  readonly queue: string;
  private conn: RecoveringChannelModel | null = null;
  private poll: NodeJS.Timeout | null = null;
  private missing: string[] = [];
  private denied: string[] = [];
  private queueDepth: number | null = null;
  private stopped = false;
  private connectCount = 0;
  private failures = 0;
  private readonly bindings: TapBinding[];
  private readonly log: (line: string) => void;
  private readonly dead: DeadLetters | null;

  constructor(private readonly opts: TapOptions) {
    this.queue = opts.queueName ?? `${opts.queuePrefix ?? 'l2scope.tap'}.${os.hostname()}.${process.pid}.${randomBytes(3).toString('hex')}`;
    this.bindings = opts.bindings ?? tapBindings({ allRpc: opts.allRpc ?? false, durableExchanges: opts.durableExchanges ?? false });
    this.log = opts.log ?? (() => {});
    this.dead =
      (opts.countDrops ?? true)
        ? new DeadLetters(this.queue, {
            url: opts.url,
            maxLength: opts.maxLength ?? 100_000,
            prefetch: opts.deadLetterPrefetch,
            sweepMs: opts.deadLetterSweepMs,
            purgeAt: opts.deadLetterPurgeAt,
            onDropped: (reason, count) => this.opts.onDropped?.(reason, count),
            log: this.log,
          })
        : null;
  }

  /** Dead letters counted since the tap started: one by one (`consumed`) and purged in bulk (`purged`); null without `countDrops`. */
  get deadLetters(): { consumed: number; purged: number } | null {
    return this.dead && { consumed: this.dead.consumed, purged: this.dead.purged };
  }

  /** How many times the tap has set up its queue and consumer: 1 after `start`, one more per reconnect. */
  get connects(): number {
    return this.connectCount;
  }

  /** Deliveries whose handler threw or rejected (acked anyway, see the class comment). */
  get deliveryFailures(): number {
    return this.failures;
  }

  /** Connect (retrying with backoff until the broker answers) and start consuming. */
  async start(): Promise<void> {
    this.conn = await amqp.connect(this.opts.url, {
      recovery: {
        initialDelay: 500,
        maxDelay: 30_000,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.setup(model),
      },
    });
    this.conn.on('connect', () => this.opts.onConnected?.());
    this.conn.on('disconnect', (err: Error) => {
      this.clearPoll();
      this.opts.onDisconnected?.(err);
    });
    this.conn.on('connect-failed', (err: Error) => this.log(`tap: connection attempt failed: ${err.message}`));
    this.conn.on('error', (err: Error) => this.log(`tap: connection error: ${err.message}`));
    await this.conn.waitForConnect();
  }

  /**
   * Bind the tap queue to every binding of `only` (default: all), each exchange on a channel of
   * its own, because the broker closes a channel on 404 (exchange missing) and 403 (no read
   * permission). Missing exchanges are declared with oslo's flags when `declareExchanges` is set.
   * @returns the exchanges that do not exist (retried later) and those the user may not read (reported, not retried)
   */
  /** The missing exchanges to report: not the optional ones (TapBinding.optional), which are still bound once they appear. */
  private reportedMissing(): string[] {
    const optional = new Set(this.bindings.filter((b) => b.optional).map((b) => b.exchange.name));
    return this.missing.filter((name) => !optional.has(name));
  }

  private async bindAll(model: ChannelModel, only?: string[]): Promise<{ missing: string[]; denied: string[] }> {
    const byExchange = new Map<string, { spec: ExchangeSpec; keys: string[] }>();
    for (const b of this.bindings) {
      if (only && !only.includes(b.exchange.name)) continue;
      const e = byExchange.get(b.exchange.name) ?? { spec: b.exchange, keys: [] };
      e.keys.push(b.routingKey);
      byExchange.set(b.exchange.name, e);
    }
    const missing: string[] = [];
    const denied: string[] = [];
    for (const { spec, keys } of byExchange.values()) {
      let ch = await this.scratchChannel(model);
      try {
        await ch.checkExchange(spec.name);
      } catch (err) {
        if (amqpCode(err) !== 404) throw err;
        if (!this.opts.declareExchanges) {
          missing.push(spec.name);
          continue;
        }
        ch = await this.scratchChannel(model);
        try {
          await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
        } catch (e) {
          if (amqpCode(e) !== 403) throw e;
          // no configure permission on it: wait for an admin (or another worker) to declare it
          missing.push(spec.name);
          continue;
        }
      }
      try {
        for (const key of keys) await ch.bindQueue(this.queue, spec.name, key);
        await ch.close();
      } catch (err) {
        const code = amqpCode(err);
        if (code === 403) denied.push(spec.name);
        else if (code === 404)
          missing.push(spec.name); // deleted in between (auto-delete fanout)
        else throw err;
      }
    }
    return { missing, denied };
  }

  private async scratchChannel(model: ChannelModel): Promise<Channel> {
    const ch = await model.createChannel();
    ch.on('error', () => {});
    return ch;
  }

  private async setup(model: ChannelModel): Promise<void> {
    const ch = await model.createChannel();
    ch.on('error', (err: Error) => this.log(`tap: channel error: ${err.message}`));
    ch.on('close', () => {
      // an unexpected channel close (queue deleted, permission change...): rebuild everything
      if (!this.stopped) model.close().catch(() => {});
    });
    // the dead-letter exchange first: the tap queue names it
    await this.dead?.setup();
    const stable = this.opts.queueName !== undefined;
    await ch.assertQueue(this.queue, {
      exclusive: !stable,
      autoDelete: !stable,
      durable: false,
      arguments: {
        ...(stable ? { 'x-expires': this.opts.queueExpiresMs ?? 3_600_000 } : {}),
        'x-max-length': this.opts.maxLength ?? 100_000,
        'x-overflow': 'drop-head',
        'x-message-ttl': this.opts.messageTtlMs ?? 600_000,
        ...(this.dead ? { 'x-dead-letter-exchange': this.dead.exchange } : {}),
      },
    });
    ({ missing: this.missing, denied: this.denied } = await this.bindAll(model));
    if (this.missing.length) this.log(`tap: waiting for exchanges to appear: ${this.missing.join(', ')}`);
    if (this.denied.length) this.log(`tap: no read permission on (not tapped): ${this.denied.join(', ')}`);
    await ch.prefetch(this.opts.prefetch ?? 2000);
    await ch.consume(this.queue, (msg) => {
      if (!msg) {
        // consumer cancelled by the broker
        model.close().catch(() => {});
        return;
      }
      const ack = () => {
        try {
          ch.ack(msg);
        } catch {
          // channel already gone: the exclusive queue went with it
        }
      };
      const failed = (err: unknown) => {
        this.failures++;
        this.log(`tap: delivery failed (acked, not stored): ${String(err).slice(0, 300)}`);
        ack();
      };
      try {
        const delivery: Delivery = {
          receivedAt: Date.now(),
          exchange: msg.fields.exchange,
          routingKey: msg.fields.routingKey,
          properties: pickProperties(msg.properties),
          body: new Uint8Array(msg.content.buffer, msg.content.byteOffset, msg.content.byteLength),
          source: 'amqp',
          redelivered: msg.fields.redelivered,
        };
        this.opts.onDelivery(delivery).then(ack, failed);
      } catch (err) {
        failed(err);
      }
    });
    this.connectCount++;
    this.startPoll(model, ch);
    this.opts.onStatus?.({ missingExchanges: this.reportedMissing(), deniedExchanges: this.denied, queueDepth: 0 });
  }

  private startPoll(model: ChannelModel, ch: Channel): void {
    this.clearPoll();
    const every = (this.opts.pollSeconds ?? 10) * 1000;
    this.poll = setInterval(() => {
      void (async () => {
        try {
          const q = await ch.checkQueue(this.queue);
          this.queueDepth = q.messageCount;
          if (this.opts.watchExchanges) await this.rebindDeleted(model);
          if (this.missing.length) {
            const before = this.missing.length;
            const late = await this.bindAll(model, this.missing);
            this.missing = late.missing;
            this.denied = [...new Set([...this.denied, ...late.denied])];
            if (this.missing.length < before) this.log(`tap: bound late exchanges; still missing: ${this.missing.join(', ') || 'none'}`);
          }
          this.opts.onStatus?.({ missingExchanges: this.reportedMissing(), deniedExchanges: this.denied, queueDepth: this.queueDepth });
        } catch (err) {
          this.log(`tap: poll failed: ${(err as Error).message}`);
        }
      })();
    }, every);
    this.poll.unref();
  }

  /** Bind again (declaring first, when allowed) every bound exchange that no longer exists. */
  private async rebindDeleted(model: ChannelModel): Promise<void> {
    const names = [...new Set(this.bindings.map((b) => b.exchange.name))].filter((n) => !this.missing.includes(n) && !this.denied.includes(n));
    const gone: string[] = [];
    for (const name of names) {
      const ch = await this.scratchChannel(model);
      try {
        await ch.checkExchange(name);
        await ch.close();
      } catch (err) {
        if (amqpCode(err) !== 404) throw err;
        gone.push(name);
      }
    }
    if (gone.length === 0) return;
    this.log(
      `tap: exchange(s) ${gone.join(', ')} deleted under the tap (bindings lost): ${this.opts.declareExchanges ? 'declaring and binding again' : 'waiting for them to appear'}`,
    );
    const again = await this.bindAll(model, gone);
    this.missing = [...new Set([...this.missing, ...again.missing])];
    this.denied = [...new Set([...this.denied, ...again.denied])];
    const bound = gone.filter((n) => !again.missing.includes(n) && !again.denied.includes(n));
    if (bound.length) this.log(`tap: bound ${bound.join(', ')} again`);
  }

  private clearPoll(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }

  /** Stop consuming and close the connection; a fresh queue goes with it, a stable one waits for the next run (`x-expires`). */
  async close(): Promise<void> {
    this.stopped = true;
    this.clearPoll();
    await this.dead?.stop();
    await this.conn?.close().catch(() => {});
  }
}
