/**
 * `npm start`: bring l2scope up on this machine — the worker (embedded defaults: SQLite, the
 * built-in demo: the real lab3 capture once, then the real faults capture in a loop, each beside the
 * node snapshots and BUM reports of the same lab run; or `--amqp URL` to tap a broker live; or
 * `--replay FILE`, once unless `--loop`) and the web dashboard — then print the URL. Ctrl-C, or
 * SIGINT / SIGTERM / SIGHUP to this process alone, stops both and everything they started.
 * `npm start` runs the build (turbo: Prisma clients, Next; cached when nothing changed) first.
 * The worker listens on 127.0.0.1 only; browsers reach its socket.io through the dashboard's origin.
 * On the first start (no user in the database) it creates the user `admin` with a random password
 * and prints it once beside the URL (docs/auth.md).
 *
 *   npm start [-- --amqp URL] [--no-replay] [--replay FILE [--loop]] [--once] [--speed N] [--port 3000] [--live-port 3001] [--neutron-api URL]
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { execa, type ResultPromise } from 'execa';
import { connectAuth, ensureFirstAdmin } from '@l2scope/auth';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const o = new Command('l2scope up')
  .option('--amqp <url>', 'tap this RabbitMQ live instead of playing the built-in demo', process.env.AMQP_URL)
  .option('--replay <file>', 'replay this capture (.jsonl) instead of the built-in demo: once, unless --loop')
  .option('--no-replay', 'replay nothing (live tap only)')
  .option('--loop', 'replay --replay FILE in a loop', false)
  .option('--once', "play the demo's looping part (the faults and their repair) once, then stop feeding", false)
  .option('--speed <n>', 'replay speed', '1')
  .option('--port <port>', 'dashboard port', process.env.PORT ?? '3000')
  .option('--live-port <port>', "worker's live (socket.io) port, on 127.0.0.1", process.env.L2SCOPE_LIVE_PORT ?? '3001')
  .option('--all-rpc', "also tap the rest of Neutron's agent RPC", false)
  .option('--neutron-api <url>', 'poll this Neutron endpoint (noauth) for port, instance and network names (docs/neutron-api.md)')
  .parse()
  .opts<{
    amqp?: string;
    replay: string | boolean;
    loop: boolean;
    once: boolean;
    speed: string;
    port: string;
    livePort: string;
    allRpc: boolean;
    neutronApi?: string;
  }>();

const workerArgs = ['--port', o.livePort, '--speed', o.speed];
if (o.amqp) workerArgs.push('--amqp', o.amqp);
if (o.allRpc) workerArgs.push('--all-rpc');
if (o.neutronApi) workerArgs.push('--neutron-api', o.neutronApi);
/** What the start line says the worker is fed with. */
let source: string;
if (typeof o.replay === 'string') {
  const file = path.resolve(o.replay);
  workerArgs.push('--replay', file, o.loop ? '--loop' : '--once');
  source = `replaying ${path.relative(process.cwd(), file) || file}${o.loop ? ' in a loop' : ' once'}${o.amqp ? ' onto the broker' : ''}`;
  if (o.amqp) source = `tapping the broker live, ${source}`;
} else if (o.amqp) {
  source = 'tapping the broker live';
} else if (o.replay === false) {
  workerArgs.push('--no-demo');
  source = 'no source: nothing replayed, no broker';
} else {
  workerArgs.push('--demo', ...(o.once ? ['--once'] : []));
  source = `playing the demo: fixtures/lab3.jsonl once, then fixtures/faults.jsonl${o.once ? ' once' : ' in a loop'}, beside the node snapshots and BUM reports of the same lab runs`;
}

/** Resolve when nothing listens on `port` (IPv4 and IPv6 wildcard), else reject naming it. */
function portFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `port ${port} is already in use (another l2scope?); choose others with --port / --live-port` : err.message)),
    );
    s.listen(port, () => s.close(() => resolve()));
  });
}

try {
  await portFree(Number(o.port));
  await portFree(Number(o.livePort));
} catch (err) {
  console.error(`l2scope: ${(err as Error).message}`);
  process.exit(1);
}

