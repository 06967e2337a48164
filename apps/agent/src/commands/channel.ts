/**
 * The agent's command channel (toggle/command.ts `COMMAND_WIRE`): on the agent's own broker
 * connection (the publisher's), a channel that passive-checks `l2scope.command` (the worker
 * declares it), declares the agent's own queue `l2scope.command.<host>` (exclusive, at most 100
 * messages, each dropped after 60 s: commands expire anyway), binds it with the key `<host>` only
 * (the agent's topic permission allows no other) and consumes it, 8 unacknowledged at most.
 *
 * Each body goes through `readCommand` (size, signature, schema, host, lifetime, expiry, replay),
 * one at a time; then one action runs at a time (a command arriving meanwhile is refused `busy`).
 * Every outcome is a {@link CommandReply} on `l2scope.node` with `reply.<host>` (through the
 * publisher: confirm channel, `user_id`), a log line, and a count in the status file. A read-only
 * agent (no public key) consumes and refuses everything `read_only`.
 */
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { COMMAND_REFUSAL_REASONS, COMMAND_WIRE, type AgentCommand, type CommandRefusalReason, type CommandReply } from '@l2scope/domain';
import { type Log, errLine } from '../log';
import type { CommandStatus } from '../status';
import type { CommandActions } from './actions';
import type { ReplayCache } from './replay-cache';
import { type CommandKey, type CommandLabel, labelOf, readCommand } from './verify';

/** Most messages in the agent's command queue (`x-max-length`). */
export const COMMAND_QUEUE_MAX = 100;
/** Per-message TTL of the command queue (ms): a command lives 60 s at most. */
export const COMMAND_QUEUE_TTL_MS = 60_000;

/** Options of {@link CommandChannel}. */
export interface CommandChannelOptions {
  host: string;
  /** the worker's public key; null: read-only */
  key: CommandKey | null;
  /** null only when read-only */
  actions: CommandActions | null;
  /** null only when read-only */
  replay: ReplayCache | null;
  log: Log;
  /** publish one reply (confirm channel); resolves false when it was not confirmed */
  publishReply: (r: CommandReply) => Promise<boolean>;
  /** the counts changed (for the status file) */
  onStatus?: (s: CommandStatus) => void;
  /** the current connection, to tell whether a retry is still worth it */
  currentModel: () => ChannelModel | null;
  now?: () => number;
  /** first delay before a new attempt after the channel failed (ms, default 5000; doubles up to 60 s) */
  retryMs?: number;
}

/** The agent's consumer of signed commands. */
export class CommandChannel {
  readonly status: CommandStatus;
  private ch: Channel | null = null;
  private running: Promise<void> | null = null;
  private intake: Promise<void> = Promise.resolve();
  private replies: Promise<unknown> = Promise.resolve();
  private retry: NodeJS.Timeout | null = null;
  private closed = false;
  private model: ChannelModel | null = null;
  private attaching: ChannelModel | null = null;
  private retryDelay = 0;
  private lastFailure = '';

