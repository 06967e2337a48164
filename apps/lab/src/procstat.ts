/**
 * Pure parsing of `/proc/<pid>/stat` (proc(5)): the lab decides whether one of its PIDs is
 * still its process (same start time), alive, or a zombie (docs/lab.md#gotcha-15: `kill -0`
 * succeeds on a zombie, so the state letter is what counts).
 */

/** The fields of `/proc/<pid>/stat` the lab uses. */
export interface ProcStat {
  pid: number;
  /** Executable name (field 2, without the parentheses; may contain spaces and ')'). */
  comm: string;
  /** State letter (field 3): R, S, D, Z (zombie), T, X (dead), I, ... */
  state: string;
  ppid: number;
  /** Process group id (field 5). */
  pgrp: number;
  session: number;
  /** Start time after boot in clock ticks (field 22): with the pid, identifies one process for its whole life. */
  startTime: number;
}

/**
 * Parse one `/proc/<pid>/stat` line.
 * @returns null when the text is not a stat line
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number.parseInt(text.slice(0, open).trim(), 10);
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state); field N is rest[N - 3]
  const num = (field: number) => Number.parseInt(rest[field - 3] ?? '', 10);
  if (!Number.isFinite(pid) || rest.length < 20) return null;
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: num(4),
    pgrp: num(5),
    session: num(6),
    startTime: num(22),
  };
}

/** True when the state letter means the process has exited (zombie or dead). */
export function isExited(state: string): boolean {
  return state === 'Z' || state === 'X' || state === 'x';
}
