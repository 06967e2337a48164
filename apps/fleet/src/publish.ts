/**
 * Puts the fleet's messages on a real RabbitMQ as neutron-server and its agents do (each exchange
 * declared with oslo's flags, the template's AMQP properties), on a confirm channel with
 * back-pressure: a full write buffer waits for 'drain', and at most `window` messages are
 * unconfirmed at a time. Or writes them as a capture file (fixtures/README.md format).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { type ExchangeSpec, L2POP_TOPIC, NEUTRON_EXCHANGE, NODE_AGENT_WIRE, fanoutExchange, toCaptureLine, topicExchange } from '@l2scope/domain';
import type { FleetMessage } from './neutron';

/** How to publish. */
export interface PublishOptions {
  /** amqp URL of a user allowed to declare and write Neutron's exchanges. */
  url: string;
  /** Wait for each message's virtual time (`at`, against the wall clock from the first message); default false: as fast as the broker takes them. */
  realTime?: boolean;
  /** The cloud runs `amqp_durable_queues = True` (durable `neutron` exchange); default false. */
  durableExchanges?: boolean;
  /** Most unconfirmed messages at a time (default 2,000). */
  window?: number;
  /** Stops publishing (after the message in flight). */
  signal?: AbortSignal;
  /** Called every `window` messages with the count so far. */
  onProgress?: (published: number) => void;
  /**
   * The amqp URL of a host's node agent user (`l2scope-agent-<host>`, users.ts `nodeAgentUrl`):
   * node messages (snapshots, BUM reports) go over a connection of that user, as the worker
   * admits them only so (docs/rabbitmq.md#identity). Required when `messages` hold any.
   */
  nodeUrl?: (host: string) => string;
  /** Most node agent connections open at a time (default 1,000); the least recently used is closed past it. */
  nodeConnections?: number;
}

/**
 * The node agents' connections, one per host user, opened on a host's first message and kept in
 * least-recently-used order, at most `max` open (each a confirm channel; `l2scope.node` is checked,
 * never declared: the worker declares it and a node agent user may not).
 */
class NodeConnections {
  private readonly open = new Map<string, { conn: amqp.ChannelModel; ch: amqp.ConfirmChannel }>();
  constructor(
    private readonly url: (host: string) => string,
    private readonly max: number,
  ) {}

  async channel(host: string): Promise<amqp.ConfirmChannel> {
    const c = this.open.get(host);
    if (c) {
      // most recently used last
      this.open.delete(host);
      this.open.set(host, c);
      return c.ch;
    }
    if (this.open.size >= this.max) {
      const [oldest, o] = this.open.entries().next().value!;
      this.open.delete(oldest);
      await o.ch.waitForConfirms();
      await o.conn.close().catch(() => undefined);
    }
    const conn = await amqp.connect(this.url(host));
    try {
      const ch = await conn.createConfirmChannel();
      await ch.checkExchange(NODE_AGENT_WIRE.exchange);
      this.open.set(host, { conn, ch });
      return ch;
    } catch (e) {
      await conn.close().catch(() => undefined);
      throw e;
    }
  }

  async confirmAll(): Promise<void> {
    await Promise.all([...this.open.values()].map((c) => c.ch.waitForConfirms()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.open.values()].map((c) => c.conn.close().catch(() => undefined)));
    this.open.clear();
  }
}

/** The exchanges the fleet publishes to, with oslo's flags (docs/wire-format.md#durability). */
export function fleetExchanges(durable = false): ExchangeSpec[] {
  return [{ ...topicExchange(durable), name: NEUTRON_EXCHANGE }, fanoutExchange(L2POP_TOPIC)];
}

/**
 * Publish `messages` in order.
 * @returns the number of messages published and confirmed
 * @throws the broker's error (connection refused, access refused, a nack)
 */
export async function publishFleet(messages: Iterable<FleetMessage>, opts: PublishOptions): Promise<number> {
  const window = opts.window ?? 2000;
  const conn = await amqp.connect(opts.url);
  const nodes = opts.nodeUrl ? new NodeConnections(opts.nodeUrl, opts.nodeConnections ?? 1000) : null;
  try {
    const ch = await conn.createConfirmChannel();
    for (const x of fleetExchanges(opts.durableExchanges)) await ch.assertExchange(x.name, x.type, { durable: x.durable, autoDelete: x.autoDelete });
    let n = 0;
    let origin: { virtual: number; wall: number } | null = null;
    for (const m of messages) {
      if (opts.signal?.aborted) break;
      if (opts.realTime) {
        origin ??= { virtual: m.at, wall: Date.now() };
        const wait = m.at - origin.virtual - (Date.now() - origin.wall);
        if (wait > 0) {
          // nothing unconfirmed lingers while the fleet is idle
          await Promise.all([ch.waitForConfirms(), nodes?.confirmAll()]);
          await sleep(wait, undefined, { signal: opts.signal }).catch(() => undefined);
          if (opts.signal?.aborted) break;
        }
      }
      let via: amqp.ConfirmChannel = ch;
      if (m.kind === 'snapshot' || m.kind === 'bum') {
        if (!nodes) throw new Error('node messages need nodeUrl (the node agents users)');
        via = await nodes.channel(m.host!);
      }
      const ok = via.publish(m.exchange, m.routingKey, Buffer.from(m.body), m.properties);
      n++;
      if (!ok) await once(via, 'drain');
      if (n % window === 0) {
        await Promise.all([ch.waitForConfirms(), nodes?.confirmAll()]);
        opts.onProgress?.(n);
      }
    }
    await Promise.all([ch.waitForConfirms(), nodes?.confirmAll()]);
    return n;
  } finally {
    await nodes?.close();
    await conn.close().catch(() => undefined);
  }
}

/**
 * Write `messages` as a capture file: one `toCaptureLine` per message, `ts` = its virtual time.
 * `npm start -- --replay FILE` (the worker's replay) plays it. Node messages (snapshots, BUM
 * reports) go to `nodeFile`, in the same format with their `userId`: the replay republishes as
 * one user, which the broker and the worker refuse for a node message, so they stay apart.
 * @returns the number of lines written (both files)
 * @throws Error on a node message without `nodeFile`
 */
export async function writeCapture(messages: Iterable<FleetMessage>, file: string, nodeFile?: string): Promise<number> {
  const out = createWriteStream(file);
  const nodeOut = nodeFile ? createWriteStream(nodeFile) : null;
  let n = 0;
  try {
    for (const m of messages) {
      const line = toCaptureLine({ ts: new Date(m.at), exchange: m.exchange, routingKey: m.routingKey, properties: m.properties, body: Buffer.from(m.body) });
      const to = m.kind === 'snapshot' || m.kind === 'bum' ? nodeOut : out;
      if (!to) throw new Error('node messages need a file of their own');
      n++;
      if (!to.write(`${line}\n`)) await once(to, 'drain');
    }
  } finally {
    for (const o of [out, nodeOut]) {
      if (!o) continue;
      o.end();
      await once(o, 'close');
    }
  }
  return n;
}