  constructor(private readonly o: CommandChannelOptions) {
    this.status = { readOnly: o.key === null, listening: false, accepted: 0, done: 0, failed: 0, refused: {}, lastAt: null };
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** Whether an action runs now. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** The action running now, if any (tests and stop wait on it). */
  get current(): Promise<void> | null {
    return this.running;
  }

  /**
   * Open the channel on a (new) connection: passive-check the exchange, declare and bind the queue,
   * consume. A failure (no exchange yet, no permission) is logged and retried while the connection
   * lasts; it never affects snapshots. Never throws.
   */
  async attach(model: ChannelModel): Promise<void> {
    if (this.closed || this.attaching === model || (this.ch && this.model === model)) return;
    this.attaching = model;
    try {
      await this.open(model);
    } finally {
      this.attaching = null;
    }
  }

  private async open(model: ChannelModel): Promise<void> {
    this.model = model;
    const queue = COMMAND_WIRE.queue(this.o.host);
    let ch: Channel | null = null;
    try {
      ch = await model.createChannel();
      ch.on('error', (err: Error) => {
        if (!this.closed) this.o.log(`commands: channel error: ${errLine(err)}`);
      });
      ch.on('close', () => {
        if (this.ch === ch) {
          this.ch = null;
          this.setListening(false);
        }
        this.scheduleRetry();
      });
      await ch.checkExchange(COMMAND_WIRE.exchange);
      await ch.assertQueue(queue, {
        exclusive: true,
        durable: false,
        autoDelete: true,
        arguments: { 'x-max-length': COMMAND_QUEUE_MAX, 'x-message-ttl': COMMAND_QUEUE_TTL_MS },
      });
      await ch.bindQueue(queue, COMMAND_WIRE.exchange, COMMAND_WIRE.routingKey(this.o.host));
      await ch.prefetch(8);
      await ch.consume(queue, (m) => this.onMessage(ch!, m), { noAck: false });
      this.ch = ch;
      this.retryDelay = 0;
      this.lastFailure = '';
      this.setListening(true);
      this.o.log(
        `commands: listening on ${queue} (bound to ${COMMAND_WIRE.exchange} with ${COMMAND_WIRE.routingKey(this.o.host)})${this.o.key ? '' : ', READ-ONLY: every command is refused'}`,
      );
    } catch (e) {
      // logged once per distinct failure (an agent whose user lacks the command permissions retries quietly)
      const why = errLine(e);
      if (why !== this.lastFailure) this.o.log(`commands: cannot listen on ${queue}: ${why}; retrying (up to every 60 s)`);
      this.lastFailure = why;
      if (ch)
        await ch.close().catch(() => undefined); // the close handler schedules the retry
      else this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry || this.ch) return;
    const base = this.o.retryMs ?? 5000;
    this.retryDelay = Math.min(this.retryDelay ? this.retryDelay * 2 : base, Math.max(base, 60_000));
    this.retry = setTimeout(() => {
      this.retry = null;
      // the connection may have been replaced meanwhile: attach to the current one
      const now = this.o.currentModel();
      if (!this.closed && !this.ch && now) void this.attach(now);
    }, this.retryDelay);
    this.retry.unref();
  }

  private setListening(v: boolean): void {
    if (this.status.listening === v) return;
    this.status.listening = v;
    this.o.onStatus?.(this.status);
  }

  private onMessage(ch: Channel, m: ConsumeMessage | null): void {
    if (!m) return; // consumer cancelled (queue deleted): the close handler reattaches
    // one at a time: verification is quick; the action itself runs in the background
    this.intake = this.intake.then(async () => {
      try {
        await this.handle(m.content);
      } catch (e) {
        this.o.log(`commands: handling failed: ${errLine(e)}`);
      }
      try {
        ch.ack(m);
      } catch {
        // channel gone: the message went with the exclusive queue
      }
    });
  }

  /**
   * Read one command body and answer it: a refusal, or `accepted` and the action started (not
   * awaited: {@link current}). Exposed for tests; the consumer calls it one body at a time.
   */
  async handle(body: Buffer): Promise<void> {
    this.status.lastAt = new Date(this.now()).toISOString();
    const nowS = Math.floor(this.now() / 1000);
    const replay = this.o.replay;
    const r = await readCommand(body, { key: this.o.key, host: this.o.host, nowS, seen: (id) => replay?.has(id) ?? false });
    if (!r.ok) return this.refuse(r.label, r.reason, r.detail);
    const c = r.command;
    const label = labelOf(c);
    if (!replay || !this.o.actions) return this.refuse(label, 'read_only', 'no actions available');
    if (replay.has(c.id)) return this.refuse(label, 'replayed', `id ${c.id} seen before`);
    if (!replay.remember(c.id, c.expiresAt, nowS)) return this.refuse(label, 'busy', 'replay cache full of live commands');
    try {
      await replay.persist();
    } catch (e) {
      return this.refuse(label, 'busy', `cannot record the command id: ${errLine(e)}`);
    }
    if (this.running) return this.refuse(label, 'busy', 'another command is running');
    this.running = this.execute(c).finally(() => {
      this.running = null;
    });
  }

  private async execute(c: AgentCommand): Promise<void> {
    const label = labelOf(c);
    this.status.accepted++;
    this.o.onStatus?.(this.status);
    this.o.log(`commands: ${c.action} ${c.id}${label.job ? ` job ${label.job}` : ''}: accepted`);
    this.reply(label, { status: 'accepted' });
    try {
      const result = await this.o.actions!.run(c, (step, detail) => {
        this.o.log(`commands: ${c.action} ${c.id}: ${step}: ${detail}`);
        this.reply(label, { status: 'progress', step: step.slice(0, 128), detail: detail.slice(0, 8192) });
      });
      this.status.done++;
      this.o.log(`commands: ${c.action} ${c.id}: done ${JSON.stringify(result).slice(0, 300)}`);
      this.reply(label, { status: 'done', result });
    } catch (e) {
      this.status.failed++;
      this.o.log(`commands: ${c.action} ${c.id}: FAILED: ${errLine(e)}`);
      this.reply(label, { status: 'failed', detail: errLine(e) });
    }
    this.o.onStatus?.(this.status);
    await this.replies;
  }

  private refuse(label: CommandLabel, reason: CommandRefusalReason, detail: string): void {
    this.status.refused[reason] = (this.status.refused[reason] ?? 0) + 1;
    this.o.onStatus?.(this.status);
    this.o.log(`commands: REFUSED ${label.action ?? '?'} ${label.commandId}: ${reason} (${detail})`);
    this.reply(label, { status: 'refused', reason, detail: detail.slice(0, 8192) });
  }

  /** Queue a reply (replies go out in order). */
  private reply(label: CommandLabel, r: Pick<CommandReply, 'status'> & Partial<CommandReply>): void {
    const reply: CommandReply = {
      commandId: label.commandId,
      host: this.o.host,
      action: label.action,
      job: label.job,
      ...r,
      at: new Date(this.now()).toISOString(),
    };
    this.replies = this.replies.then(async () => {
      const ok = await this.o.publishReply(reply).catch(() => false);
      if (!ok) this.o.log(`commands: reply ${reply.status} for ${reply.commandId} not confirmed by the broker`);
    });
  }

  /** Totals of refusals (for logs). */
  refusedTotal(): number {
    return COMMAND_REFUSAL_REASONS.reduce((n, r) => n + (this.status.refused[r] ?? 0), 0);
  }

  /** Stop consuming; wait (bounded) for a running action and the replies. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const ch = this.ch;
    this.ch = null;
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
    await Promise.race([Promise.all([this.intake, this.running, this.replies]).catch(() => undefined), wait(10_000)]);
    if (ch) await Promise.race([ch.close().catch(() => undefined), wait(2000)]);
  }
}
