/**
 * Real-component helpers for the agent's integration tests: network namespaces of the test's own
 * (prefix `l2sa-<random>`), the socat relay that brings the local RabbitMQ into a namespace
 * (like apps/lab/src/broker.ts: root `UNIX-LISTEN` -> broker, namespace `TCP-LISTEN:127.0.0.1:5672`
 * -> socket), and the agent run inside a namespace with `ip netns exec`, exactly as on a host.
 * Everything started is tracked and removed by {@link Harness.cleanup}, also after a failure.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const AGENT_MAIN = path.join(REPO_ROOT, 'apps/agent/src/main.ts');

/** Root and the tools the tests need; the reason when not. */
export function integrationSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, tcpdump): skipped';
  return null;
}

/** Run a command, throwing with its stderr on failure. */
export async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, { timeout: 30_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(err.stderr ?? err.message).trim()}`, { cause: e });
  }
}

/** A process started by the harness, with its output lines. */
export interface Proc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Namespaces, processes and temp dirs of one test file. */
export class Harness {
  readonly id = randomBytes(3).toString('hex');
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'l2sa-test-'));
  private namespaces: string[] = [];
  private procs: Proc[] = [];

  /** Name of a namespace of this harness. */
  ns(name: string): string {
    return `l2sa-${this.id}-${name}`;
  }

  /** Create a namespace: lo up, IPv6 off (no ND/MLD chatter on the tunnel, docs/lab.md#gotcha-6). */
  async addNamespace(name: string): Promise<string> {
    const ns = this.ns(name);
    await sh('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    await sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    return ns;
  }

  /** `ip -n <ns> ...` */
  ip(ns: string, ...args: string[]): Promise<string> {
    return sh('ip', ['-n', ns, ...args]);
  }

  /** `ip netns exec <ns> cmd ...` */
  exec(ns: string, cmd: string, ...args: string[]): Promise<string> {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  /**
   * `ping -n <args>` inside a namespace (iputils-ping). Resolves with its output whether or not
   * replies came (exit 1 with its summary: none, which some tests want); throws on any other
   * failure, e.g. ping missing (`ip netns exec` exits 1 too, without a summary), so a test never "pings" silently without sending.
   */
  async ping(ns: string, ...args: string[]): Promise<string> {
    try {
      const { stdout } = await execFileP('ip', ['netns', 'exec', ns, 'ping', '-n', ...args], { timeout: 30_000 });
      return stdout;
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
      // exit 1 is also `ip netns exec` failing to start ping: only a ping that ran prints its summary
      if (err.code === 1 && err.stdout?.includes('packets transmitted')) return err.stdout;
      throw new Error(`ping in ${ns} ${args.join(' ')}: ${(err.stderr || err.message).trim()}`, { cause: e });
    }
  }

  /** Start a long-running process in its own process group (killed with the group). */
  start(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Proc {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd ?? '/', env: opts.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const collect = (d: Buffer) => {
      for (const l of d.toString('utf8').split('\n')) if (l.trim()) lines.push(l);
      if (lines.length > 5000) lines.splice(0, lines.length - 5000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('exit', (code, signal) => resolve({ code, signal }));
      child.on('error', () => resolve({ code: -1, signal: null }));
    });
    const p = { child, lines, exited };
    this.procs.push(p);
    return p;
  }

  /** The root-namespace relay: `<dir>/amqp.sock` -> the broker at 127.0.0.1:5672. */
  startRootRelay(): Proc {
    return this.start(['socat', `UNIX-LISTEN:${this.sock},fork,unlink-early`, 'TCP:127.0.0.1:5672']);
  }

  /** A namespace's relay: its 127.0.0.1:5672 -> `<dir>/amqp.sock`. */
  startNsRelay(ns: string): Proc {
    return this.start(['ip', 'netns', 'exec', ns, 'socat', 'TCP-LISTEN:5672,bind=127.0.0.1,fork,reuseaddr', `UNIX-CONNECT:${this.sock}`]);
  }

  get sock(): string {
    return path.join(this.dir, 'amqp.sock');
  }

  /** Run the agent inside `ns` as on a host: `ip netns exec <ns> node --import tsx apps/agent/src/main.ts ...`. */
  startAgent(ns: string, args: string[], env?: NodeJS.ProcessEnv): Proc {
    return this.start(['ip', 'netns', 'exec', ns, process.execPath, '--import', 'tsx', AGENT_MAIN, ...args], { cwd: REPO_ROOT, ...(env ? { env } : {}) });
  }

  /** Run the agent to completion (e.g. `--bundle`). */
  async runAgent(ns: string, args: string[]): Promise<{ code: number | null; lines: string[] }> {
    const p = this.startAgent(ns, args);
    const r = await p.exited;
    return { code: r.code, lines: p.lines };
  }

  /** SIGTERM a process group, SIGKILL after `graceMs`. */
  async stop(p: Proc, graceMs = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const pid = p.child.pid;
    if (pid !== undefined && p.child.exitCode === null && p.child.signalCode === null) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // gone
      }
      const t = setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, graceMs);
      const r = await p.exited;
      clearTimeout(t);
      return r;
    }
    return p.exited;
  }

  /** Stop every process (by process group) and delete every namespace and temp dir. */
  async cleanup(): Promise<void> {
    for (const p of this.procs.reverse()) await this.stop(p, 3000).catch(() => undefined);
    this.procs = [];
    for (const ns of this.namespaces.reverse()) await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
    this.namespaces = [];
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Poll until `check` returns a value other than undefined/false (then return it). */
export async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
