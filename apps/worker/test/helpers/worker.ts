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
import type { ExchangeSpec } from '@l2scope/domain';
import { TAP_LEAST_PRIVILEGE, type TestDatabase, type TestVhost, createTestDatabase, createTestVhost, waitFor } from '@l2scope/testkit';
import { exchangeFor } from '../../src';

/** The repository's root directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * Declare `exchanges` on the broker at `url`, on a connection closed before returning: a name as
 * neutron-server declares it (`exchangeFor`: type, durable, auto-delete), a spec (e.g.
 * `NODE_EXCHANGE`) as it says. A name given twice is declared once.
 */
export async function declareExchanges(url: string, exchanges: Iterable<string | ExchangeSpec>): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    const specs = new Map([...exchanges].map((e) => (typeof e === 'string' ? exchangeFor(e) : e)).map((e) => [e.name, e]));
    for (const spec of specs.values()) await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  } finally {
    await conn.close();
  }
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
  const db = await createTestDatabase();
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
    60_000,
  );
  if (port < 0) throw new Error(`the worker exited: ${out}`);
  await waitFor(readyWhat, () => ready(port), 30_000);
  return { child, port, output: () => out };
}
