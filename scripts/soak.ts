/**
 * `npm run soak -- --minutes M --rate R [--hosts H] [-- worker options]`: is the worker bounded?
 *
 * Starts the worker as a child process on a fresh vhost of the local RabbitMQ and a fresh database
 * (SQLite, or PostgreSQL when DATABASE_URL points at one), then publishes generated churn at a
 * realistic rate for M minutes, the way a cloud of H hypervisors would:
 * - every host's report_state every 30 s (agent `report_interval`), each with a fresh `_unique_id`;
 * - R l2pop casts a second on 20 VXLAN networks: ports come up (`add_fdb_entries`) and go
 *   (`remove_fdb_entries`, 500 ports later), re-addressed real lab3 casts (bench/workload.ts);
 * - every host's node snapshot every 60 s (the real lab3 kernel snapshot of compute1, renamed);
 * - a spoofed report_state from a never-seen host every 5 s (they must expire: `--host-expiry`).
 * It prints the worker's RSS, the database size and the stored rows at start, every minute and at
 * the end, and the growth over the second half of the run: flat means bounded.
 *
 * Worker options after `--` replace the soak's defaults (`--retain-messages 5000 --retain-samples 20000 --host-expiry 2m`,
 * small on purpose so the bounds are reached within minutes). Needs root (rabbitmqctl).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import { Command, InvalidArgumentError } from 'commander';
import pg from 'pg';
import { type Db, closeDb, openDb } from '@l2scope/db';
import { NODE_AGENT_WIRE, NODE_SNAPSHOT_SCHEMA, snapshotsFromBundle } from '@l2scope/domain';
import { TAP_LEAST_PRIVILEGE, createTestDatabase, createTestVhost, createWorkerToken, waitFor, workerAuthHeaders } from '@l2scope/testkit';

/** The soak's worker token: its /api/stats needs it. */
const token = createWorkerToken();
import { exchangeFor } from '@l2scope/worker';
import { type BenchMessage, networkFleet, root } from '../bench/workload';

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
};
const program = new Command('soak')
  .description('Generated churn on the real broker against a worker child process; prints its RSS and the database size every minute')
  .option('--minutes <m>', 'how long to publish', positive, 15)
  .option('--rate <r>', 'l2pop casts per second (report_state, snapshots and spoofed hosts come on top)', positive, 20)
  .option('--hosts <h>', 'hypervisors of the generated cloud', positive, 100)
  .argument('[worker options...]', 'worker options (after --), replacing --retain-messages 5000 --retain-samples 20000 --host-expiry 2m')
  .parse();
const o = program.opts<{ minutes: number; rate: number; hosts: number }>();
const workerExtra = program.args.length ? program.args : ['--retain-messages', '5000', '--retain-samples', '20000', '--host-expiry', '2m'];

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const fresh = (body: Buffer) => Buffer.from(body.toString().replace(/(_unique_id\\": \\")[0-9a-f]+/, `$1${randomBytes(16).toString('hex')}`));

/** Resident set size of a process (bytes), from /proc. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

const vhost = await createTestVhost('l2scope-soak');
const database = await createTestDatabase();
let child: ChildProcess | null = null;
let out = '';
let db: Db | null = null;
let cleaning: Promise<void> | null = null;
/** Stop the worker, drop the database and the vhost (once). */
const cleanup = () =>
  (cleaning ??= (async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    if (db) await closeDb(db);
    await database.drop();
    await vhost.cleanup();
  })());
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true; // the publishing loop ends, reports, and cleans up
});

