/**
 * The agent's AMQP side (the wire contract is `NODE_AGENT_WIRE` in @l2scope/domain): a durable
 * topic exchange `l2scope.node` of l2scope's own, declared by the worker or an admin (never one of
 * Neutron's; the agent only checks it passively: its user has no configure permission, see
 * docs/rabbitmq.md), a confirm channel, routing keys `snapshot.<host>` and `bum.<host>`, and the
 * AMQP `user_id` property set to the connection's user (RabbitMQ refuses a message whose user_id
 * is not the connection's user), so the worker knows who published.
 *
 * amqplib's built-in recovery reconnects with backoff (forever); channels do not survive a
 * reconnect, so each connection gets a fresh confirm channel in `setup`. While the broker is away
 * nothing queues up but the latest full snapshot and the latest BUM report (deltas are dropped: the
 * agent then sends a full); on reconnect the agent's `onConnected` hook runs first (it publishes a
 * fresh full), then whatever is still kept is resent.
 */
import { randomBytes } from 'node:crypto';
import amqp, { type ChannelModel, type ConfirmChannel, type Options, type RecoveringChannelModel } from 'amqplib';
import { BUM_REPORT_SCHEMA, type BumReport, COMMAND_WIRE, type CommandReply, NODE_AGENT_WIRE, NODE_SNAPSHOT_SCHEMA, type NodeSnapshot } from '@l2scope/domain';
import { redactUrl } from '@l2scope/domain';
import { type Log, errLine } from './log';

/** Options of {@link NodePublisher}. */
export interface PublisherOptions {
  url: string;
  host: string;
  instance: string;
  log: Log;
  /** Runs after every (re)connection, before kept messages are resent (the agent publishes a full). */
  onConnected?: () => Promise<void>;
  /** Runs after every (re)connection with the connection (the command channel opens its own channel on it). */
  onModel?: (model: ChannelModel) => void;
  /** Runs when an established connection is lost (not after {@link NodePublisher.close}). */
  onDisconnected?: () => void;
  /** ms to wait for a broker confirm (default 15 s). */
  confirmTimeoutMs?: number;
}

/** A message ready to publish. */
export interface Outgoing {
  routingKey: string;
  body: Buffer;
  options: Options.Publish;
}

/** Counters for logs and tests. */
export interface PublisherStats {
  published: number;
  failed: number;
  droppedDeltas: number;
  connects: number;
}

/** The AMQP message for a node snapshot (full: persistent; delta: transient). */
export function snapshotMessage(s: NodeSnapshot): Outgoing {
  return {
    routingKey: NODE_AGENT_WIRE.snapshotKey(s.host),
    body: Buffer.from(JSON.stringify(s)),
    options: {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: s.kind === 'full' ? 2 : 1,
      headers: { [NODE_AGENT_WIRE.schemaHeader]: NODE_SNAPSHOT_SCHEMA },
      messageId: `${s.instance}:${s.seq}`,
      timestamp: Math.floor(Date.parse(s.takenAt) / 1000),
      type: s.kind,
      appId: 'l2scope-agent',
    },
  };
}

/** The AMQP message for a BUM report. */
export function bumMessage(r: BumReport, n: number): Outgoing {
  return {
    routingKey: NODE_AGENT_WIRE.bumKey(r.host),
    body: Buffer.from(JSON.stringify(r)),
    options: {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 1,
      headers: { [NODE_AGENT_WIRE.schemaHeader]: BUM_REPORT_SCHEMA },
      messageId: `${r.instance}:bum:${n}`,
      timestamp: Math.floor(Date.parse(r.to) / 1000),
      type: 'bum',
      appId: 'l2scope-agent',
    },
  };
}

/** The AMQP message for a command reply (`reply.<host>`, transient). */
export function replyMessage(r: CommandReply, instance: string, n: number): Outgoing {
  return {
    routingKey: COMMAND_WIRE.replyKey(r.host),
    body: Buffer.from(JSON.stringify(r)),
    options: {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 1,
      headers: { [COMMAND_WIRE.schemaHeader]: COMMAND_WIRE.replySchema },
      messageId: `${instance}:reply:${n}`,
      timestamp: Math.floor(Date.parse(r.at) / 1000),
      type: 'reply',
      appId: 'l2scope-agent',
    },
  };
}