// the worker listens on loopback only and serves socket.io and /api/* to holders of this secret: the
// web server (which proxies the browsers' /socket.io to it) and operators who set it themselves.
// A fresh one per run unless L2SCOPE_WORKER_TOKEN is set; it is never printed.
const env = {
  ...process.env,
  L2SCOPE_LIVE_PORT: o.livePort,
  L2SCOPE_WORKER_TOKEN: process.env.L2SCOPE_WORKER_TOKEN || randomBytes(32).toString('base64url'),
  PORT: o.port,
  FORCE_COLOR: '0',
};
const children: ResultPromise[] = [];

async function waitHttp(url: string, timeoutMs: number, child: ResultPromise): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.then(
    () => (exited = true),
    () => (exited = true),
  );
  while (Date.now() < deadline) {
    if (exited) throw new Error(`process for ${url} exited before it was ready`);
    try {
      const res = await fetch(url);
      if (res.status < 500 || res.status === 503) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs / 1000} s`);
}

/**
 * Stop both children and exit. Each child runs in its own process group (tsx and next start
 * processes of their own), so the whole group is signalled: SIGTERM, SIGKILL after 5 s. A SIGTERM
 * to this script (not only Ctrl-C in its terminal) leaves nothing behind.
 */
let stopping = false;
function stopAll(code: number): never {
  if (!stopping) {
    stopping = true;
    const signal = (sig: NodeJS.Signals) => {
      for (const c of children) {
        try {
          if (c.pid !== undefined) process.kill(-c.pid, sig);
        } catch {
          // already gone
        }
      }
    };
    signal('SIGTERM');
    setTimeout(() => {
      signal('SIGKILL');
      process.exit(code);
    }, 5000).unref();
    Promise.allSettled(children).then(() => {
      signal('SIGKILL'); // grandchildren that outlived their parent
      process.exit(code);
    });
  }
  // keep TypeScript happy: the process exits from the callbacks above
  return undefined as never;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => stopAll(0));

// the binaries themselves (no npx / npm wrapper), each in its own process group: see stopAll
const worker = execa(path.join(root, 'node_modules/.bin/tsx'), [path.join(root, 'apps/worker/src/main.ts'), ...workerArgs], {
  cwd: root,
  env,
  stdio: 'inherit',
  reject: false,
  detached: true,
});
children.push(worker);
try {
  await waitHttp(`http://127.0.0.1:${o.livePort}/healthz`, 120_000, worker);
} catch (err) {
  console.error(`l2scope: the worker did not come up: ${(err as Error).message}`);
  stopAll(1);
}
// the worker has migrated the database: make the first admin on a database without users (the
// secret file, when no secret is set, is created here, before the dashboard reads it)
let firstAdminPassword: string | null = null;
try {
  const { auth, close } = await connectAuth();
  try {
    firstAdminPassword = await ensureFirstAdmin(auth);
  } finally {
    await close();
  }
} catch (err) {
  console.error(`l2scope: cannot set up the first user: ${(err as Error).message}`);
  stopAll(1);
}
const web = execa(path.join(root, 'node_modules/.bin/next'), ['start'], {
  cwd: path.join(root, 'apps/web'),
  env,
  stdio: 'inherit',
  reject: false,
  detached: true,
});
children.push(web);
try {
  await waitHttp(`http://127.0.0.1:${o.port}/`, 120_000, web);
} catch (err) {
  console.error(`l2scope: the dashboard did not come up: ${(err as Error).message}`);
  stopAll(1);
}
console.log(
  firstAdminPassword
    ? `\nl2scope is up: http://localhost:${o.port}  (first start: user admin, password ${firstAdminPassword} — change it with npm run -s l2scope -- user passwd admin)\n` +
        `${source}; Ctrl-C stops\n`
    : `\nl2scope is up: http://localhost:${o.port}  (${source}; Ctrl-C stops)\n`,
);

for (const c of children) {
  c.then((r) => {
    if (stopping) return;
    console.error(`l2scope: ${r.command.split(' ').slice(0, 3).join(' ')} exited (${r.exitCode ?? r.signal}); stopping`);
    stopAll(typeof r.exitCode === 'number' && r.exitCode !== 0 ? r.exitCode : 1);
  });
}
