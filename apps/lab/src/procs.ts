/**
 * Daemons the lab starts, tracked by PID and stopped by PID (never by name).
 *
 * Each daemon is started with `setsid` semantics (`detached`), so its PID is also its
 * process group and session: helpers it forks (neutron-server's API/RPC workers, the agents'
 * privsep-helper) share the group and are stopped with it (docs/lab.md#agents `stop_bg`).
 * A record keeps the PID and its start time from `/proc/<pid>/stat`, so a recycled PID is
 * never mistaken for the lab's process; zombies count as stopped (docs/lab.md#gotcha-15).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { systemEnv, sleep } from './exec';
import { isExited, parseProcStat, type ProcStat } from './procstat';

/** A daemon started by the lab, as kept in the state file. */
export interface ProcRecord {
  pid: number;
  /** `startTime` of `/proc/<pid>/stat` right after spawn (clock ticks since boot). */
  startTime: number;
  /** The argv it was started with (for `status` and logs only, never used to find it). */
  argv: string[];
  /** Its stdout+stderr log file. */
  log: string;
  /** Epoch ms it was started. */
  startedAt: number;
}

/** Read `/proc/<pid>/stat`, or null when there is no such process. */
export function readStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** True when the recorded process still runs (same PID and start time, not a zombie). */
export function isRunning(rec: ProcRecord | undefined): boolean {
  if (!rec) return false;
  const st = readStat(rec.pid);
  return st !== null && st.startTime === rec.startTime && !isExited(st.state);
}

/**
 * Live (non-zombie) processes in the process group or session `pgid` (a daemon started by
 * {@link startDaemon} leads both; helpers that move to their own group stay in its session).
 */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st && (st.pgrp === pgid || st.session === pgid) && !isExited(st.state)) out.push(st.pid);
  }
  return out;
}

/**
 * Start a daemon in its own session, stdout/stderr appended to `log`.
 * @param argv program and arguments (e.g. `['ip','netns','exec',ns,'/usr/bin/neutron-linuxbridge-agent',...]`;
 *   `ip netns exec` execs in place, so the PID is the daemon's)
 * @throws Error when the process exits within `settleMs` (with the tail of its log)
 */
export async function startDaemon(
  argv: string[],
  log: string,
  opts: { cwd?: string; settleMs?: number; env?: Record<string, string> } = {},
): Promise<ProcRecord> {
  mkdirSync(path.dirname(log), { recursive: true });
  const fd = openSync(log, 'a');
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    cwd: opts.cwd ?? '/',
    env: systemEnv(opts.env),
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${argv.join(' ')}`);
  let exited: number | null | string = null;
  child.on('exit', (code, signal) => {
    exited = code ?? signal ?? 'exit';
  });
  child.unref();
  const st = readStat(pid);
  const rec: ProcRecord = { pid, startTime: st?.startTime ?? -1, argv, log, startedAt: Date.now() };
  await sleep(opts.settleMs ?? 300);
  if (exited !== null || !isRunning(rec)) {
    throw new Error(`${argv.join(' ')} exited at once (${String(exited)}); log ${log}:\n${tail(log, 15)}`);
  }
  return rec;
}

/** Last `n` lines of a file ('' if unreadable). */
export function tail(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/**
 * Stop a recorded daemon and its process group: SIGTERM, wait up to `graceMs`, then SIGKILL.
 * Does nothing when the PID now belongs to another process (start time differs) and no process of
 * its group is left. Resolves once no live member of the group remains.
 * @returns true if something was signalled
 */
export async function stopDaemon(rec: ProcRecord | undefined, graceMs = 10_000): Promise<boolean> {
  if (!rec) return false;
  const leaderOurs = isRunning(rec);
  // a group id cannot be reused while any member lives, so members of rec.pid's group are ours
  // only if the leader was ours when it started: we check the group only if the leader is ours
  // or already gone (then the pid is not a group id of anyone else while members remain).
  const st = readStat(rec.pid);
  const pidReused = st !== null && st.startTime !== rec.startTime && !isExited(st.state);
  if (pidReused) return false;
  let members = groupMembers(rec.pid);
  if (!leaderOurs && members.length === 0) return false;
  signalGroup(rec.pid, 'SIGTERM');
  const start = Date.now();
  while (Date.now() - start < graceMs) {
    await sleep(100);
    members = groupMembers(rec.pid);
    if (members.length === 0) return true;
  }
  signalGroup(rec.pid, 'SIGKILL');
  const killStart = Date.now();
  while (groupMembers(rec.pid).length > 0 && Date.now() - killStart < 5000) await sleep(100);
  return true;
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  for (const target of [-pgid, ...groupMembers(pgid)]) {
    try {
      process.kill(target, sig);
    } catch {
      // gone already
    }
  }
}
