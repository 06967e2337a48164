/**
 * Set-up shared by the worker's integration suites, on the real local RabbitMQ and a real database
 * (SQLite, or PostgreSQL when DATABASE_URL points at one): a vhost and a database of the suite's
 * own with Neutron's exchanges declared and a least-privilege tap user, and a worker started as a
 * real child process (`node --import tsx src/main.ts`). Every step waits on state, never on time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import type { Db } from '@l2scope/db';
import { migrate } from '@l2scope/db/migrate';
import type { ExchangeSpec } from '@l2scope/domain';
import { TAP_LEAST_PRIVILEGE, type TestDatabase, type TestVhost, createTestDatabase, createTestVhost, waitFor } from '@l2scope/testkit';
import { exchangeFor } from '../../src';

/** The repository's root directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * Declare `exchanges` on the broker at `url`, on a connection closed before returning: a name as
 * neutron-server declares it (`exchangeFor`: type, durable, auto-delete), a spec (e.g.
 * `NODE_EXCHANGE`) as it says. A name given twice is declared once; none, no connection.
 */
export async function declareExchanges(url: string, exchanges: Iterable<string | ExchangeSpec>): Promise<void> {
  const specs = new Map([...exchanges].map((e) => (typeof e === 'string' ? exchangeFor(e) : e)).map((e) => [e.name, e]));
  if (specs.size === 0) return;
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    for (const spec of specs.values()) await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  } finally {
    await conn.close();
  }
}

/**
 * A fresh database of the suite's engine (DATABASE_URL), already migrated: on SQLite a copy of
 * testkit's migrated template, so the worker started on it skips the schema engine.
 */
export function migratedTestDatabase(): Promise<TestDatabase> {
  return createTestDatabase(undefined, { migrated: migrate });
}

/** A suite's own corner of the broker and database (see {@link createWorkerEnv}). */
export interface WorkerEnv {
  vhost: TestVhost;
  db: TestDatabase;
  /** amqp URL of a user with the tap's least privilege (TAP_LEAST_PRIVILEGE) on `vhost`. */
  tapUrl: string;
  /** Delete the vhost (and its users) and drop the database. */
  cleanup(): Promise<void>;
}

/**
 * A fresh vhost named after `prefix`, a fresh database, the Neutron exchanges `exchanges`
 * declared by the vhost's admin, and a tap user with least privilege.
 */
export async function createWorkerEnv(prefix: string, exchanges: Iterable<string | ExchangeSpec> = []): Promise<WorkerEnv> {
  const vhost = await createTestVhost(prefix);
  const db = await migratedTestDatabase();
  await declareExchanges(vhost.adminUrl, exchanges);
  const { url: tapUrl } = await vhost.addUser(TAP_LEAST_PRIVILEGE);
  return {
    vhost,
    db,
    tapUrl,
    cleanup: async () => {
      await vhost.cleanup();
      await db.drop();
    },
  };
}

/** A worker running as a child process. */
export interface SpawnedWorker {
  child: ChildProcess;
  /** The port of its live server (it was started with `--port 0`). */
  port: number;
  /** Everything it printed so far (stdout and stderr). */
  output: () => string;
}

/**
 * Start `apps/worker/src/main.ts` with `args` as a child process whose worker token is `token`;
 * resolves once it printed its live server's port and `ready(port)` holds (waited on as
 * `readyWhat`, up to 30 s).
 * @throws when the worker exits before printing its port, or on a timeout
 */
export async function spawnWorker(
  args: string[],
  token: string,
  readyWhat: string,
  ready: (port: number) => Promise<boolean | undefined>,
): Promise<SpawnedWorker> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'apps/worker/src/main.ts'), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, L2SCOPE_WORKER_TOKEN: token },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const port = await waitFor(
    'the worker to print its port',
    () => Number(/live server on \S+:(\d+)/.exec(out)?.[1] ?? 0) || (child.exitCode !== null ? -1 : 0),
    300_000, // a bound: tsx compiles the worker first, minutes on a busy machine
  );
  if (port < 0) throw new Error(`the worker exited: ${out}`);
  await waitFor(readyWhat, () => ready(port), 120_000);
  return { child, port, output: () => out };
}

/**
 * A report_state from `host` as neutron's agents cast it on `neutron` / `q-reports-plugin`, with
 * oslo's `_unique_id` `uniqueId` (its delivery identity): a Linux bridge agent, or an Open
 * vSwitch one (with `tunnel_types: ['vxlan']`), whose VTEP (`tunneling_ip`) is `vtep`, l2pop on.
 */
export function reportState(host: string, uniqueId: string, agent: 'linuxbridge' | 'openvswitch', vtep: string): Buffer {
  const state =
    agent === 'linuxbridge'
      ? { binary: 'neutron-linuxbridge-agent', host, agent_type: 'Linux bridge agent', configurations: { tunneling_ip: vtep, l2_population: true } }
      : {
          binary: 'neutron-openvswitch-agent',
          host,
          agent_type: 'Open vSwitch agent',
          configurations: { tunneling_ip: vtep, l2_population: true, tunnel_types: ['vxlan'] },
        };
  return Buffer.from(
    JSON.stringify({
      'oslo.version': '2.0',
      'oslo.message': JSON.stringify({ method: 'report_state', _unique_id: uniqueId, args: { agent_state: { agent_state: state } } }),
    }),
  );
}

/** Stored rows of a burst whose unique ids start `<tag>-`: how many, and how many distinct delivery identities. */
export async function storedOf(db: Db, tag: string): Promise<{ rows: number; distinct: number }> {
  const rows = await db.message.findMany({ where: { uniqueId: { startsWith: `${tag}-` } }, select: { uniqueId: true } });
  return { rows: rows.length, distinct: new Set(rows.map((r) => r.uniqueId)).size };
}
