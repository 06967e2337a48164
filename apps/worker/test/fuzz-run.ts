/**
 * The poison-input fuzz run on the real broker (docs/wire-format.md#poison-input): a worker taps a
 * fresh vhost as the least-privilege user, the testkit's `Fuzzer` publishes N messages around the
 * real captures onto Neutron's exchanges, and the run reports what happened: messages committed,
 * undecodable, crashes (uncaught exceptions, unhandled rejections, tap delivery failures),
 * reconnects of the tap, the slowest message, peak RSS, and whether the real captures' messages
 * decoded exactly as they do alone. Used by `fuzz.integration.test.ts` (N = 20,000) and
 * `npm run fuzz` (scripts/fuzz.ts, any N).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import type { Db } from '@l2scope/db';
import { type DecodeResult, decodeMessage, parseCapture, redactSecrets } from '@l2scope/domain';
import { FUZZ_KINDS, type FuzzKind, type FuzzSource, Fuzzer, TAP_LEAST_PRIVILEGE, createTestDatabase, createTestVhost, waitFor } from '@l2scope/testkit';
import { exchangeFor, startWorker } from '../src';
import type { IngestedMessage } from '../src/pipeline';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The captures the fuzz run starts from: every message of these fixtures the default tap binds. */
export const FUZZ_CAPTURES = ['lab3', 'lab2', 'mixed', 'ovs-try'];

/** Does the default tap bind this (exchange, routing key)? (docs/wire-format.md#tap-rules) */
const tapped = (exchange: string, routingKey: string) =>
  exchange === 'q-agent-notifier-l2population-update_fanout' ||
  (exchange === 'neutron' && (routingKey === 'q-reports-plugin' || routingKey.startsWith('q-agent-notifier-l2population-update.')));

export interface FuzzRunOptions {
  count: number;
  seed: number;
  /** Database URL base (default: DATABASE_URL's kind, see testkit `createTestDatabase`). */
  databaseBase?: string;
  /** The worker's decode caps for the run (small, so every cap is hit often). */
  maxDecodeBytes?: number;
  maxJsonDepth?: number;
  maxJsonEntries?: number;
  /** Progress lines (every 10,000 messages) and the worker's log. */
  log?: (line: string) => void;
  /** Keep the database's rows for inspection by `inspect` before it is dropped. */
  inspect?: (db: Db, firstId: number) => Promise<void>;
}

export interface FuzzReport {
  seed: number;
  messages: number;
  /** Messages the pipeline committed (all of them when nothing was lost). */
  committed: number;
  undecodable: number;
  /** Undecodable messages per reason. */
  reasons: Record<string, number>;
  /** Messages per fuzz kind. */
  kinds: Record<FuzzKind, number>;
  /** Uncaught exceptions + unhandled rejections + tap deliveries whose handler failed. */
  crashes: number;
  /** Times the tap set its consumer up again after the first (the connection and channel were replaced). */
  reconnects: number;
  /** Gaps recorded by tap health (disconnections). */
  gaps: number;
  /** Committed messages whose id did not follow the published order (lost or reordered). */
  outOfOrder: number;
  /** Real capture messages checked against their decode alone, and how many differed. */
  capturesChecked: number;
  capturesMismatched: number;
  /** Undecodable messages stored without their raw bytes (redacted body) exactly. */
  rawMismatched: number;
  worst: { ms: number; n: number; kind: FuzzKind; bytes: number } | null;
  peakRssMb: number;
  seconds: number;
}

