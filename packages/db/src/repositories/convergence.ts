/**
 * ConvergenceSample rows: one l2pop entry (a host's flood entry or unicast FDB entry for a MAC
 * behind a VTEP) seen converging on one host, with the lag from the cast (worker receive time) to
 * the node snapshot that showed it (node clock). The worker appends them in bulk and keeps a
 * retention window; the dashboard reads per-host lag figures and a host's recent samples.
 * HostConvergenceState rows: per host, the counts only the worker's tracker knows (entries pending,
 * timed out, already held when their cast came), upserted when they change, so the stored figures
 * carry them too.
 */
import { type ConvergenceSample, type HostConvergence, lagFigures } from '@l2scope/domain';
import { Prisma } from '../generated/sqlite/client';
import { type BulkTable, insertRows } from '../bulk';
import type { Db } from '../client';
import type { DbProvider } from '../config';

const CONVERGENCE_SAMPLE: BulkTable = {
  name: 'ConvergenceSample',
  columns: ['messageId', 'host', 'network', 'vtep', 'mac', 'change', 'castAt', 'seenAt', 'lagMs'],
};

/** A stored sample of one host, as the host page lists it (times ISO-8601, lag in ms). */
export interface StoredConvergenceSample {
  /** Id of the (first) cast that asked for the entry. */
  messageId: number;
  network: string;
  vtep: string;
  /** The unicast MAC, or 00:00:00:00:00:00 for the flood entry. */
  mac: string;
  /** `add` | `remove` (as written by the worker). */
  change: string;
  castAt: string;
  seenAt: string;
  lagMs: number;
}

/**
 * Append samples (one multi-row INSERT per chunk), then delete every sample seen before `keepAfter`
 * (the retention window). Throws the driver's error.
 */
export async function addConvergenceSamples(
  db: Pick<Db, 'convergenceSample' | '$executeRawUnsafe'>,
  provider: DbProvider,
  samples: readonly ConvergenceSample[],
  keepAfter: Date,
): Promise<void> {
  if (samples.length === 0) return;
  await insertRows(
    db,
    provider,
    CONVERGENCE_SAMPLE,
    samples.map((s) => [BigInt(s.messageId), s.host, s.network, s.vtep, s.mac, s.change, new Date(s.castAt), new Date(s.seenAt), s.lagMs]),
  );
  await db.convergenceSample.deleteMany({ where: { seenAt: { lt: keepAfter } } });
}

/** A host's `limit` newest samples (seen at or before `upTo` when given: the host page as of T), newest first. */
export async function recentConvergenceSamples(db: Pick<Db, 'convergenceSample'>, host: string, limit = 50, upTo?: Date): Promise<StoredConvergenceSample[]> {
  const rows = await db.convergenceSample.findMany({ where: { host, ...(upTo ? { seenAt: { lte: upTo } } : {}) }, orderBy: { id: 'desc' }, take: limit });
  return rows.map((s) => ({
    messageId: Number(s.messageId),
    network: s.network,
    vtep: s.vtep,
    mac: s.mac,
    change: s.change,
    castAt: s.castAt.toISOString(),
    seenAt: s.seenAt.toISOString(),
    lagMs: s.lagMs,
  }));
}

/** One host's counts of the worker's convergence tracker (domain `HostConvergence`). */
export type ConvergenceCounts = Pick<HostConvergence, 'host' | 'pending' | 'timedOut'> & { alreadyHeld?: number };

/**
 * Upsert hosts' tracker counts (pending, timed out, already held; a missing `alreadyHeld` is 0) as of
 * `at`, in one transaction. Throws the driver's error.
 */
export async function saveConvergenceCounts(
  db: Pick<Db, 'hostConvergenceState' | '$transaction'>,
  rows: readonly ConvergenceCounts[],
  at: Date,
): Promise<void> {
  if (rows.length === 0) return;
  await db.$transaction(
    rows.map((r) => {
      const data = { at, pending: r.pending, timedOut: r.timedOut, alreadyHeld: r.alreadyHeld ?? 0 };
      return db.hostConvergenceState.upsert({ where: { host: r.host }, create: { host: r.host, ...data }, update: data });
    }),
  );
}

