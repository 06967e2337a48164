/**
 * BUM meter reports over time (docs/operations.md#history): BumState keeps each host's latest
 * report; BumHistory keeps every report, one row per report per host, stamped with the worker's
 * receive time (the clock the rest of history is read by). Read as of a past time T: per host, its
 * last report received at or before T. Retention prunes it like the held history (older than the
 * oldest retained message, except each host's last row before it) and to the newest
 * {@link DEFAULT_BUM_HISTORY_ROWS} rows ({@link pruneBumHistory}). Json columns are validated on the
 * way out with the domain's `bumReportSchema`; a row that does not fit is left out.
 */
import { type BumReport, bumReportSchema } from '@l2scope/domain';
import { type Db } from '../client';
import { deleteByIds } from './batched-delete';
import { jsonColumn, parseColumn } from './json';
import type { HostBumReport } from './node-state';

type Client = Pick<Db, 'bumHistory'>;

/** Rows BumHistory keeps at most when the policy names no bound (`RetentionPolicy.maxBumReports`): about 4 days of 3 hosts reporting every 5 s. */
export const DEFAULT_BUM_HISTORY_ROWS = 100_000;

/** Append one row per report (all received at `receivedAt`), in one statement. */
export async function appendBumHistory(db: Client, reports: readonly BumReport[], receivedAt: Date): Promise<void> {
  if (reports.length === 0) return;
  await db.bumHistory.createMany({
    data: reports.map((r) => ({ host: r.host, receivedAt, from: new Date(r.from), to: new Date(r.to), report: jsonColumn(r) })),
  });
}

function parseReport(json: unknown): BumReport | null {
  const p = parseColumn(json, (j) => bumReportSchema.parse(j));
  return p.ok ? p.value : null;
}

/**
 * One host's last BUM report received at or before `at` (index `(host, receivedAt)`), with when
 * it was received; null without one (or when it is not valid).
 */
export async function bumReportAt(db: Client, host: string, at: Date): Promise<{ report: BumReport; receivedAt: Date } | null> {
  const row = await db.bumHistory.findFirst({
    where: { host, receivedAt: { lte: at } },
    orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
    select: { report: true, receivedAt: true },
  });
  const report = row ? parseReport(row.report) : null;
  return report ? { report, receivedAt: row!.receivedAt } : null;
}

/**
 * Per host, its last BUM report received at or before `at` (the largest id: a host's reports are
 * appended in receive order), by host name: a `GROUP BY host` over the index `(receivedAt)`, then
 * the rows by primary key (one per host, so the answer is bounded by the hosts). Invalid rows are left out.
 */
export async function bumReportsAt(db: Client, at: Date): Promise<HostBumReport[]> {
  const last = await db.bumHistory.groupBy({ by: ['host'], where: { receivedAt: { lte: at } }, _max: { id: true } });
  const ids = last.flatMap((r) => (r._max.id === null ? [] : [r._max.id]));
  if (ids.length === 0) return [];
  const rows = await db.bumHistory.findMany({ where: { id: { in: ids } }, orderBy: { host: 'asc' }, select: { host: true, report: true } });
  return rows.flatMap((r) => {
    const report = parseReport(r.report);
    return report ? [{ host: r.host, report }] : [];
  });
}

/** What {@link pruneBumHistory} deletes. */
export interface BumHistoryBounds {
  /** Delete rows received before it (none by time when absent). */
  before?: Date;
  /** Keep the newest this many rows (all hosts): the rows received before the oldest of them go too; 0: no row bound. */
  maxRows: number;
}

/**
 * Retention's part of the BUM history, with the held history's rule: the cutoff is the later of
 * `before` and the receive time of the oldest of the newest `maxRows` rows; the rows received
 * before it are deleted, except each host's last one (its report until its next one, so the
 * answer as of any T after the cutoff stays exact), `batch` rows a statement, oldest first. What
 * stays is bounded by `maxRows` plus the hosts.
 * @param pause awaited between two batches
 * @returns rows deleted. Throws the driver's error (earlier batches stay deleted).
 */
export async function pruneBumHistory(db: Client, bounds: BumHistoryBounds, batch: number, pause: () => Promise<void>): Promise<number> {
  let cutoff = bounds.before;
  if (bounds.maxRows > 0) {
    const newest = await db.bumHistory.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
    const upTo = (newest?.id ?? 0) - bounds.maxRows;
    const oldestKept = upTo > 0 ? await db.bumHistory.findFirst({ where: { id: { gt: upTo } }, orderBy: { id: 'asc' }, select: { receivedAt: true } }) : null;
    if (oldestKept && (!cutoff || oldestKept.receivedAt > cutoff)) cutoff = oldestKept.receivedAt;
  }
  if (!cutoff) return 0;
  const before = cutoff;
  const last = await db.bumHistory.groupBy({ by: ['host'], where: { receivedAt: { lt: before } }, _max: { id: true } });
  const keep = last.flatMap((r) => (r._max.id === null ? [] : [r._max.id]));
  return deleteByIds(
    (take) => db.bumHistory.findMany({ where: { receivedAt: { lt: before }, id: { notIn: keep } }, orderBy: { id: 'asc' }, take, select: { id: true } }),
    (ids) => db.bumHistory.deleteMany({ where: { id: { in: ids } } }),
    batch,
    pause,
  );
}
