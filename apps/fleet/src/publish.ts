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
import { type ExchangeSpec, L2POP_TOPIC, NEUTRON_EXCHANGE, fanoutExchange, toCaptureLine, topicExchange } from '@l2scope/domain';
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
          await ch.waitForConfirms();
          await sleep(wait, undefined, { signal: opts.signal }).catch(() => undefined);
          if (opts.signal?.aborted) break;
        }
      }
      const ok = ch.publish(m.exchange, m.routingKey, Buffer.from(m.body), m.properties);
      n++;
      if (!ok) await once(ch, 'drain');
      if (n % window === 0) {
        await ch.waitForConfirms();
        opts.onProgress?.(n);
      }
    }
    await ch.waitForConfirms();
    return n;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/**
 * Write `messages` as a capture file: one `toCaptureLine` per message, `ts` = its virtual time.
 * `npm start -- --replay FILE` (the worker's replay) plays it.
 * @returns the number of lines written
 */
export async function writeCapture(messages: Iterable<FleetMessage>, file: string): Promise<number> {
  const out = createWriteStream(file);
  let n = 0;
  try {
    for (const m of messages) {
      const line = toCaptureLine({ ts: new Date(m.at), exchange: m.exchange, routingKey: m.routingKey, properties: m.properties, body: Buffer.from(m.body) });
      n++;
      if (!out.write(`${line}\n`)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return n;
}
