/**
 * A real l2scope stack for one spec: the worker (tsx) and the built Next.js app (`next start`),
 * sharing a fresh database, optionally tapping an isolated RabbitMQ vhost.
 */
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { type TestDatabase, type TestVhost, createTestDatabase, createTestVhost, TAP_LEAST_PRIVILEGE } from '@l2scope/testkit';

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

async function waitHttp(url: string, child: ResultPromise, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.then(() => (exited = true), () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`process serving ${url} exited early`);
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready in ${timeoutMs} ms`);
}

export interface Stack {
  webUrl: string;
  livePort: number;
  db: TestDatabase;
  /** Set when the stack taps a broker: the vhost, and the URL of a user playing neutron-server. */
  vhost: TestVhost | null;
  stop(): Promise<void>;
}

/**
 * Start a stack. With `amqp: true` the worker taps a fresh vhost (least-privilege user) whose
 * Neutron exchanges are declared first, as a running neutron-server would have them.
 * `workerArgs` are passed on (e.g. `--replay fixtures/lab3.jsonl --speed 0`).
 */
export async function startStack(opts: { amqp?: boolean; workerArgs?: string[] } = {}): Promise<Stack> {
  const db = await createTestDatabase();
  const vhost = opts.amqp ? await createTestVhost('l2scope-e2e') : null;
  const livePort = await freePort();
  const webPort = await freePort();
  const env = { ...process.env, DATABASE_URL: db.url, L2SCOPE_LIVE_PORT: String(livePort), PORT: String(webPort), FORCE_COLOR: '0' };
  const args = ['tsx', path.join(root, 'apps/worker/src/main.ts'), '--port', String(livePort), '--host', '127.0.0.1', ...(opts.workerArgs ?? [])];
  if (vhost) {
    const { declareNeutronExchanges } = await import('./neutron');
    await declareNeutronExchanges(vhost.adminUrl);
    const tap = await vhost.addUser(TAP_LEAST_PRIVILEGE);
    args.push('--amqp', tap.url);
  }
  const worker = execa('npx', args, { cwd: root, env, reject: false, all: true });
  const logs: string[] = [];
  worker.all?.on('data', (d: Buffer) => logs.push(d.toString()));
  const web = execa('npx', ['next', 'start', '-p', String(webPort), '-H', '127.0.0.1'], { cwd: path.join(root, 'apps/web'), env, reject: false, all: true });
  web.all?.on('data', (d: Buffer) => logs.push(d.toString()));
  try {
    await waitHttp(`http://127.0.0.1:${livePort}/api/stats`, worker);
    await waitHttp(`http://127.0.0.1:${webPort}/`, web);
  } catch (err) {
    worker.kill();
    web.kill();
    throw new Error(`${(err as Error).message}\n--- logs ---\n${logs.join('')}`, { cause: err });
  }
  return {
    webUrl: `http://127.0.0.1:${webPort}`,
    livePort,
    db,
    vhost,
    async stop() {
      worker.kill('SIGTERM');
      web.kill('SIGTERM');
      await Promise.allSettled([worker, web]);
      await vhost?.cleanup();
      await db.drop();
    },
  };
}