/** Run the fuzz: see the module comment. Creates and removes its own vhost, user and database. */
export async function runFuzz(opts: FuzzRunOptions): Promise<FuzzReport> {
  const log = opts.log ?? (() => {});
  const maxDecodeBytes = opts.maxDecodeBytes ?? 1024 * 1024;
  const maxJsonDepth = opts.maxJsonDepth ?? 64;
  const maxJsonEntries = opts.maxJsonEntries ?? 100_000;
  const captures: FuzzSource[] = FUZZ_CAPTURES.flatMap((name) =>
    parseCapture(readFileSync(path.join(root, 'fixtures', `${name}.jsonl`), 'utf8')).records.filter((r) => tapped(r.exchange, r.routingKey)),
  );
  const expected = captures.map((c) => resultKey(decodeMessage(c, { maxBytes: maxDecodeBytes, maxDepth: maxJsonDepth, maxEntries: maxJsonEntries })));

  let crashes = 0;
  const onCrash = (err: unknown) => {
    crashes++;
    log(`fuzz: CRASH ${String(err).slice(0, 300)}`);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);

  const vhost = await createTestVhost('l2scope-fuzz');
  const db = await createTestDatabase(opts.databaseBase);
  const started = Date.now();
  try {
    const admin = await amqp.connect(vhost.adminUrl);
    const ch = await admin.createConfirmChannel();
    for (const name of new Set([...captures.map((c) => c.exchange), 'neutron', 'q-agent-notifier-l2population-update_fanout'])) {
      const spec = exchangeFor(name);
      await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
    }
    const user = await vhost.addUser(TAP_LEAST_PRIVILEGE);
    const worker = await startWorker({
      amqpUrl: user.url,
      databaseUrl: db.url,
      port: 0,
      nodeAmqpUrl: false,
      maxDecodeBytes,
      maxJsonDepth,
      maxJsonEntries,
      // every row of a test-sized run stays for the checks; a big run keeps the newest 200,000 (disk)
      retainMessages: opts.count <= 200_000 ? opts.count + 10 : 200_000,
      log: (line) => {
        if (!line.startsWith('worker: tapping')) log(line);
      },
    });
    const firstId = worker.pipeline.seq + 1;
    const kinds = Object.fromEntries(FUZZ_KINDS.map((k) => [k, 0])) as Record<FuzzKind, number>;
    // what the check needs of each message, compactly (1,000,000 messages fit in a few MB)
    const kindOf = new Uint8Array(opts.count);
    const sourceOf = new Int32Array(opts.count);
    const sizeOf = new Uint32Array(opts.count);
    const bodies = new Map<number, Uint8Array>(); // undecodable candidates awaiting their raw check
    const reasons: Record<string, number> = {};
    let committed = 0;
    let outOfOrder = 0;
    let capturesChecked = 0;
    let capturesMismatched = 0;
    let rawMismatched = 0;
    worker.pipeline.on('committed', (batch: IngestedMessage[]) => {
      for (const m of batch) {
        const n = m.id - firstId;
        committed++;
        if (m.delivery.properties.messageId !== `fuzz-${n}`) outOfOrder++;
        if (!m.result.ok) reasons[m.result.error.reason] = (reasons[m.result.error.reason] ?? 0) + 1;
        const kind = FUZZ_KINDS[kindOf[n] ?? 0];
        if (kind === 'capture') {
          capturesChecked++;
          if (resultKey(m.result) !== expected[sourceOf[n]!]) capturesMismatched++;
        }
        const body = bodies.get(n);
        bodies.delete(n);
        if (!m.result.ok && body && !m.rawTruncated && !Buffer.from(m.raw).equals(Buffer.from(redactSecrets(body).body))) rawMismatched++;
      }
    });

    const fuzzer = new Fuzzer({ seed: opts.seed, captures, maxBytes: maxDecodeBytes, maxDepth: maxJsonDepth });
    for (let n = 0; n < opts.count; n++) {
      const msg = fuzzer.next();
      kinds[msg.kind]++;
      kindOf[n] = FUZZ_KINDS.indexOf(msg.kind);
      sourceOf[n] = msg.source ?? -1;
      sizeOf[n] = msg.body.byteLength;
      if (msg.kind !== 'capture' && msg.kind !== 'valid_cast') bodies.set(n, msg.body);
      const ok = ch.publish(msg.exchange, msg.routingKey, Buffer.from(msg.body.buffer, msg.body.byteOffset, msg.body.byteLength), {
        messageId: `fuzz-${n}`,
        contentType: 'application/json',
        contentEncoding: 'utf-8',
      });
      if (!ok) await new Promise((r) => ch.once('drain', r));
      if (n % 500 === 499) {
        await ch.waitForConfirms();
        // keep what is in flight bounded: the tap queue drops its head when full
        await waitFor('the worker to catch up', () => worker.stats().received >= n - 5_000, 600_000, 20);
      }
      if (n % 10_000 === 9_999) {
        const s = worker.stats();
        const w = worker.pipeline.slowest;
        log(
          `fuzz: ${n + 1} published, ${committed} committed, ${s.undecodable} undecodable, crashes ${crashes + (worker.tap?.deliveryFailures ?? 0)}, ` +
            `reconnects ${(worker.tap?.connects ?? 1) - 1}, worst ${w ? `${w.ms.toFixed(1)} ms #${w.id - firstId}` : '-'}, peak rss ${Math.round(peakRss / 2 ** 20)} MB, ${Math.round((Date.now() - started) / 1000)} s`,
        );
      }
    }
    await ch.waitForConfirms();
    await admin.close();
    await waitFor('every message committed', () => committed >= opts.count || worker.stats().dropped > 0, 600_000, 50);
    const stats = worker.stats();
    const slowest = worker.pipeline.slowest;
    const worstN = slowest ? slowest.id - firstId : -1;
    await opts.inspect?.(worker.db, firstId);
    const report: FuzzReport = {
      seed: opts.seed,
      messages: opts.count,
      committed,
      undecodable: stats.undecodable,
      reasons,
      kinds,
      crashes: crashes + (worker.tap?.deliveryFailures ?? 0),
      reconnects: (worker.tap?.connects ?? 1) - 1,
      gaps: stats.gaps.length,
      outOfOrder,
      capturesChecked,
      capturesMismatched,
      rawMismatched,
      worst: slowest && worstN >= 0 ? { ms: slowest.ms, n: worstN, kind: FUZZ_KINDS[kindOf[worstN] ?? 0]!, bytes: sizeOf[worstN] ?? 0 } : null,
      peakRssMb: 0,
      seconds: 0,
    };
    await worker.stop();
    report.peakRssMb = Math.round(Math.max(peakRss, process.memoryUsage().rss) / 2 ** 20);
    report.seconds = Math.round((Date.now() - started) / 100) / 10;
    return report;
  } finally {
    clearInterval(rssTimer);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    await vhost.cleanup();
    await db.drop();
  }
}

/** A decode result as compared between the run and a decode alone (everything but nothing time-dependent: there is none). */
function resultKey(r: DecodeResult): string {
  return JSON.stringify(r);
}
