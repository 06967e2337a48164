/**
 * The time slider's pure parts (docs/operations.md#history): the span it covers, reading and
 * writing T in the page URL (`?at=`, `?to=`), and what changed in the findings between two times.
 */

/** The `?at=` / `?to=` value of a page URL as an ISO-8601 time, or null when absent or not a time. */
export function parseAt(value: string | null | undefined): string | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * The slider's span in epoch ms: from the oldest time history answers exactly (`bounds.from`, the
 * oldest retained message) to `now` (node snapshots and findings are stored after the last model
 * change); T is kept inside it. Without stored history: the hour before `now`.
 */
export function sliderSpan(bounds: { from: string | null; to: string | null } | null | undefined, now: number, at: number): { min: number; max: number } {
  const from = bounds?.from ? Date.parse(bounds.from) : now - 3_600_000;
  const max = Math.max(now, at, bounds?.to ? Date.parse(bounds.to) : now);
  return { min: Math.min(from, at), max };
}

/** The same page with `key` (`at` or `to`) set to `value`, or removed when null; other parameters kept. */
export function withParam(search: string, key: 'at' | 'to', value: string | null): string {
  const p = new URLSearchParams(search);
  if (value === null) p.delete(key);
  else p.set(key, value);
  if (key === 'at' && value === null) p.delete('to');
  const q = p.toString();
  return q ? `?${q}` : '';
}

/** A finding as the history procedures list it: keyed by kind and network. */
export interface FindingAt {
  kind: string;
  network: string;
  hosts: string[];
  detail: string;
}

/** Findings open at T2 and not at T1 (`opened`), open at T1 and not at T2 (`resolved`), by `kind/network`. */
export function findingsChanged<F extends FindingAt>(t1: readonly F[], t2: readonly F[]): { opened: F[]; resolved: F[] } {
  const key = (f: FindingAt) => `${f.kind}/${f.network}`;
  const a = new Set(t1.map(key));
  const b = new Set(t2.map(key));
  return { opened: t2.filter((f) => !a.has(key(f))), resolved: t1.filter((f) => !b.has(key(f))) };
}
