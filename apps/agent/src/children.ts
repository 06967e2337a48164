/**
 * Long-running child processes of the agent (`ip monitor`, `bridge monitor`, `tcpdump`): spawned
 * without a shell, restarted with backoff when they die, stopped by PID (SIGTERM, then SIGKILL).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { type Log, errLine } from './log';

/** Stop a child by its PID: SIGTERM, SIGKILL after `graceMs`. Resolves when it has exited. */
export function stopChild(child: ChildProcess | null, graceMs = 2000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    child.once('exit', done);
    const t = setTimeout(() => {
      try {
        child.kill('SIGKILL');
      } catch {
        // gone
      }
      setTimeout(resolve, 500).unref();
    }, graceMs);
    try {
      child.kill('SIGTERM');
    } catch {
      done();
    }
  });
}

/** Call `onLine` for each complete line of a stream. */
export function onLines(stream: Readable, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const text = rest + chunk;
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    if (rest.length > 65_536) rest = rest.slice(-65_536);
    for (const l of lines) onLine(l);
  });
}

/**
 * A command whose output lines are change triggers (`ip monitor link neigh`, `bridge monitor fdb`),
 * kept running: restarted 1 s, 2 s, ... up to 60 s after it dies.
 */
export class TriggerMonitor {
  private child: ChildProcess | null = null;
  private stopped = false;
  private restarts = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Lines seen so far. */
  lines = 0;

  constructor(
    private readonly argv: string[],
    private readonly onTrigger: (line: string) => void,
    private readonly log: Log,
    private readonly env?: NodeJS.ProcessEnv,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.stopped) return;
    const [cmd, ...args] = this.argv;
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], env: this.env ?? process.env });
    this.child = child;
    let stderr = '';
    let gone = false;
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      stderr = (stderr + d).slice(-500);
    });
    onLines(child.stdout!, (line) => {
      if (!line.trim()) return;
      this.lines++;
      this.onTrigger(line);
    });
    const onGone = (why: string) => {
      if (gone) return;
      gone = true;
      if (this.child === child) this.child = null;
      if (this.stopped) return;
      const delay = Math.min(60_000, 1000 * 2 ** Math.min(this.restarts++, 6));
      this.log(`monitor: ${this.argv.join(' ')} ${why}${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}; restart in ${delay / 1000} s`);
      this.timer = setTimeout(() => this.start(), delay);
    };
    child.on('error', (e) => onGone(`failed: ${errLine(e)}`));
    child.on('spawn', () => {
      this.log(`monitor: ${this.argv.join(' ')} running (pid ${child.pid})`);
    });
    child.on('exit', (code, signal) => onGone(`exited (${code ?? signal})`));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await stopChild(this.child);
  }
}
