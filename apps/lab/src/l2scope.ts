/**
 * The one place where the lab talks to l2scope itself (the worker and the dashboard), so the
 * contract is easy to adjust:
 * - worker: `npx tsx apps/worker/src/main.ts --amqp <url> --port <P> --db <DATABASE_URL>` with
 *   `L2SCOPE_WORKER_TOKEN` set, `GET http://127.0.0.1:<P>/healthz` -> 200 when connected,
 *   `GET /api/model` with `Authorization: Bearer <token>` -> ModelSnapshot JSON;
 * - dashboard (worker + web): `npm start -- --amqp <url> --no-replay` with `L2SCOPE_WORKER_TOKEN`
 *   set (so the lab can read the worker too), which prints its URL.
 * Both are started as tracked daemons (own session, stopped by PID).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelSnapshot } from '@l2scope/domain';
import { createServer, type AddressInfo } from 'node:net';
import { FatalWaitError, sleep, waitFor } from './exec';
import { paths } from './paths';
import { isRunning, startDaemon, stopDaemon, tail, type ProcRecord } from './procs';

/** The monorepo root (apps/lab/src/../../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The worker's entry point. */
export const WORKER_MAIN = path.join(REPO_ROOT, 'apps/worker/src/main.ts');

/** Whether the worker exists in this checkout. */
export function workerAvailable(): boolean {
  return existsSync(WORKER_MAIN);
}

/** Whether `npm start` (the dashboard launcher) exists in this checkout. */
export function dashboardAvailable(): boolean {
  try {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    const start = pkg.scripts?.start;
    const script = start?.match(/tsx\s+(\S+)/)?.[1];
    return !!start && (!script || existsSync(path.join(REPO_ROOT, script)));
  } catch {
    return false;
  }
}

/** A running worker. */
export interface WorkerHandle {
  port: number;
  proc: ProcRecord;
  baseUrl: string;
  /** Its shared secret (`L2SCOPE_WORKER_TOKEN`): `/api/*` answers 401 without it. */
  token: string;
}

/** A fresh shared secret for a worker the lab starts. */
function newWorkerToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The headers of a worker `/api/*` request. */
export function workerHeaders(w: Pick<WorkerHandle, 'token'>): { authorization: string } {
  return { authorization: `Bearer ${w.token}` };
}

/**
 * Start the l2scope worker tapping `amqpUrl` and wait for `/healthz` (up to 120 s).
 * @param extraArgs more worker flags, e.g. `['--command-key', file, '--toggle-deadline', '300']`
 * @throws Error with the worker's log tail when it does not get healthy
 */
export async function startWorker(amqpUrl: string, port: number, dbUrl: string, extraArgs: readonly string[] = []): Promise<WorkerHandle> {
  const log = paths.log(`l2scope-worker-${port}`);
  const token = newWorkerToken();
  const proc = await startDaemon(
    ['npx', 'tsx', WORKER_MAIN, '--amqp', amqpUrl, '--port', String(port), '--host', '127.0.0.1', '--db', dbUrl, ...extraArgs],
    log,
    {
      cwd: REPO_ROOT,
      settleMs: 500,
      env: { DATABASE_URL: dbUrl, L2SCOPE_WORKER_TOKEN: token, PATH: `${path.join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}` },
    },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'l2scope worker /healthz',
      async () => {
        if (!isRunning(proc)) throw new FatalWaitError('the worker exited');
        const r = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
        return r.ok ? true : undefined;
      },
      120_000,
      500,
    );
  } catch (e) {
    await stopDaemon(proc);
    throw new Error(`${(e as Error).message}\n${tail(log, 20)}`, { cause: e });
  }
  return { port, proc, baseUrl, token };
}