/**
 * Lag figures (domain `lagFigures`: p50, p95, max, last, in ms) of each host over its last `window`
 * samples, with the tracker's stored counts (pending, timed out, already held; pending and timed out
 * 0 and already held absent when none was stored), in the order of `hosts`; hosts with neither a sample nor stored counts are left out.
 * Two queries for all hosts (a window function, which SQLite and PostgreSQL both have).
 */
export async function lagFiguresByHost(db: Pick<Db, '$queryRaw'>, hosts: readonly string[], window = 256): Promise<HostConvergence[]> {
  if (hosts.length === 0) return [];
  return lagFiguresWhere(db, Prisma.sql`"host" IN (${Prisma.join(hosts)})`, hosts, window);
}

/**
 * {@link lagFiguresByHost} of every host with a stored analysis (`HostAnalysisState`) and a sample
 * or stored counts, in the database's order of host names (hosts with counts only after those with samples). The same one query whatever the number of hosts: the host
 * list is a subquery, not one bound parameter per host.
 */
export async function lagFiguresOfAnalysedHosts(db: Pick<Db, '$queryRaw'>, window = 256): Promise<HostConvergence[]> {
  return lagFiguresWhere(db, Prisma.sql`"host" IN (SELECT "host" FROM "HostAnalysisState")`, null, window);
}

/**
 * Lag figures as of `at` of these hosts (in their order): each over its last `window` samples up to
 * the last sample seen at or before T (samples are appended as they are seen). The tracker's counts
 * (pending, timed out, already held) are the present's, not kept as history: pending and timed out
 * 0, already held absent. Samples are kept the worker's convergence retention (24 h by default):
 * as of an older T a host has no figures. Two queries whatever the number of hosts; hosts without
 * a sample are left out.
 */
export async function lagFiguresAt(
  db: Pick<Db, 'convergenceSample' | '$queryRaw'>,
  hosts: readonly string[],
  at: Date,
  window = 256,
): Promise<HostConvergence[]> {
  if (hosts.length === 0) return [];
  const last = await db.convergenceSample.findFirst({ where: { seenAt: { lte: at } }, orderBy: { id: 'desc' }, select: { id: true } });
  if (!last) return [];
  const wanted = new Set(hosts);
  const figures = await lagFiguresWhere(db, Prisma.sql`"id" <= ${last.id}`, null, window, false);
  const byHost = new Map(figures.filter((f) => wanted.has(f.host)).map((f) => [f.host, f]));
  return hosts.flatMap((h) => byHost.get(h) ?? []);
}

/**
 * Lag figures of the samples matching `where`, in the order of `hosts`, or of the rows (by host) when null.
 * @param counts join the tracker's stored counts (`HostConvergenceState`, filtered by the same `where`)
 */
async function lagFiguresWhere(
  db: Pick<Db, '$queryRaw'>,
  where: Prisma.Sql,
  hosts: readonly string[] | null,
  window: number,
  withCounts = true,
): Promise<HostConvergence[]> {
  const rows = await db.$queryRaw<{ host: string; lagMs: number | bigint }[]>(Prisma.sql`
    SELECT "host", "lagMs" FROM (
      SELECT "host", "lagMs", "id", ROW_NUMBER() OVER (PARTITION BY "host" ORDER BY "id" DESC) AS "rn"
      FROM "ConvergenceSample" WHERE ${where}
    ) AS "ranked"
    WHERE "rn" <= ${window}
    ORDER BY "host", "id"`);
  const counts = withCounts
    ? await db.$queryRaw<{ host: string; pending: number | bigint; timedOut: number | bigint; alreadyHeld: number | bigint }[]>(Prisma.sql`
    SELECT "host", "pending", "timedOut", "alreadyHeld" FROM "HostConvergenceState" WHERE ${where} ORDER BY "host"`)
    : [];
  const lags = new Map<string, number[]>();
  for (const r of rows) {
    const list = lags.get(r.host) ?? [];
    list.push(Number(r.lagMs));
    lags.set(r.host, list);
  }
  const countOf = new Map(counts.map((c) => [c.host, c]));
  const order = hosts ?? [...new Set([...lags.keys(), ...counts.map((c) => c.host)])];
  return order.flatMap((h) => {
    const l = lags.get(h);
    const c = countOf.get(h);
    if (!l && !c) return [];
    return [c ? lagFigures(h, l ?? [], Number(c.pending), Number(c.timedOut), Number(c.alreadyHeld)) : lagFigures(h, l!)];
  });
}
