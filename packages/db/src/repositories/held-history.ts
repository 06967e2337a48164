/**
 * The held side of history (docs/operations.md#history): what a host held and how it compared
 * with what l2pop told it, as of a past time T. NodeState / HostAnalysisState keep the latest per
 * host; this module keeps their past in NodeSnapshotHistory (full node snapshots, by receive time)
 * and HostAnalysisHistory (told-vs-held analyses, by analysis time), a row only when the content
 * changed: a host whose FDB does not move costs one row, however often its agent reports.
 * Retention prunes both with the messages ({@link pruneHeldHistory}). BUM reports as of T are read
 * from BumHistory (`bum-history.ts`).
 */
import { createHash } from 'node:crypto';
import {
  type DriftClass,
  type FullNodeSnapshot,
  type HostConvergence,
  type HostAnalysis,
  type HostNodeSummary,
  type NodeNetworkMember,
  hostIn,
  parseNodeSnapshot,
  summarizeHost,
  toldFdbOf,
} from '@l2scope/domain';
import { type Db, readConsistent } from '../client';
import { deleteByIds } from './batched-delete';
import { bumReportAt, bumReportsAt } from './bum-history';
import { lagFiguresAt, recentConvergenceSamples } from './convergence';
import { type ListedFinding } from './findings';
import { readFindingsAt, readModelAt } from './history';
import { jsonColumn, jsonColumnFromText, parseColumn } from './json';
import { type NodeHostView, type NodeNetworkView, driftTotals } from './node-view';
import type { HostBumReport } from './node-state';
import { findNetwork } from './model-projection';

type SnapshotClient = Pick<Db, 'nodeSnapshotHistory'>;
type AnalysisClient = Pick<Db, 'hostAnalysisHistory'>;

/**
 * Fields that move on every report without the held state moving: snapshot identity and times,
 * heartbeat times, the snapshot an analysis read. Left out of the digest, not out of the row.
 */
const VOLATILE = new Set(['takenAt', 'seq', 'instance', 'lastReportAt', 'snapshot']);

/** sha256 (hex) of a JSON value without its {@link VOLATILE} keys (at any depth). */
export function heldDigest(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value, (k, v: unknown) => (VOLATILE.has(k) ? undefined : v)))
    .digest('hex');
}

async function lastDigest(find: () => Promise<{ digest: string } | null>): Promise<string | null> {
  return (await find())?.digest ?? null;
}

/**
 * Append these full snapshots to the hosts' held history, each only when its digest differs from
 * the host's last row (one read and at most one insert per host).
 */
export async function appendSnapshotHistory(db: SnapshotClient, snapshots: readonly FullNodeSnapshot[], receivedAt: Date): Promise<void> {
  for (const s of snapshots) {
    const digest = heldDigest(s);
    const last = await lastDigest(() => db.nodeSnapshotHistory.findFirst({ where: { host: s.host }, orderBy: { id: 'desc' }, select: { digest: true } }));
    if (last === digest) continue;
    await db.nodeSnapshotHistory.create({ data: { host: s.host, receivedAt, digest, snapshot: jsonColumn(s) } });
  }
}

/**
 * Append these analyses (`json`: `JSON.stringify(HostAnalysis)`) to the hosts' history, each only
 * when it differs from the host's last row other than by the snapshot it read or heartbeat times.
 */
export async function appendAnalysisHistory(db: AnalysisClient, rows: readonly { host: string; driftCount: number; json: string }[], at: Date): Promise<void> {
  for (const { host, driftCount, json } of rows) {
    const digest = heldDigest(JSON.parse(json));
    const last = await lastDigest(() => db.hostAnalysisHistory.findFirst({ where: { host }, orderBy: { id: 'desc' }, select: { digest: true } }));
    if (last === digest) continue;
    await db.hostAnalysisHistory.create({ data: { host, at, digest, driftCount, analysis: jsonColumnFromText(json) } });
  }
}

function parseFull(json: unknown): FullNodeSnapshot {
  const s = parseNodeSnapshot(json);
  if (s.kind !== 'full') throw new Error(`a ${s.kind} snapshot where a full one is stored`);
  return s;
}

/** A host page as of T: the live page's shape ({@link NodeHostView}), with when its held parts were stored. */
export interface NodeHostViewAt extends NodeHostView {
  /** T (ISO-8601). */
  at: string;
  /** When the snapshot shown was received (ISO-8601): the host's last held change at or before T; null without one. */
  snapshotReceivedAt: string | null;
}

