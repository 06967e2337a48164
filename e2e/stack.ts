/**
 * A real l2scope stack for one spec: the worker (tsx) and the built Next.js app (`next start`),
 * sharing a fresh database, optionally tapping an isolated RabbitMQ vhost. The database gets the
 * e2e user and the session of the saved browser state (auth.ts), so pages open signed in.
 */
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { migrate } from '@l2scope/db/migrate';
import { NODE_EXCHANGE, nodeAgentTopicPattern } from '@l2scope/domain';
import {
  type TestDatabase,
  type TestVhost,
  createTestDatabase,
  createTestVhost,
  createWorkerToken,
  NODE_AGENT_PRIVILEGE,
  TAP_LEAST_PRIVILEGE,
  workerAuthHeaders,
} from '@l2scope/testkit';
import { seedLogin } from './auth';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitHttp(url: string, child: ResultPromise, timeoutMs = 90_000, headers: Record<string, string> = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.then(
    () => (exited = true),
    () => (exited = true),
  );
  while (Date.now() < deadline) {
    if (exited) throw new Error(`process serving ${url} exited early`);
    try {
      const r = await fetch(url, { headers });
      if (r.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready in ${timeoutMs} ms`);
}

/**
 * SIGTERM a child's whole process group, SIGKILL it if it has not exited after `graceMs`; with
 * `graceMs` 0, SIGKILL at once.
 */
async function stopGroup(child: ResultPromise, graceMs = 10_000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  if (graceMs > 0) signal('SIGTERM');
  const exited = await Promise.race([
    child.then(
      () => true,
      () => true,
    ),
    new Promise<false>((r) => setTimeout(() => r(false), graceMs)),
  ]);
  if (!exited) signal('SIGKILL');
  await child.catch(() => undefined);
  signal('SIGKILL'); // grandchildren that outlived their parent
}

/** A node agent's RabbitMQ login in a stack: its own publish-only user, mapped to its host by the worker's `--node-agent-user`. */
export interface NodeAgentLogin {
  user: string;
  url: string;
}

/** The hosts of the fixtures' node snapshots: each gets a node agent user in a stack with `nodeAmqp`. */
export const FIXTURE_NODE_HOSTS = ['controller', 'compute1', 'compute2', 'compute3', 'ovs1'] as const;

export interface Stack {
  webUrl: string;
  /** The worker's live port (loopback): socket.io and `/api/*`; browsers go through `webUrl`. */
  livePort: number;
  /** The worker's shared secret (`L2SCOPE_WORKER_TOKEN`, given to the worker and the web server). */
  workerToken: string;
  /**
   * `GET` a worker endpoint (`/api/nodes`, `/api/model`, `/api/stats`) with the token; its JSON.
   * @throws Error on a non-2xx answer
   */
  workerApi<T>(path: string): Promise<T>;
  db: TestDatabase;
  /** Set when the stack taps a broker: the vhost, and the URL of a user playing neutron-server. */
  vhost: TestVhost | null;
  /** The tap's least-privilege RabbitMQ user (set with `amqp` / `nodeAmqp`): `vhost.closeConnections(tapUser)` cuts it off. */
  tapUser: string | null;
  /** With `nodeAmqp`: per host of {@link FIXTURE_NODE_HOSTS} (or `nodeHosts`), its node agent's login (topic permission for its own keys). */
  nodeAgents: ReadonlyMap<string, NodeAgentLogin>;
  stop(): Promise<void>;
}

/**
 * Start a stack. With `amqp: true` the worker taps a fresh vhost (least-privilege user) whose
 * Neutron exchanges are declared first, as a running neutron-server would have them.
 * With `nodeAmqp: true` the node agents' exchange is declared on the vhost too and each fixture host
 * gets its node agent's user (tests publish node snapshots and BUM reports as them, `nodeAgents`,
 * see `nodePublisher`); without `amqp` only that exchange is tapped
 * (`--node-amqp`), so a capture can still be replayed in-process.
 * `nodeHosts` replaces {@link FIXTURE_NODE_HOSTS} as the hosts given a node agent user (e.g. the DVR lab's `ovs1`..`ovs3`).
 * `workerArgs` are passed on (e.g. `--replay fixtures/lab3.jsonl --speed 0`).
 * `prepare` fills the migrated database before the worker and the web server start (e.g. a million
 * stored messages for the inspector's performance script).
 */
export async function startStack(
  opts: { amqp?: boolean; nodeAmqp?: boolean; workerArgs?: string[]; nodeHosts?: readonly string[]; prepare?: (databaseUrl: string) => Promise<void> } = {},
): Promise<Stack> {
  // migrated up front (SQLite: a copy of testkit's migrated template): the worker finds every
  // migration recorded and starts without the schema engine, and the login can be seeded at once
  const db = await createTestDatabase(undefined, { migrated: migrate });
  await seedLogin(db.url);
  await opts.prepare?.(db.url);
  const vhost = opts.amqp || opts.nodeAmqp ? await createTestVhost('l2scope-e2e') : null;
  const livePort = await freePort();
  const webPort = await freePort();
  const workerToken = createWorkerToken();
  // the web server reaches the worker at 127.0.0.1:<livePort> (L2SCOPE_LIVE_PORT) and presents the
  // token; the worker allows the origins http://{localhost,127.0.0.1}:<PORT>
  const env = {
    ...process.env,
    DATABASE_URL: db.url,
    L2SCOPE_LIVE_PORT: String(livePort),
    L2SCOPE_WORKER_TOKEN: workerToken,
    PORT: String(webPort),
    FORCE_COLOR: '0',
  };
  const args = [path.join(root, 'apps/worker/src/main.ts'), '--port', String(livePort), '--host', '127.0.0.1', ...(opts.workerArgs ?? [])];
  if (vhost && opts.nodeAmqp) {
    // the node agents' exchange exists before anyone publishes (the worker declares it too; agents may not)
    const { declareNodeExchange } = await import('./nodes');
    await declareNodeExchange(vhost.adminUrl);
  }
  let tapUser: string | null = null;
  if (vhost) {
    if (opts.amqp) {
      const { declareNeutronExchanges } = await import('./neutron');
      await declareNeutronExchanges(vhost.adminUrl);
    }
    const tap = await vhost.addUser(TAP_LEAST_PRIVILEGE);
    tapUser = tap.user;
    args.push(opts.amqp ? '--amqp' : '--node-amqp', tap.url);
  }
  // one publish-only user per host, generated names (users are broker-wide) mapped for the worker
  const nodeAgents = new Map<string, NodeAgentLogin>();
  if (vhost && opts.nodeAmqp) {
    for (const host of opts.nodeHosts ?? FIXTURE_NODE_HOSTS) {
      const topics = [{ exchange: NODE_EXCHANGE.name, write: nodeAgentTopicPattern(host), read: '^$' }];
      const login = await vhost.addUser(NODE_AGENT_PRIVILEGE, { topics });
      nodeAgents.set(host, login);
      args.push('--node-agent-user', `${login.user}=${host}`);
    }
  }
  // the binaries themselves, not npx: a signal must reach the server, not a wrapper
  // each in its own process group, stopped as a group (tsx and next start child processes)
  const worker = execa(path.join(root, 'node_modules/.bin/tsx'), args, { cwd: root, env, reject: false, all: true, detached: true });
  const logs: string[] = [];
  worker.all?.on('data', (d: Buffer) => logs.push(d.toString()));
  const web = execa(path.join(root, 'node_modules/.bin/next'), ['start', '-p', String(webPort), '-H', '127.0.0.1'], {
    cwd: path.join(root, 'apps/web'),
    env,
    reject: false,
    all: true,
    detached: true,
  });
  web.all?.on('data', (d: Buffer) => logs.push(d.toString()));
  try {
    await waitHttp(`http://127.0.0.1:${livePort}/api/stats`, worker, 90_000, workerAuthHeaders(workerToken));
    await waitHttp(`http://127.0.0.1:${webPort}/`, web);
  } catch (err) {
    await Promise.all([stopGroup(worker), stopGroup(web)]);
    throw new Error(`${(err as Error).message}\n--- logs ---\n${logs.join('')}`, { cause: err });
  }
  return {
    webUrl: `http://127.0.0.1:${webPort}`,
    livePort,
    workerToken,
    async workerApi<T>(p: string): Promise<T> {
      const r = await fetch(`http://127.0.0.1:${livePort}${p}`, { headers: workerAuthHeaders(workerToken) });
      if (!r.ok) throw new Error(`GET ${p} on the worker: ${r.status}`);
      return (await r.json()) as T;
    },
    db,
    vhost,
    tapUser,
    nodeAgents,
    async stop() {
      // the web server holds nothing to save (the worker writes the data, the database is dropped
      // below) and `next start`'s graceful exit took 3 s per stack: it is killed, the worker drained
      await Promise.all([stopGroup(worker), stopGroup(web, 0)]);
      // L2SCOPE_E2E_LOGS=1: the worker's and the web server's output, to diagnose a failed spec
      if (process.env.L2SCOPE_E2E_LOGS) process.stdout.write(`--- stack logs ---\n${logs.join('')}\n`);
      await vhost?.cleanup();
      await db.drop();
    },
  };
}
