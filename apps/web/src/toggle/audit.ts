/**
 * The audit page's rows: pages of `audit.list` (newest first, by `seq`) merged without
 * duplicates and bounded; and an entry's detail in one line.
 */

/** Audit rows kept in the page; older pages stop there. */
export const MAX_AUDIT_ROWS = 10_000;

/**
 * Merge a page into the rows: newest first, one row per `seq`, at most `max`.
 * @returns the rows and whether rows were dropped at the bound
 */
export function mergeAudit<T extends { seq: number }>(rows: readonly T[], page: readonly T[], max = MAX_AUDIT_ROWS): { rows: T[]; capped: boolean } {
  const bySeq = new Map<number, T>();
  for (const r of rows) bySeq.set(r.seq, r);
  for (const r of page) bySeq.set(r.seq, r);
  const all = [...bySeq.values()].sort((a, b) => b.seq - a.seq);
  return { rows: all.slice(0, max), capped: all.length > max };
}

/** The `beforeSeq` of the next older page, null when the oldest (seq 1) is loaded or there are no rows. */
export function olderCursor(rows: readonly { seq: number }[]): number | null {
  const last = rows[rows.length - 1];
  return last && last.seq > 1 ? last.seq : null;
}

/** An entry's detail as one line of JSON, cut at `max` characters. */
export function detailLine(detail: unknown, max = 240): string {
  if (detail === null || detail === undefined) return '';
  const s = JSON.stringify(detail) ?? '';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