/**
 * One host as of `at`: the model's view and what l2pop had told it (the model as of T,
 * `readModelAt`), its last stored snapshot and analysis at or before T (the held state and the
 * drift between the two), the findings naming it open at T, and its 50 newest convergence samples
 * seen by T (kept the worker's convergence retention), and its last BUM report received at or
 * before T (BumHistory). The L3 agent's mode is not kept as history: null. Null when none of the
 * model, a snapshot and an analysis knows the host at T.
 */
export async function readNodeHostAt(db: Db, host: string, at: Date): Promise<NodeHostViewAt | null> {
  const [model, snap, analysis, findings, convergence, bum] = await Promise.all([
    readModelAt(db, at),
    db.nodeSnapshotHistory.findFirst({ where: { host, receivedAt: { lte: at } }, orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }] }),
    db.hostAnalysisHistory.findFirst({ where: { host, at: { lte: at } }, orderBy: [{ at: 'desc' }, { id: 'desc' }] }),
    readFindingsAt(db, at, 2000),
    recentConvergenceSamples(db, host, 50, at),
    bumReportAt(db, host, at),
  ]);
  const parsed = snap ? parseColumn(snap.snapshot, parseFull) : null;
  const snapshot = parsed?.ok ? parsed.value : null;
  const view = hostIn(model, host) ?? null;
  if (!view && !snapshot && !analysis) return null;
  const named: ListedFinding[] = findings.filter((f) => f.hosts.includes(host));
  return {
    host,
    at: at.toISOString(),
    view,
    l3Agent: null,
    analysis: analysis ? (analysis.analysis as unknown as HostAnalysis) : null,
    analysedAt: analysis?.at.toISOString() ?? null,
    snapshot,
    snapshotReceivedAt: snapshot ? snap!.receivedAt.toISOString() : null,
    told: toldFdbOf(model, host),
    convergence,
    bum: bum?.report ?? null,
    findings: named,
  };
}

/** The overview's host lines as of T (`nodes.overview`'s `hosts`, `driftTotals` and `convergence`, from the held history and the stored samples). */
export interface NodesOverviewAt {
  /** T (ISO-8601). */
  at: string;
  /** Per host with an analysis at or before T, its last one summarised (domain `summarizeHost`), by host name. */
  hosts: HostNodeSummary[];
  /** Drift items of those hosts per class (every class present, 0 when none). */
  driftTotals: Record<DriftClass, number>;
  /** Lag figures of those hosts as of T ({@link lagFiguresAt}: samples up to T, no tracker counts), in their order; hosts without a sample left out. */
  convergence: HostConvergence[];
  /** Per host, its last valid BUM report received at or before T (`bumReportsAt`), by host name. */
  bum: HostBumReport[];
}

/**
 * The overview's hosts and drift totals as of `at`: per host, the last analysis appended to its
 * history at or before T (the largest id: a host's analyses are appended in time order, the
 * row {@link pruneHeldHistory} keeps), summarised as the live overview summarises
 * `HostAnalysisState`. Two statements whatever the number of hosts, in one consistent snapshot:
 * a `GROUP BY host` over the index `(at)` / `(host, at)`, then the rows by primary key (one id per
 * host, so the list is bounded by the hosts); then the hosts' lag figures as of T ({@link lagFiguresAt}, two more), and
 * every host's last BUM report at or before T (`bumReportsAt`, the same two-step rule over BumHistory). A host forgotten by the worker's host expiry keeps
 * its last analysis and BUM report here: the history does not record the forgetting.
 */
export async function readNodesOverviewAt(
  db: Pick<Db, 'hostAnalysisHistory' | 'bumHistory' | 'convergenceSample' | '$queryRaw' | '$transaction'>,
  at: Date,
): Promise<NodesOverviewAt> {
  const [rows, convergence, bum] = await readConsistent(db, async (tx) => {
    const [analyses, bum] = await Promise.all([lastAnalysesAt(tx, at), bumReportsAt(tx, at)]);
    if (analyses.length === 0) return [[], [], bum] as const;
    return [
      analyses,
      await lagFiguresAt(
        tx,
        analyses.map((a) => a.host),
        at,
      ),
      bum,
    ] as const;
  });
  const hosts = rows.map((r) => summarizeHost(r.host, r.analysis));
  return { at: at.toISOString(), hosts, driftTotals: driftTotals(hosts), convergence: [...convergence], bum: [...bum] };
}

