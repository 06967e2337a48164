/**
 * Replay of a capture file (the fixtures' JSONL shape): either republished onto RabbitMQ
 * exactly as neutron-server sent it (same exchanges, declared with oslo's flags, same routing
 * keys and properties), so the live tap path runs; or, with no broker, fed in-process into the
 * same pipeline. Timing follows the capture's `ts` gaps divided by `speed` (0 = no waiting).
 */
import { createReadStream } from 'node:fs';
import readline from 'node:readline';
import amqp from 'amqplib';
import { type CaptureRecord, fanoutExchange, parseCaptureLine, topicExchange } from '@l2scope/domain';
import type { Delivery } from './delivery';

export interface ReplayOptions {
  file: string;
  /** Time multiplier: 2 = twice as fast; 0 = as fast as possible. */
  speed?: number;
  loop?: boolean;
  /** Pause between loops (ms). */
  loopPauseMs?: number;
  /** Stop at the first message captured after this epoch ms. */
  until?: number;
  /** The longest wait between two messages (ms, after `speed`), so idle stretches do not stall a demo. */
  maxGapMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** Stream a capture file's records; bad lines are reported through `onError` and skipped. */
export async function* readCapture(file: string, onError?: (line: number, error: string) => void): AsyncGenerator<CaptureRecord> {
  const rl = readline.createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (!line.trim()) continue;
    const p = parseCaptureLine(line);
    if (p.ok) yield p.record;
    else onError?.(n, p.error);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Iterate a capture with its timing, once or in a loop, until aborted. Yields each record when it is due. */
async function* timed(opts: ReplayOptions): AsyncGenerator<CaptureRecord> {
  const speed = opts.speed ?? 1;
  const maxGap = opts.maxGapMs ?? 5_000;
  do {
    let prev: number | null = null;
    for await (const r of readCapture(opts.file, (line, error) => opts.log?.(`replay: ${opts.file}:${line}: ${error}`))) {
      if (opts.signal?.aborted) return;
      const t = r.ts.getTime();
      if (opts.until !== undefined && t > opts.until) break;
      if (prev !== null && speed > 0) await sleep(Math.min(maxGap, (t - prev) / speed), opts.signal);
      prev = t;
      if (opts.signal?.aborted) return;
      yield r;
    }
    if (opts.loop) await sleep(opts.loopPauseMs ?? 3_000, opts.signal);
  } while (opts.loop && !opts.signal?.aborted);
}

/**
 * Feed a capture into the pipeline in-process (the embedded default: no broker). A record whose
 * `submit` throws (the pipeline's never does) is logged and skipped: one message cannot stop a replay.
 * @param submit the pipeline's `submit`; awaited whenever more than `highWater` are pending
 * @returns number of messages fed
 */
export async function replayInProcess(
  opts: ReplayOptions & { submit: (d: Delivery) => Promise<void>; pending: () => number; highWater?: number },
): Promise<number> {
  let n = 0;
  const highWater = opts.highWater ?? 2_000;
  let last: Promise<void> = Promise.resolve();
  for await (const r of timed(opts)) {
    try {
      last = opts
        .submit({ receivedAt: Date.now(), exchange: r.exchange, routingKey: r.routingKey, properties: r.properties, body: r.body, source: 'replay' })
        .catch((err: unknown) => opts.log?.(`replay: ${opts.file}: a message failed: ${String(err).slice(0, 300)}`));
    } catch (err) {
      opts.log?.(`replay: ${opts.file}: a message could not be submitted, skipped: ${String(err).slice(0, 300)}`);
      continue;
    }
    n++;
    if (opts.pending() > highWater) await last;
  }
  await last;
  return n;
}

/** The oslo declaration of the exchange a captured message was published on. */
export function exchangeFor(name: string) {
  if (name.endsWith('_fanout')) return fanoutExchange(name.slice(0, -'_fanout'.length));
  return { ...topicExchange(false), name };
}

/**
 * Republish a capture onto a broker as neutron-server did: each exchange declared with oslo's
 * flags, the captured routing key and properties, publisher confirms.
 * @returns number of messages published
 */
export async function replayToBroker(opts: ReplayOptions & { url: string }): Promise<number> {
  const conn = await amqp.connect(opts.url);
  try {
    const ch = await conn.createConfirmChannel();
    const declared = new Set<string>();
    let n = 0;
    for await (const r of timed(opts)) {
      if (!declared.has(r.exchange) && r.exchange !== '') {
        const spec = exchangeFor(r.exchange);
        await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
        declared.add(r.exchange);
      }
      const { headers, contentType, contentEncoding, deliveryMode, priority, expiration, messageId, correlationId, replyTo, timestamp, type, userId, appId } =
        r.properties;
      const props = Object.fromEntries(
        Object.entries({
          headers,
          contentType,
          contentEncoding,
          deliveryMode,
          priority,
          expiration,
          messageId,
          correlationId,
          replyTo,
          timestamp,
          type,
          userId,
          appId,
        }).filter(([, v]) => v !== undefined),
      );
      ch.publish(r.exchange, r.routingKey, Buffer.from(r.body), props);
      n++;
      if (n % 500 === 0) await ch.waitForConfirms();
    }
    await ch.waitForConfirms();
    await ch.close();
    return n;
  } finally {
    await conn.close().catch(() => {});
  }
}