/** The worker's model (`GET /api/model`). @throws Error on a non-200 answer */
export async function fetchModel(w: Pick<WorkerHandle, 'baseUrl' | 'token'>): Promise<ModelSnapshot> {
  const r = await fetch(`${w.baseUrl}/api/model`, { headers: workerHeaders(w), signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`GET /api/model: ${r.status}`);
  return (await r.json()) as ModelSnapshot;
}

/**
 * The dashboard URL in `npm start`'s output: the `l2scope is up: <url>` line (printed once the
 * worker and the web answer), or undefined while it has not been printed.
 */
export function dashboardUrlFrom(text: string): string | undefined {
  return /l2scope is up:\s*(https?:\/\/\S+)/.exec(text)?.[1];
}

/**
 * The first-start sign-in in `npm start`'s output (`first start: user admin, password X`), printed
 * beside the URL when the database had no users (docs/auth.md), or undefined.
 */
export function firstLoginFrom(text: string): string | undefined {
  return /\(first start: (user \S+, password \S+)/.exec(text)?.[1];
}

/** Preferred ports of the dashboard (`npm start --port`) and of its worker (`--live-port`). */
export const DASHBOARD_PORTS = { web: Number(process.env.PORT ?? 3000), worker: Number(process.env.L2SCOPE_LIVE_PORT ?? 3001) };

/** Whether nothing listens on `port` (a listen on all addresses succeeds). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, () => srv.close(() => resolve(true)));
  });
}

/** `preferred` when free, else a free port the kernel picks. */
export async function pickPort(preferred: number): Promise<number> {
  if (await portFree(preferred)) return preferred;
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether the web app has a production build (`next start` needs one). */
export function webBuilt(): boolean {
  return existsSync(path.join(REPO_ROOT, 'apps/web/.next/BUILD_ID'));
}

/**
 * Wait until l2scope's model (the dashboard's worker, `GET /api/model`) holds at least one host (named, or a VTEP):
 * what the browser shows as the first host of the topology.
 * @returns the host names then, or null after `timeoutMs`
 */
export async function waitFirstHost(baseUrl: string, token: string, timeoutMs: number): Promise<string[] | null> {
  try {
    return await waitFor(
      "a host in l2scope's model",
      async () => {
        const m = await fetchModel({ baseUrl, token });
        // a VTEP known only from an l2pop cast is drawn as a host too, until its agent reports its name
        const names = m.hosts.map((h) => h.name ?? h.id);
        return names.length > 0 ? names : undefined;
      },
      timeoutMs,
      250,
    );
  } catch {
    return null;
  }
}

/**
 * Start the whole dashboard (`npm start -- --amqp <url> --no-replay --port P --live-port Q`, with
 * `DATABASE_URL=dbUrl` so it never shares a database with another l2scope on the machine) and wait
 * until it prints its URL.
 * @param extraArgs more `npm start` flags, e.g. `['--neutron-api', API_URL]` (names from the lab's API)
 * @returns the process record, the URL it printed and the worker's token
 */
export async function startDashboard(
  amqpUrl: string,
  ports: { web: number; worker: number },
  dbUrl: string,
  extraArgs: readonly string[] = [],
): Promise<{ proc: ProcRecord; url: string; token: string; firstLogin: string | undefined }> {
  const log = paths.log('l2scope-dashboard');
  const token = newWorkerToken();
  rmSync(log, { force: true }); // only this run's output may be searched for the URL
  const proc = await startDaemon(
    ['npm', 'start', '--', '--amqp', amqpUrl, '--no-replay', '--port', String(ports.web), '--live-port', String(ports.worker), ...extraArgs],
    log,
    {
      cwd: REPO_ROOT,
      settleMs: 500,
      // node tooling: the caller's PATH (nvm etc.), not the Debian one; the demo's own database
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: dbUrl, L2SCOPE_WORKER_TOKEN: token },
    },
  );
  const url = await waitFor(
    "the dashboard URL in npm start's output",
    async () => {
      if (!isRunning(proc)) throw new FatalWaitError(`npm start exited:\n${tail(log, 20)}`);
      return dashboardUrlFrom(readFileSync(log, 'utf8'));
    },
    600_000,
    500,
  );
  await sleep(1000);
  if (!isRunning(proc)) throw new Error(`npm start exited right after printing its URL:\n${tail(log, 20)}`);
  return { proc, url, token, firstLogin: firstLoginFrom(readFileSync(log, 'utf8')) };
}