/** Publishes snapshots, BUM reports and command replies with confirms, reconnecting forever. */
export class NodePublisher {
  readonly stats: PublisherStats = { published: 0, failed: 0, droppedDeltas: 0, connects: 0 };
  private conn: RecoveringChannelModel | null = null;
  private model: ChannelModel | null = null;
  private ch: ConfirmChannel | null = null;
  private pendingFull: Outgoing | null = null;
  private pendingBum: Outgoing | null = null;
  private bumSeq = 0;
  private replySeq = 0;
  private closed = false;
  private connectedWaiters: ((ok: boolean) => void)[] = [];
  private channelRetry: NodeJS.Timeout | null = null;

  /** The RabbitMQ user of the connection (from the URL; amqplib's default `guest` when it names none): every message's `user_id`. */
  readonly userId: string;

  constructor(private readonly o: PublisherOptions) {
    this.userId = amqpUser(o.url);
  }

  /** The current connection (null while disconnected). */
  get channelModel(): ChannelModel | null {
    return this.model;
  }

  /** Whether a channel is open now. */
  get connected(): boolean {
    return this.ch !== null;
  }

  /** Start connecting (returns at once; reconnects with backoff until {@link close}). */
  async start(): Promise<void> {
    const { log } = this.o;
    this.conn = await amqp.connect(this.o.url, {
      clientProperties: { connection_name: `l2scope-agent ${this.o.host} ${this.o.instance}` },
      recovery: {
        initialDelay: 500,
        maxDelay: 30_000,
        maxRetries: Infinity,
        waitForConnect: false,
        setup: async (model: ChannelModel) => {
          this.model = model;
          await this.openChannel(model);
        },
      },
    });
    this.conn.on('connect', () => {
      this.stats.connects++;
      log(`amqp: connected to ${redactUrl(this.o.url)} as ${this.userId}, exchange ${NODE_AGENT_WIRE.exchange} present`);
      void this.afterConnect();
    });
    this.conn.on('disconnect', (err: Error) => {
      this.ch = null;
      this.model = null;
      if (this.closed) return;
      log(`amqp: disconnected (${errLine(err)}); keeping the latest full snapshot and BUM report until the broker is back`);
      this.o.onDisconnected?.();
    });
    this.conn.on('connect-failed', (err: Error) => {
      if (!this.closed) log(`amqp: connect failed: ${errLine(err)}`);
    });
    this.conn.on('reconnect-scheduled', (info: { attempt: number; delay: number }) => {
      if (!this.closed) log(`amqp: retry ${info.attempt} in ${(info.delay / 1000).toFixed(1)} s`);
    });
    this.conn.on('error', (err: Error) => {
      if (!this.closed) log(`amqp: connection error: ${errLine(err)}`);
    });
  }

