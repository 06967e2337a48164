/**
 * Replay of a capture file (the fixtures' JSONL shape): either republished onto RabbitMQ
 * exactly as neutron-server sent it (same exchanges, declared with oslo's flags, same routing
 * keys and properties), so the live tap path runs; or, with no broker, fed in-process into the
 * same pipeline. Timing follows the capture's `ts` gaps divided by `speed` (0 = no waiting).
 */
import { createReadStream, existsSync } from 'node:fs';
import readline from 'node:readline';
import amqp from 'amqplib';
import { type CaptureRecord, NODE_EXCHANGE, fanoutExchange, parseCaptureLine, topicExchange } from '@l2scope/domain';
import type { Delivery } from './delivery';

export interface ReplayOptions {
  file: string;
  /**
   * A capture of node agents' messages (exchange `l2scope.node`: snapshots and BUM reports, e.g.
   * the fleet simulator's `<out>.nodes.jsonl`) played beside `file`, the two merged by capture time.
   * In-process only: its records go to {@link replayInProcess}'s `node`.
   */
  nodeFile?: string;
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

/**
 * The node capture the fleet simulator writes beside `file` (`fleet --nodes --out x.jsonl` ->
 * `x.nodes.jsonl`), when that file exists; else undefined.
 */
export function siblingNodeCapture(file: string): string | undefined {
  const nodes = file.replace(/(\.jsonl)?$/, '.nodes.jsonl');
  return nodes !== file && existsSync(nodes) ? nodes : undefined;
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

/**
 * Two captures as one, in capture-time order (each file is in time order, as a capture and the
 * fleet simulator write them); at equal times `a`'s record comes first.
 */
export async function* mergeByTime(a: AsyncIterable<CaptureRecord>, b: AsyncIterable<CaptureRecord>): AsyncGenerator<CaptureRecord> {
  const ia = a[Symbol.asyncIterator]();
  const ib = b[Symbol.asyncIterator]();
  let ra = await ia.next();
  let rb = await ib.next();
  while (!ra.done || !rb.done) {
    if (!ra.done && (rb.done || ra.value.ts.getTime() <= rb.value.ts.getTime())) {
      yield ra.value;
      ra = await ia.next();
    } else if (!rb.done) {
      yield rb.value;
      rb = await ib.next();
    }
  }
}

/** The records of a replay: its capture, merged with its node capture when it has one. */
function records(opts: ReplayOptions): AsyncIterable<CaptureRecord> {
  const read = (file: string) => readCapture(file, (line, error) => opts.log?.(`replay: ${file}:${line}: ${error}`));
  return opts.nodeFile ? mergeByTime(read(opts.file), read(opts.nodeFile)) : read(opts.file);
}

/** Iterate a capture with its timing, once or in a loop, until aborted. Yields each record when it is due, with its pass (1-based). */
async function* timed(opts: ReplayOptions): AsyncGenerator<CaptureRecord & { pass: number }> {
  const speed = opts.speed ?? 1;
  const maxGap = opts.maxGapMs ?? 5_000;
  let pass = 0;
  do {
    pass++;
    let prev: number | null = null;
    for await (const r of records(opts)) {
      if (opts.signal?.aborted) return;
      const t = r.ts.getTime();
      if (opts.until !== undefined && t > opts.until) break;
      if (prev !== null && speed > 0) await sleep(Math.min(maxGap, (t - prev) / speed), opts.signal);
      prev = t;
      if (opts.signal?.aborted) return;
      yield { ...r, pass };
    }
    if (opts.loop) await sleep(opts.loopPauseMs ?? 3_000, opts.signal);
  } while (opts.loop && !opts.signal?.aborted);
}

/**
 * A node snapshot of a later pass of a looping replay, as a restarted node agent would send it:
 * its `instance` gets the suffix `~<pass>`, so the worker takes it as newer than what the previous
 * pass left (within one instance a repeated `seq` is an old snapshot, and would be refused).
 * BUM reports and bodies that are not JSON objects are returned as they are.
 */
function asPass(body: Uint8Array, routingKey: string, pass: number): Uint8Array {
  if (pass === 1 || !routingKey.startsWith('snapshot.')) return body;
  try {
    const o = JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
    if (!o || typeof o !== 'object' || Array.isArray(o) || typeof (o as { instance?: unknown }).instance !== 'string') return body;
    return Buffer.from(JSON.stringify({ ...o, instance: `${(o as { instance: string }).instance}~${pass}` }));
  } catch {
    return body;
  }
}

/**
 * Feed a capture into the pipeline in-process (the embedded default: no broker). A record whose
 * `submit` throws (the pipeline's never does) is logged and skipped: one message cannot stop a replay.
 * With `nodeFile`, the node agents' records (exchange `l2scope.node`) go to `node`, the host
 * monitor's admission, exactly as a node agent's would (their recorded routing key and `userId`),
 * each after every cast before it was folded, so a snapshot is judged against the model of its time.
 * @param submit the pipeline's `submit`; awaited whenever more than `highWater` are pending
 * @param node the host monitor's `handle`; node records are skipped (and counted in the log) without it
 * @returns number of messages fed (casts and node messages)
 */
export async function replayInProcess(
  opts: ReplayOptions & { submit: (d: Delivery) => Promise<void>; node?: (d: Delivery) => Promise<void>; pending: () => number; highWater?: number },
): Promise<number> {
  let n = 0;
  let skipped = 0;
  const highWater = opts.highWater ?? 2_000;
  let last: Promise<void> = Promise.resolve();
  for await (const r of timed(opts)) {
    if (r.exchange === NODE_EXCHANGE.name) {
      if (!opts.node) {
        skipped++;
        continue;
      }
      await last.catch(() => undefined);
      const d: Delivery = {
        receivedAt: Date.now(),
        exchange: r.exchange,
        routingKey: r.routingKey,
        properties: r.properties,
        body: asPass(r.body, r.routingKey, r.pass),
        source: 'replay',
      };
      await opts.node(d).catch((err: unknown) => opts.log?.(`replay: ${opts.nodeFile ?? opts.file}: a node message failed: ${String(err).slice(0, 300)}`));
      n++;
      continue;
    }
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
  if (skipped) opts.log?.(`replay: ${skipped} node agent messages skipped (no node monitor)`);
  return n;
}

/** The oslo declaration of the exchange a captured message was published on. */
export function exchangeFor(name: string) {
  if (name.endsWith('_fanout')) return fanoutExchange(name.slice(0, -'_fanout'.length));
  return { ...topicExchange(false), name };
}

/**
 * Republish a capture onto a broker as neutron-server did: each exchange declared with oslo's
 * flags, the captured routing key and properties, publisher confirms. Node agents' records
 * (exchange `l2scope.node`) are skipped and counted in the log: the worker admits a host's
 * snapshot only from that host's own broker user, which one publisher cannot be.
 * @returns number of messages published
 */
export async function replayToBroker(opts: ReplayOptions & { url: string }): Promise<number> {
  const conn = await amqp.connect(opts.url);
  try {
    const ch = await conn.createConfirmChannel();
    const declared = new Set<string>();
    let n = 0;
    let skipped = 0;
    for await (const r of timed(opts)) {
      // a node agent's message is accepted only from that host's own broker user: not republishable as one
      if (r.exchange === NODE_EXCHANGE.name) {
        skipped++;
        continue;
      }
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
    if (skipped) opts.log?.(`replay: ${skipped} node agent messages not republished (each needs its host's broker user)`);
    return n;
  } finally {
    await conn.close().catch(() => {});
  }
}
