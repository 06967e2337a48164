/**
 * `npm start`'s own process (`tsx scripts/up.ts`, what `npm start` execs after the build) on free
 * ports and a fresh database, as a user runs it:
 *
 * - the built-in demo feeds the node side (every host analysed, BUM reports) with no broker;
 * - SIGINT to that one process (not its group: a `kill -INT <pid>` from elsewhere) stops the worker,
 *   the dashboard and everything they started, and frees both ports;
 * - `--replay FILE` plays FILE once and the start line names it; SIGTERM stops it alike.
 *
 * No browser: the dashboard's pages are the other specs' business.
 */
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { execa } from 'execa';
import { type TestDatabase, createTestDatabase, createWorkerToken, waitFor, workerAuthHeaders } from '@l2scope/testkit';
import type { NodesStatus } from '@l2scope/worker';
import { freePort, root } from '../stack';

/** Every descendant of `pid` (by the parent pids in /proc), deepest last. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // field 4 of /proc/<pid>/stat, after the parenthesised command (which may hold spaces)
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) {
      if (pp !== p) continue;
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

async function startUp(args: string[], db: TestDatabase, token: string) {
  const port = await freePort();
  const livePort = await freePort();
  const up = execa(path.join(root, 'node_modules/.bin/tsx'), ['scripts/up.ts', '--port', String(port), '--live-port', String(livePort), ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: db.url, L2SCOPE_WORKER_TOKEN: token, FORCE_COLOR: '0' },
    reject: false,
    all: true,
    // its own group, so a failing test can clean up; the test signals the pid alone
    detached: true,
  });
  let out = '';
  up.all?.on('data', (d: Buffer) => (out += d.toString()));
  const line = await waitFor(
    'the start line',
    () => {
      if (up.exitCode !== null) throw new Error(`up.ts exited (${up.exitCode}):\n${out}`);
      return /l2scope is up: .*\n.*\n?/.exec(out)?.[0];
    },
    150_000,
    200,
  );
  const cleanup = () => {
    try {
      process.kill(-up.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  };
  return { up, port, livePort, line, out: () => out, cleanup };
}

/** Signal the pid alone and wait until it, every process it started and both ports are gone. */
async function stopsEverything(s: Awaited<ReturnType<typeof startUp>>, signal: NodeJS.Signals) {
  const kids = descendants(s.up.pid!);
  // tsx -> node up.ts -> (tsx -> node worker), (next start -> next-server)
  expect(kids.length).toBeGreaterThanOrEqual(4);
  expect(await listening(s.port)).toBe(true);
  expect(await listening(s.livePort)).toBe(true);
  process.kill(s.up.pid!, signal);
  await waitFor(
    'up.ts and all its processes gone, both ports closed',
    async () => {
      if ([s.up.pid!, ...kids].some(alive)) return false;
      return !(await listening(s.port)) && !(await listening(s.livePort));
    },
    30_000,
    200,
  );
}

test.describe('npm start (scripts/up.ts)', () => {
  test.setTimeout(240_000);
  let db: TestDatabase;
  const token = createWorkerToken();
  test.beforeEach(async () => {
    db = await createTestDatabase();
  });
  test.afterEach(async () => {
    await db?.drop();
  });

  test('the demo feeds the node side; SIGINT to its pid alone stops everything and frees both ports', async () => {
    const s = await startUp([], db, token);
    try {
      expect(s.line).toContain('playing the demo: fixtures/lab3.jsonl once, then fixtures/faults.jsonl in a loop');
      // the node side is alive without a lab or a broker: three hosts analysed against the replayed casts
      await waitFor(
        'three hosts analysed',
        async () => {
          const r = await fetch(`http://127.0.0.1:${s.livePort}/api/nodes`, { headers: workerAuthHeaders(token) });
          const n = (await r.json()) as NodesStatus | null;
          return n && Object.keys(n.analysis?.hosts ?? {}).length === 3 && n.counters.snapshots >= 3;
        },
        60_000,
        250,
      );
      await stopsEverything(s, 'SIGINT');
    } finally {
      s.cleanup();
    }
  });

  test('--replay FILE plays it once and says so; SIGTERM stops everything', async () => {
    const s = await startUp(['--replay', 'fixtures/lab1.jsonl', '--speed', '0'], db, token);
    try {
      expect(s.line).toContain('replaying fixtures/lab1.jsonl once');
      expect(s.out()).toContain(`replaying ${path.join(root, 'fixtures/lab1.jsonl')} in-process at speed 0\n`);
      await stopsEverything(s, 'SIGTERM');
    } finally {
      s.cleanup();
    }
  });
});
