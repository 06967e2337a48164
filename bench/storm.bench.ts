/**
 * A storm onto the real worker: `apps/worker/src/main.ts` runs as a process of its own (its peak
 * RSS is its own: `VmHWM` of /proc/<pid>/status, not the publisher's), tapping an isolated vhost
 * of the local RabbitMQ with a bounded tap queue, on a fresh SQLite (or PostgreSQL) database. The
 * bench process publishes the deliveries as fast as the broker confirms them, generated lazily
 * (never all held), and follows the worker through its `/metrics` until every delivery is either
 * persisted or dropped and counted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import type { FleetMessage } from '@l2scope/fleet';
import { createTestDatabase, createTestVhost, waitFor } from '@l2scope/testkit';
import { declare } from './ingest.bench';
import { root } from './workload';

/** What a storm did to the worker: every delivery either persisted or counted as dropped by the bounded tap queue. */
export interface StormResult {
  /** Deliveries published (confirmed by the broker). */
  published: number;
  /** x-max-length of the tap queue. */
  queueMaxLength: number;
  /** Database the worker persisted to. */
  database: 'sqlite' | 'postgresql';
  /** Persisted by the worker (the id of its last committed message, on a fresh database). */
  persisted: number;
  /** Dropped by the broker (queue full, drop-head) and counted by the worker (dead letters consumed or purged). */
  dropped: number;
  /** Expired in the tap queue (TTL) and counted. */
  expired: number;
  /** Received by the worker (persisted, or still in its pipeline when it settled). */
  received: number;
  /** Neither persisted nor counted once the worker settled: must be 0. */
  unaccounted: number;
  /** Seconds from the first publish until the last one was confirmed. */
  publishSeconds: number;
  /** Seconds from the first publish until every delivery was persisted or counted. */
  seconds: number;
  /** Most V8 heap the worker used (live and not yet collected) at a scrape of its `/metrics` (every 0.5 s), bytes. */
  workerPeakHeap: number;
  /** Peak RSS of the worker process (VmHWM), bytes. */
  workerPeakRss: number;
  /** RSS of the worker process once settled (VmRSS), bytes. */
  workerRss: number;
  /** Peak RSS of the bench process (the publisher and its generator), bytes. */
  publisherPeakRss: number;
  /** The last 64 KiB of the worker's log. */
  log: string;
}

/** Publish every message on a confirm channel, at most 2,000 unconfirmed. @returns how many were confirmed */
async function publish(url: string, msgs: Iterable<FleetMessage>): Promise<number> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createConfirmChannel();
    let n = 0;
    for (const m of msgs) {
      if (!ch.publish(m.exchange, m.routingKey, Buffer.from(m.body), m.properties)) await once(ch, 'drain');
      if (++n % 2000 === 0) await ch.waitForConfirms();
    }
    await ch.waitForConfirms();
    return n;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** A `/proc/<pid>/status` field in bytes (`VmHWM`, `VmRSS`). */
function procBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** The worker's tap counters, as its `/metrics` serves them. */
async function scrape(
  port: number,
  token: string,
): Promise<{ received: number; dropped: number; expired: number; seq: number; heapUsed: number; queueDepth: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`/metrics: ${res.status}`);
  const text = await res.text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    received: value('l2scope_tap_received_total'),
    dropped: value('l2scope_tap_dropped_total'),
    expired: value('l2scope_tap_expired_total'),
    seq: value('l2scope_message_seq'),
    heapUsed: value('nodejs_heap_size_used_bytes'),
    // absent (NaN) when unknown
    queueDepth: value('l2scope_tap_queue_depth'),
  };
}

/** Start the real worker entry on `amqpUrl` and `databaseUrl`; resolves once it taps. */
async function spawnWorker(
  amqpUrl: string,
  databaseUrl: string,
  queueMaxLength: number,
  metricsToken: string,
): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(root, 'apps/worker/src/main.ts'),
      ...['--amqp', amqpUrl, '--db', databaseUrl, '--port', '0', '--queue-max-length', String(queueMaxLength), '--no-nodes', '--no-neutron-api'],
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, L2SCOPE_METRICS_TOKEN: metricsToken, L2SCOPE_WORKER_TOKEN: '' } },
  );
  // its log, bounded: the last 64 KiB
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-65_536));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const port = await waitFor(
    'the worker to tap the broker',
    () => (child.exitCode !== null ? -1 : /worker: tapping /.test(out) ? Number(/live server on \S+:(\d+)/.exec(out)?.[1] ?? 0) : 0),
    300_000,
    100,
  );
  if (port < 0) throw new Error(`the worker exited: ${out}`);
  return { child, port, output: () => out };
}

/**
 * A storm: `total` deliveries of `msgs` published as fast as the broker confirms them onto a
 * worker process whose tap queue is bounded at `queueMaxLength`; waits (up to 60 min) until the
 * worker persisted or counted every one (or its counts stood still for 30 s with its tap queue empty).
 */
export async function runStorm(msgs: Iterable<FleetMessage>, queueMaxLength: number, databaseBase = 'file:'): Promise<StormResult> {
  const vhost = await createTestVhost('l2scope-storm');
  const db = await createTestDatabase(databaseBase);
  const token = randomBytes(16).toString('hex');
  let publisherPeakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (publisherPeakRss = Math.max(publisherPeakRss, process.memoryUsage.rss())), 500);
  try {
    await declare(vhost.adminUrl);
    const worker = await spawnWorker(vhost.adminUrl, db.url, queueMaxLength, token);
    try {
      let workerPeakHeap = 0;
      const heapSampler = setInterval(
        () =>
          void scrape(worker.port, token).then(
            (s) => (workerPeakHeap = Math.max(workerPeakHeap, s.heapUsed)),
            () => undefined,
          ),
        500,
      );
      const t0 = performance.now();
      const published = await publish(vhost.adminUrl, msgs).finally(() => clearInterval(heapSampler));
      const publishSeconds = (performance.now() - t0) / 1000;
      let last = -1;
      let still = 0;
      const settled = await waitFor(
        'every delivery persisted or counted',
        async () => {
          if (worker.child.exitCode !== null) throw new Error(`the worker exited: ${worker.output()}`);
          const s = await scrape(worker.port, token);
          workerPeakHeap = Math.max(workerPeakHeap, s.heapUsed);
          const counted = s.seq + s.dropped + s.expired;
          // standing still counts only with the tap queue empty (checked every 10 s): a starved worker
          // can stand still for long with the queue full, and expiries in a full queue come in bursts
          still = counted === last && s.queueDepth === 0 ? still + 1 : 0;
          last = counted;
          return counted >= published || still >= 60 ? s : null;
        },
        3_600_000,
        500,
      );
      const seconds = (performance.now() - t0) / 1000;
      const pid = worker.child.pid!;
      const workerPeakRss = procBytes(pid, 'VmHWM');
      const workerRss = procBytes(pid, 'VmRSS');
      return {
        published,
        queueMaxLength,
        database: db.kind,
        persisted: settled.seq,
        dropped: settled.dropped,
        expired: settled.expired,
        received: settled.received,
        unaccounted: published - settled.seq - settled.dropped - settled.expired,
        publishSeconds,
        seconds,
        workerPeakHeap,
        workerPeakRss,
        workerRss,
        publisherPeakRss,
        log: worker.output(),
      };
    } finally {
      worker.child.kill('SIGTERM');
      if (worker.child.exitCode === null) await once(worker.child, 'exit');
    }
  } finally {
    clearInterval(sampler);
    await db.drop();
    await vhost.cleanup();
  }
}