  private async openChannel(model: ChannelModel): Promise<void> {
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: Error) => {
      if (!this.closed) this.o.log(`amqp: channel error: ${errLine(err)}`);
    });
    ch.on('close', () => {
      if (this.ch === ch) this.ch = null;
      // the connection may still be up (e.g. the exchange was deleted under us): a new channel
      if (!this.closed && this.model === model) this.scheduleChannel(model);
    });
    try {
      // passive: the worker (or an admin) declares l2scope.node; a 404 closes this channel
      await ch.checkExchange(NODE_AGENT_WIRE.exchange);
    } catch (e) {
      this.o.log(`amqp: exchange ${NODE_AGENT_WIRE.exchange} is not there (${errLine(e)}): waiting for the worker to declare it`);
      throw e;
    }
    this.ch = ch;
  }

  private scheduleChannel(model: ChannelModel): void {
    if (this.channelRetry) return;
    this.channelRetry = setTimeout(() => {
      this.channelRetry = null;
      if (this.closed || this.model !== model || this.ch) return;
      this.openChannel(model).then(
        () => {
          this.o.log('amqp: channel reopened');
          void this.afterConnect();
        },
        (e) => {
          this.o.log(`amqp: could not reopen the channel (${errLine(e)}): reconnecting`);
          void model.close().catch(() => undefined);
        },
      );
    }, 1000);
  }

  private async afterConnect(): Promise<void> {
    for (const w of this.connectedWaiters.splice(0)) w(true);
    try {
      await this.o.onConnected?.();
    } catch (e) {
      this.o.log(`agent: after-connect hook failed: ${errLine(e)}`);
    }
    if (this.model) this.o.onModel?.(this.model);
    const bum = this.pendingBum;
    if (bum && (await this.trySend(bum)) && this.pendingBum === bum) this.pendingBum = null;
    const full = this.pendingFull;
    if (full && (await this.trySend(full)) && this.pendingFull === full) this.pendingFull = null;
  }

  /** Resolve true once connected, false after `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.connectedWaiters.push((ok) => {
        clearTimeout(t);
        resolve(ok);
      });
    });
  }

  /**
   * Publish a snapshot. A full one is kept (replacing the previous one) until the broker confirms
   * it; a delta that cannot be sent is dropped (the caller must send a full next).
   * @returns true when the broker confirmed it
   */
  async publishSnapshot(s: NodeSnapshot): Promise<boolean> {
    const m = snapshotMessage(s);
    if (s.kind === 'full') this.pendingFull = m;
    const ok = await this.trySend(m);
    if (ok && this.pendingFull === m) this.pendingFull = null;
    if (!ok && s.kind === 'delta') this.stats.droppedDeltas++;
    return ok;
  }

  /** Publish a BUM report; the latest one is kept until confirmed. @returns true when confirmed */
  async publishBum(r: BumReport): Promise<boolean> {
    const m = bumMessage(r, ++this.bumSeq);
    this.pendingBum = m;
    const ok = await this.trySend(m);
    if (ok && this.pendingBum === m) this.pendingBum = null;
    return ok;
  }

  /** Publish a command reply (not kept: a reply the broker did not confirm is lost). @returns true when confirmed */
  publishReply(r: CommandReply): Promise<boolean> {
    return this.trySend(replyMessage(r, this.o.instance, ++this.replySeq));
  }

  /** What is kept for the next connection (for logs and tests). */
  get pending(): { full: boolean; bum: boolean } {
    return { full: this.pendingFull !== null, bum: this.pendingBum !== null };
  }

  private async trySend(m: Outgoing): Promise<boolean> {
    const ch = this.ch;
    if (!ch || this.closed) return false;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no confirm from the broker in time')), this.o.confirmTimeoutMs ?? 15_000);
        try {
          ch.publish(
            NODE_AGENT_WIRE.exchange,
            m.routingKey,
            m.body,
            { ...m.options, userId: this.userId, messageId: m.options.messageId ?? randomBytes(8).toString('hex') },
            (err: unknown) => {
              clearTimeout(timer);
              if (err) reject(err instanceof Error ? err : new Error(String(err)));
              else resolve();
            },
          );
        } catch (e) {
          clearTimeout(timer);
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
      this.stats.published++;
      return true;
    } catch (e) {
      this.stats.failed++;
      if (!this.closed) this.o.log(`amqp: publish ${m.routingKey} ${String(m.options.type)} not confirmed: ${errLine(e)}`);
      return false;
    }
  }

  /** Close the channel and the connection (no reconnect afterwards). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.channelRetry) clearTimeout(this.channelRetry);
    for (const w of this.connectedWaiters.splice(0)) w(false);
    const ch = this.ch;
    this.ch = null;
    if (ch) await Promise.race([ch.close().catch(() => undefined), delay(2000)]);
    if (this.conn) await Promise.race([this.conn.close().catch(() => undefined), delay(3000)]);
  }
}

/** The user an AMQP URL connects as (percent-decoded; amqplib's default `guest` when the URL names none). */
export function amqpUser(url: string): string {
  const u = new URL(url);
  return u.username ? decodeURIComponent(u.username) : 'guest';
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