/**
 * Per host, its last analysis appended to the history at or before `at` (the largest id), by host
 * name: a `GROUP BY host` over the index `(at)`, then the rows by primary key (one per host).
 */
async function lastAnalysesAt(tx: AnalysisClient, at: Date): Promise<{ host: string; analysis: HostAnalysis }[]> {
  const last = await tx.hostAnalysisHistory.groupBy({ by: ['host'], where: { at: { lte: at } }, _max: { id: true } });
  const ids = last.flatMap((r) => (r._max.id === null ? [] : [r._max.id]));
  if (ids.length === 0) return [];
  const rows = await tx.hostAnalysisHistory.findMany({ where: { id: { in: ids } }, orderBy: { host: 'asc' }, select: { host: true, analysis: true } });
  return rows.map((r) => ({ host: r.host, analysis: r.analysis as unknown as HostAnalysis }));
}

/**
 * `nodes.network` as of `at` (the topology's flood edges under the time slider): per host, the
 * network's flood list and drift items from its last analysis at or before T ({@link readNodesOverviewAt}'s
 * rule) with its last BUM report received at or before T (as live: the host's whole report), and
 * the network's findings open at T (`readFindingsAt`). `deletedAt` is null when the network still
 * lived at T. Null for a network the model never saw.
 */
export async function readNodeNetworkAt(
  db: Pick<Db, 'network' | 'hostAnalysisHistory' | 'bumHistory' | 'finding' | '$queryRaw' | '$transaction'>,
  network: string,
  at: Date,
): Promise<NodeNetworkView | null> {
  const [net, analyses, bum, findings] = await readConsistent(db, (tx) =>
    Promise.all([findNetwork(tx, network), lastAnalysesAt(tx, at), bumReportsAt(tx, at), readFindingsAt(tx, at, 500, network)]),
  );
  if (!net) return null;
  const bumOf = new Map(bum.map((b) => [b.host, b.report]));
  const hosts = analyses.flatMap(({ host, analysis: a }): NodeNetworkMember[] => {
    const flood = a.flood[network];
    return flood
      ? [{ host, vtep: a.mode.vtep, mode: a.mode.summary, flood, drift: a.drift.filter((d) => d.network === network), bum: bumOf.get(host) ?? null }]
      : [];
  });
  return { network: { ...net, deletedAt: net.deletedAt !== null && net.deletedAt <= at.getTime() ? net.deletedAt : null }, hosts, findings };
}

/**
 * Retention's part of the held history: delete the rows older than `before`, except each host's
 * last row before it (the host's held state from then until its next change), `batch` rows a
 * statement. What stays is bounded by the hosts.
 * @param pause awaited between two batches
 * @returns rows deleted
 */
export async function pruneHeldHistory(
  db: Pick<Db, 'nodeSnapshotHistory' | 'hostAnalysisHistory'>,
  before: Date,
  batch: number,
  pause: () => Promise<void>,
): Promise<number> {
  const [snapKeep, analysisKeep] = await readConsistent(db, (tx) =>
    Promise.all([
      tx.nodeSnapshotHistory.groupBy({ by: ['host'], where: { receivedAt: { lt: before } }, _max: { id: true } }),
      tx.hostAnalysisHistory.groupBy({ by: ['host'], where: { at: { lt: before } }, _max: { id: true } }),
    ]),
  );
  const keep = (rows: { _max: { id: number | null } }[]) => rows.flatMap((r) => (r._max.id === null ? [] : [r._max.id]));
  const keptSnaps = keep(snapKeep);
  const keptAnalyses = keep(analysisKeep);
  const snapshots = await deleteByIds(
    (take) =>
      db.nodeSnapshotHistory.findMany({ where: { receivedAt: { lt: before }, id: { notIn: keptSnaps } }, orderBy: { id: 'asc' }, take, select: { id: true } }),
    (ids) => db.nodeSnapshotHistory.deleteMany({ where: { id: { in: ids } } }),
    batch,
    pause,
  );
  const analyses = await deleteByIds(
    (take) =>
      db.hostAnalysisHistory.findMany({ where: { at: { lt: before }, id: { notIn: keptAnalyses } }, orderBy: { id: 'asc' }, take, select: { id: true } }),
    (ids) => db.hostAnalysisHistory.deleteMany({ where: { id: { in: ids } } }),
    batch,
    pause,
  );
  return snapshots + analyses;
}
