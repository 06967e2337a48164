/**
 * Running the node's read-only commands: argv in, stdout out, bounded in time and size, never a
 * shell. Commands run in the agent's own network namespace (as on a real host; in the lab the
 * agent itself runs under `ip netns exec`).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Result of one command. */
export interface CommandResult {
  ok: boolean;
  stdout: string;
  /** Why it failed: `not found`, `exit 1: <stderr first line>`, `timed out after N ms`. */
  error: string | null;
}

/** Options of {@link runCommand}. */
export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Maximum stdout bytes (default 256 MiB: a very large FDB). */
  maxBuffer?: number;
}

/** Run `argv` (no shell) and collect its stdout. Never throws. */
export function runCommand(argv: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  const [cmd, ...args] = argv;
  const timeout = opts.timeoutMs ?? 15_000;
  return new Promise((resolve) => {
    execFile(
      cmd!,
      args,
      { timeout, maxBuffer: opts.maxBuffer ?? 256 * 1024 * 1024, env: opts.env ?? process.env, encoding: 'utf8', killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (!err) return resolve({ ok: true, stdout, error: null });
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string };
        let error: string;
        if (e.code === 'ENOENT') error = `${cmd}: not found`;
        else if (e.killed || e.signal === 'SIGKILL') error = `${cmd}: timed out after ${timeout} ms`;
        else if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') error = `${cmd}: output over the size limit`;
        else error = `${cmd}: exit ${String(e.code ?? e.signal)}: ${(stderr || e.message).trim().split('\n')[0]!.slice(0, 400)}`;
        resolve({ ok: false, stdout, error });
      },
    );
  });
}

/** The absolute path of an executable found on PATH, or null. */
export function which(cmd: string, envPath = process.env.PATH ?? ''): string | null {
  if (cmd.includes('/')) return isExecutable(cmd) ? cmd : null;
  for (const dir of envPath.split(':')) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    if (isExecutable(p)) return p;
  }
  return null;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