try {
  /** SQLite: the main file and its WAL apart, and the free pages in the file (reused before it grows). */
  const sqliteDetail = async (): Promise<string> => {
    if (database.kind !== 'sqlite') return '';
    const file = database.url.replace(/^file:/, '');
    const wal = statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    const rows = await db!.$queryRawUnsafe<{ freelist_count: number | bigint }[]>('PRAGMA freelist_count');
    return `  (file ${mib(statSync(file).size)}, wal ${mib(wal)}, ${Number(rows[0]?.freelist_count ?? 0)} free pages)`;
  };

  /** Database size in bytes: the SQLite file with its WAL, or pg_database_size. */
  const dbSize = async (): Promise<number> => {
    if (database.kind === 'postgresql') {
      const c = new pg.Client({ connectionString: database.url });
      await c.connect();
      const r = await c.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n');
      await c.end();
      return Number(r.rows[0]!.n);
    }
    const file = database.url.replace(/^file:/, '');
    return ['', '-wal', '-shm'].reduce((n, s) => n + (statSync(file + s, { throwIfNoEntry: false })?.size ?? 0), 0);
  };

  const tap = await vhost.addUser(TAP_LEAST_PRIVILEGE);
  const args = ['--amqp', tap.url, '--db', database.url, '--port', '0', '--host', '127.0.0.1', ...workerExtra];
  console.log(`soak: ${o.minutes} min, ${o.hosts} hosts, ${o.rate} casts/s; ${database.kind}; worker ${workerExtra.join(' ')}`);
  child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'apps/worker/src/main.ts'), ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, L2SCOPE_WORKER_TOKEN: token },
  });
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const port = await waitFor('the worker', () => Number(/live server on \S+:(\d+)/.exec(out)?.[1] ?? 0), 120_000);
  await waitFor('the tap', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200, 60_000);
  db = await openDb(database.url);

  // the generated cloud
  const fleet = networkFleet(o.hosts, 20, 5, 15);
  const reports = fleet.messages.slice(0, o.hosts);
  const lab3 = path.join(root, 'fixtures/lab3/1-ports-active');
  const files: Record<string, string> = {};
  for (const f of readdirSync(lab3)) if (f.startsWith('compute1-')) files[f] = readFileSync(path.join(lab3, f), 'utf8');
  const template = snapshotsFromBundle(files).snapshots[0]!;

  const conn = await amqp.connect(vhost.adminUrl);
  const ch = await conn.createConfirmChannel();
  for (const name of new Set(fleet.messages.map((m) => m.exchange))) {
    const spec = exchangeFor(name);
    await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  }
  await ch.assertExchange(NODE_AGENT_WIRE.exchange, NODE_AGENT_WIRE.exchangeType, NODE_AGENT_WIRE.exchangeOptions);
  let published = 0;
  const send = (m: BenchMessage) => {
    ch.publish(m.exchange, m.routingKey, fresh(m.body), { contentType: 'application/json', deliveryMode: 2 });
    published++;
  };
  const snapshotOf = (h: number, seq: number) => {
    const s = { ...template, host: fleet.hostName(h), instance: `soak-${h}`, seq, takenAt: new Date().toISOString() };
    ch.publish(NODE_AGENT_WIRE.exchange, NODE_AGENT_WIRE.snapshotKey(s.host), Buffer.from(JSON.stringify(s)), {
      contentType: 'application/json',
      headers: { [NODE_AGENT_WIRE.schemaHeader]: NODE_SNAPSHOT_SCHEMA },
      messageId: `soak-${h}:${seq}`,
      type: 'full',
    });
    published++;
  };
  for (const r of reports) send(r);

  const samples: { min: number; rss: number; db: number }[] = [];
  const report = async (label: string) => {
    const min = (Date.now() - t0) / 60_000;
    const [size, detail, messages, changes, samplesN, hosts, expired, stats] = await Promise.all([
      dbSize(),
      sqliteDetail(),
      db!.message.count(),
      db!.modelChange.count(),
      db!.convergenceSample.count(),
      db!.host.count({ where: { expiredAt: null } }),
      db!.host.count({ where: { expiredAt: { not: null } } }),
      fetch(`http://127.0.0.1:${port}/api/stats`, { headers: workerAuthHeaders(token) }).then((r) => r.json() as Promise<{ received: number; seq: number }>),
    ]);
    const r = rss(child!.pid!);
    samples.push({ min, rss: r, db: size });
    console.log(
      `${label.padEnd(5)} t=${min.toFixed(1).padStart(5)} min  published=${String(published).padStart(7)}  received=${String(stats.received).padStart(7)}  ` +
        `rss=${mib(r).padStart(10)}  db=${mib(size).padStart(10)}  rows: messages=${messages} changes=${changes} samples=${samplesN} hosts=${hosts} (+${expired} expired)${detail}`,
    );
  };

  const t0 = Date.now();
  await report('start');
  const end = t0 + o.minutes * 60_000;
  let k = 0;
  let seq = 0;
  let nextMinute = t0 + 60_000;
  let spoof = 0;
  const tickMs = 100;
  for (let tick = 0; Date.now() < end && !interrupted; tick++) {
    const now = Date.now();
    // casts: R a second, a sliding window of 500 extra ports
    for (let i = 0; i < (o.rate * tickMs) / 1000; i++, k++) {
      const net = fleet.networks[k % fleet.networks.length]!;
      send(fleet.addPort(net.id, net.hosts[k % net.hosts.length]!, 1_000_000 + k));
      if (k >= 500) {
        const old = k - 500;
        const oldNet = fleet.networks[old % fleet.networks.length]!;
        const add = fleet.addPort(oldNet.id, oldNet.hosts[old % oldNet.hosts.length]!, 1_000_000 + old);
        send({ ...add, body: Buffer.from(add.body.toString().replace('add_fdb_entries', 'remove_fdb_entries')) });
      }
    }
    // report_state: each host every 30 s; snapshots: each host every 60 s (spread over the period)
    const slot = tick % (30_000 / tickMs);
    for (let h = slot; h < o.hosts; h += 30_000 / tickMs) send(reports[h]!);
    if (tick % 2 === 0) for (let h = (tick / 2) % (60_000 / tickMs / 2); h < o.hosts; h += 60_000 / tickMs / 2) snapshotOf(h, ++seq);
    // a spoofed host every 5 s, never seen again
    if (tick % (5_000 / tickMs) === 0) {
      const body = reports[0]!.body
        .toString()
        .replaceAll(fleet.hostName(0), `spoofed-${++spoof}`)
        .replaceAll(fleet.vtep(0), `10.250.${spoof >> 8}.${spoof & 255}`);
      send({ ...reports[0]!, body: Buffer.from(body) });
    }
    await ch.waitForConfirms();
    if (Date.now() >= nextMinute) {
      nextMinute += 60_000;
      await report('min');
    }
    const wait = now + tickMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await conn.close();
  await waitFor(
    'the worker to catch up',
    async () => {
      const s = (await fetch(`http://127.0.0.1:${port}/api/stats`, { headers: workerAuthHeaders(token) }).then((r) => r.json())) as {
        queueDepth: number | null;
      };
      return s.queueDepth === 0 || s.queueDepth === null;
    },
    120_000,
    1000,
  );
  await report('end');
  const half = samples.filter((s) => s.min >= o.minutes / 2);
  const span = (f: (s: (typeof samples)[0]) => number) => `${mib(Math.min(...half.map(f)))} .. ${mib(Math.max(...half.map(f)))}`;
  if (half.length > 1) console.log(`second half (${half.length} samples): rss ${span((s) => s.rss)}, db ${span((s) => s.db)}`);
} catch (err) {
  console.error(err);
  console.error(`worker output (tail):\n${out.slice(-3000)}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
