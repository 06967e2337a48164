/**
 * What node agents last sent per host, as the worker keeps it: the latest full node snapshot
 * (NodeState: the host's FDB, neighbour and VXLAN device rows, or br-tun's flows; schema
 * `l2scope.node-snapshot/1`) and the latest BUM meter report (BumState: broadcast, unknown-unicast
 * and multicast frames per VNI and remote VTEP; schema `l2scope.bum/1`). State, not a log: one row
 * per host, replaced on each write (their past: NodeSnapshotHistory, BumHistory). Json columns are validated on the way out with the domain's
 * schemas (`parseNodeSnapshot`, `bumReportSchema`); a row that does not fit is left out (and named
 * where the caller can log it).
 */
import { type BumReport, type FullNodeSnapshot, bumReportSchema, parseNodeSnapshot } from '@l2scope/domain';
import type { Db } from '../client';
import { appendBumHistory } from './bum-history';
import { appendSnapshotHistory } from './held-history';
import { jsonColumn, parseColumn } from './json';

type Client = Pick<Db, 'nodeState' | 'bumState' | 'bumHistory' | 'nodeSnapshotHistory'>;

/** A BUM report of one host (the latest). */
export interface HostBumReport {
  host: string;
  report: BumReport;
}

/** A stored row that failed validation: its host and the first issue. */
export interface InvalidRow {
  host: string;
  error: string;
}

function parseFull(json: unknown): FullNodeSnapshot {
  const s = parseNodeSnapshot(json);
  if (s.kind !== 'full') throw new Error(`a ${s.kind} snapshot where a full one is stored`);
  return s;
}

/**
 * Store the latest full snapshot of each of these hosts (one upsert per host), received at
 * `receivedAt`, and append it to the host's held history when its content changed (`appendSnapshotHistory`).
 */
export async function saveNodeSnapshots(
  db: Pick<Client, 'nodeState' | 'nodeSnapshotHistory'>,
  snapshots: readonly FullNodeSnapshot[],
  receivedAt: Date,
): Promise<void> {
  for (const s of snapshots) {
    const data = { takenAt: new Date(s.takenAt), receivedAt, agentType: s.agent.type, snapshot: jsonColumn(s) };
    await db.nodeState.upsert({ where: { host: s.host }, create: { host: s.host, ...data }, update: data });
  }
  await appendSnapshotHistory(db, snapshots, receivedAt);
}

/**
 * Every host's latest full snapshot (by host name), and the rows that are not a valid full snapshot.
 * @param since only snapshots received at or after it (the worker's `--host-expiry`: older hosts stay out of the live view)
 */
export async function loadNodeSnapshots(db: Pick<Client, 'nodeState'>, since?: Date): Promise<{ snapshots: FullNodeSnapshot[]; invalid: InvalidRow[] }> {
  const rows = await db.nodeState.findMany(since ? { where: { receivedAt: { gte: since } } } : undefined);
  const snapshots: FullNodeSnapshot[] = [];
  const invalid: InvalidRow[] = [];
  for (const r of rows) {
    const p = parseColumn(r.snapshot, parseFull);
    if (p.ok) snapshots.push(p.value);
    else invalid.push({ host: r.host, error: p.error });
  }
  return { snapshots, invalid };
}

/** One host's latest full snapshot; null when none is stored (or it is not valid). */
export async function nodeSnapshotOf(db: Pick<Client, 'nodeState'>, host: string): Promise<FullNodeSnapshot | null> {
  const row = await db.nodeState.findUnique({ where: { host } });
  if (!row) return null;
  const p = parseColumn(row.snapshot, parseFull);
  return p.ok ? p.value : null;
}

/**
 * Store the latest BUM report of each of these hosts (one upsert per host), received at
 * `receivedAt`, and append every one to the BUM history (`appendBumHistory`: one row per report,
 * read as of a past time T).
 */
export async function saveBumReports(db: Pick<Client, 'bumState' | 'bumHistory'>, reports: readonly BumReport[], receivedAt: Date): Promise<void> {
  for (const r of reports) {
    const data = { from: new Date(r.from), to: new Date(r.to), report: jsonColumn(r) };
    await db.bumState.upsert({ where: { host: r.host }, create: { host: r.host, ...data }, update: data });
  }
  await appendBumHistory(db, reports, receivedAt);
}

/** Every host's latest valid BUM report, by host name. */
export async function bumReports(db: Pick<Client, 'bumState'>): Promise<HostBumReport[]> {
  const rows = await db.bumState.findMany({ orderBy: { host: 'asc' } });
  return rows.flatMap((b) => {
    const p = parseColumn(b.report, (j) => bumReportSchema.parse(j));
    return p.ok ? [{ host: b.host, report: p.value }] : [];
  });
}

/** One host's latest BUM report; null when none is stored (or it is not valid). */
export async function bumReportOf(db: Pick<Client, 'bumState'>, host: string): Promise<BumReport | null> {
  const row = await db.bumState.findUnique({ where: { host } });
  if (!row) return null;
  const p = parseColumn(row.report, (j) => bumReportSchema.parse(j));
  return p.ok ? p.value : null;
}

/**
 * Take expired node hosts out of the live view: delete their latest analysis, BUM report and
 * convergence counts rows (what the overview lists). Their latest snapshot row stays as history until retention by age.
 */
export async function forgetNodeHosts(
  db: Pick<Db, 'hostAnalysisState' | 'bumState' | 'hostConvergenceState' | '$transaction'>,
  hosts: readonly string[],
): Promise<void> {
  if (hosts.length === 0) return;
  await db.$transaction([
    db.hostAnalysisState.deleteMany({ where: { host: { in: [...hosts] } } }),
    db.bumState.deleteMany({ where: { host: { in: [...hosts] } } }),
    db.hostConvergenceState.deleteMany({ where: { host: { in: [...hosts] } } }),
  ]);
}
