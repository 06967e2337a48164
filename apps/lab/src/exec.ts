/**
 * Running short commands: plain, inside a namespace, and the JSON forms of iproute2.
 * Long-running daemons are started by `procs.ts` instead.
 */
import { execa } from 'execa';
import { SYSTEM_PATH } from './paths';

/** Environment for every command and daemon: Debian's PATH, no pyenv/python overrides (docs/lab.md#gotcha-8). */
export function systemEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('PYENV') || k.startsWith('PYTHON') || k === 'VIRTUAL_ENV') continue;
    env[k] = v;
  }
  return { ...env, PATH: SYSTEM_PATH, LC_ALL: 'C', ...extra };
}

/** Result of a command that was allowed to fail. */
export interface RunResult {
  ok: boolean;
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Return a failed result instead of throwing (default false: throw with the command's stderr). */
  allowFail?: boolean;
  input?: string;
  env?: Record<string, string>;
  /** Milliseconds (default 120 s). */
  timeout?: number;
  cwd?: string;
}

/**
 * Run `cmd args...` and return its output.
 * @throws Error naming the command, its exit code and stderr, unless `allowFail`
 */
export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await execa(cmd, args, {
    reject: false,
    env: systemEnv(opts.env),
    extendEnv: false,
    timeout: opts.timeout ?? 120_000,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
  });
  const res: RunResult = { ok: r.exitCode === 0, code: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if (!res.ok && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.exitCode ?? r.signal ?? 'timeout'}): ${res.stderr.trim() || res.stdout.trim()}`);
  }
  return res;
}

/** `ip netns exec <ns> cmd args...`. */
export function nsRun(ns: string, cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

/** `ip -n <ns> args...` (no namespace: the root one). */
export function ip(ns: string | null, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('ip', ns ? ['-n', ns, ...args] : args, opts);
}

/** Names of the network namespaces that exist (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  const r = await run('ip', ['-j', 'netns', 'list'], { allowFail: true });
  if (!r.ok || !r.stdout.trim()) return [];
  return (JSON.parse(r.stdout) as { name: string }[]).map((n) => n.name);
}

/** Whether a link exists in a namespace. */
export async function linkExists(ns: string, dev: string): Promise<boolean> {
  return (await ip(ns, ['link', 'show', 'dev', dev], { allowFail: true })).ok;
}

/** Sleep `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An error a {@link waitFor} probe throws to stop waiting at once (e.g. the awaited process exited). */
export class FatalWaitError extends Error {}

/**
 * Poll `probe` every `everyMs` until it returns a non-undefined value. A probe error is retried,
 * except a {@link FatalWaitError}, which is rethrown at once.
 * @throws Error `timed out after <ms> ms waiting for <what>` (with the last probe error, if any)
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof FatalWaitError) throw e;
      last = e;
    }
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    }
    await sleep(everyMs);
  }
}
