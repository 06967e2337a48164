/**
 * Retention: what the worker deletes so the database stays bounded (docs/operations.md#retention).
 * Every delete runs in bounded batches (at most `batch` rows a statement, each its own short
 * transaction), oldest first, on indexed columns (Message.id / receivedAt, ConvergenceSample.seenAt,
 * Finding.resolvedAt, TapGap.endedAt, NodeState.receivedAt, HostAnalysisState.at, BumState.to,
 * L3Agent.lastReportAt, BumHistory.id / receivedAt),
 * so a prune never holds a long lock and the worker's batch commits interleave with it.
 *
 * What is pruned, by what:
 * - messages (with their refs and model changes, but the last change of each model record, which
 *   history needs: `compactModelChanges`): beyond the newest `maxMessages`, received before
 *   `before`, and the oldest while the stored bodies (`Message.size`, bytes as received) exceed `maxBodyBytes`;
 * - convergence samples seen before `before` or beyond the newest `maxConvergenceSamples`;
 *   findings resolved before `before` (open ones stay);
 *   tap gaps ended before `before` (open ones stay);
 * - per-host rows (latest snapshot, analysis, BUM report, L3 agent) of hosts not heard of since `before`;
 * - the held history (NodeSnapshotHistory, HostAnalysisHistory) before the oldest retained message
 *   (or `before`, the later), but each host's last row before it: `pruneHeldHistory`;
 * - the BUM history (BumHistory) by the same time bound and beyond the newest `maxBumReports`
 *   rows, but each host's last row: `pruneBumHistory`;
 * - networks deleted (`network_delete`, `Network.deletedAt`) before `before`: their history rows
 *   go with the same bound (messages, findings), so the row that named them goes too.
 * The rest of the model projection (Host, live Network, VtepEntries) is never pruned: it is the current state.
 */
import type { Db } from '../client';
import { deleteByIds } from './batched-delete';
import { DEFAULT_BUM_HISTORY_ROWS, pruneBumHistory } from './bum-history';
import { pruneHeldHistory } from './held-history';
import { compactModelChanges } from './history';
import { maxMessageId } from './messages';

/** What to keep. Each bound is optional; every one given is applied (the BUM history's row bound has a default). */
export interface RetentionPolicy {
  /** Keep at most this many newest messages. */
  maxMessages?: number;
  /** Delete what is older than this (messages by receive time, samples by seen time, resolved findings, closed gaps, per-host rows, L3 agents by last report). */
  before?: Date;
  /** Keep the newest messages whose bodies (bytes as received) total at most this. */
  maxBodyBytes?: number;
  /** Keep at most this many newest convergence samples (all hosts). */
  maxConvergenceSamples?: number;
  /** Keep at most this many newest BUM history rows (all hosts; each host's last row stays); default {@link DEFAULT_BUM_HISTORY_ROWS}. */
  maxBumReports?: number;
}

/** Rows deleted by one {@link pruneRetention}, per table. */
export interface PruneReport {
  messages: number;
  convergenceSamples: number;
  findings: number;
  tapGaps: number;
  /** Per-host rows: latest snapshots, analyses, BUM reports and L3 agents. */
  hostRows: number;
  /** Network rows deleted in Neutron before `before`. */
  networks: number;
  /** Held history rows (node snapshots and analyses over time) before the oldest retained message. */
  heldHistory: number;
  /** BUM history rows (every BUM report over time): before the oldest retained message, or past the row bound. */
  bumHistory: number;
}

/** Options of a prune: rows per statement, and a hook awaited between batches (the worker yields to its event loop there). */
export interface PruneOptions {
  /** Rows deleted per statement (default 1000). */
  batch?: number;
  /** Awaited between two batches. */
  pause?: () => Promise<void>;
}

type Client = Pick<
  Db,
  | '$transaction'
  | '$executeRaw'
  | 'message'
  | 'messageRef'
  | 'modelChange'
  | 'convergenceSample'
  | 'finding'
  | 'tapGap'
  | 'nodeState'
  | 'hostAnalysisState'
  | 'bumState'
  | 'l3Agent'
  | 'network'
  | 'nodeSnapshotHistory'
  | 'hostAnalysisHistory'
  | 'bumHistory'
>;

/**
 * Apply a retention policy (see the module's docstring), in batches. Throws the driver's error
 * (what was deleted by the batches before it stays deleted: each batch is consistent on its own).
 */
export async function pruneRetention(db: Client, policy: RetentionPolicy, opts: PruneOptions = {}): Promise<PruneReport> {
  const batch = opts.batch ?? 1000;
  const pause = opts.pause ?? (() => Promise.resolve());
  const report: PruneReport = { messages: 0, convergenceSamples: 0, findings: 0, tapGaps: 0, hostRows: 0, networks: 0, heldHistory: 0, bumHistory: 0 };
  const cutoff = await messageCutoff(db, policy);
  report.messages = await deleteMessagesUpTo(db, cutoff, batch, pause);
  if (policy.maxConvergenceSamples !== undefined) {
    const newest = await db.convergenceSample.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
    const upTo = (newest?.id ?? 0) - policy.maxConvergenceSamples;
    if (upTo > 0)
      report.convergenceSamples += await deleteByIds(
        (take) => db.convergenceSample.findMany({ where: { id: { lte: upTo } }, orderBy: { id: 'asc' }, take, select: { id: true } }),
        (ids) => db.convergenceSample.deleteMany({ where: { id: { in: ids } } }),
        batch,
        pause,
      );
  }
  const before = policy.before;
  if (before) {
    report.convergenceSamples += await deleteByIds(
      (take) => db.convergenceSample.findMany({ where: { seenAt: { lt: before } }, orderBy: { seenAt: 'asc' }, take, select: { id: true } }),
      (ids) => db.convergenceSample.deleteMany({ where: { id: { in: ids } } }),
      batch,
      pause,
    );
    report.findings = await deleteByIds(
      (take) => db.finding.findMany({ where: { resolvedAt: { lt: before } }, orderBy: { resolvedAt: 'asc' }, take, select: { id: true } }),
      (ids) => db.finding.deleteMany({ where: { id: { in: ids } } }),
      batch,
      pause,
    );
    report.tapGaps = await deleteByIds(
      (take) => db.tapGap.findMany({ where: { endedAt: { lt: before } }, orderBy: { endedAt: 'asc' }, take, select: { id: true } }),
      (ids) => db.tapGap.deleteMany({ where: { id: { in: ids } } }),
      batch,
      pause,
    );
    const [a, b, c, d] = await db.$transaction([
      db.nodeState.deleteMany({ where: { receivedAt: { lt: before } } }),
      db.hostAnalysisState.deleteMany({ where: { at: { lt: before } } }),
      db.bumState.deleteMany({ where: { to: { lt: before } } }),
      db.l3Agent.deleteMany({ where: { lastReportAt: { lt: before } } }),
    ]);
    report.hostRows = a.count + b.count + c.count + d.count;
    report.networks = await deleteByIds(
      (take) => db.network.findMany({ where: { deletedAt: { lt: before } }, orderBy: { deletedAt: 'asc' }, take, select: { id: true } }),
      (ids) => db.network.deleteMany({ where: { id: { in: ids }, deletedAt: { lt: before } } }),
      batch,
      pause,
    );
  }
  // the held side covers what the model's history covers: from the oldest retained message (and `before`)
  const oldest = await db.message.findFirst({ orderBy: { id: 'asc' }, select: { receivedAt: true } });
  const heldBefore = oldest && before ? new Date(Math.max(oldest.receivedAt.getTime(), before.getTime())) : (oldest?.receivedAt ?? before);
  if (heldBefore) report.heldHistory = await pruneHeldHistory(db, heldBefore, batch, pause);
  report.bumHistory = await pruneBumHistory(db, { before: heldBefore, maxRows: policy.maxBumReports ?? DEFAULT_BUM_HISTORY_ROWS }, batch, pause);
  return report;
}

/**
 * The highest message id to delete (0: none) so that every bound of the policy holds: the count
 * bound by id, the age bound by the newest message received before `before`, the byte bound by
 * walking from the newest message back (in pages of 5000 sizes) until the bodies exceed it.
 */
export async function messageCutoff(db: Pick<Db, 'message'>, policy: RetentionPolicy): Promise<number> {
  let cutoff = 0;
  const maxId = await maxMessageId(db);
  if (maxId === 0) return 0;
  if (policy.maxMessages !== undefined) cutoff = Math.max(cutoff, maxId - policy.maxMessages);
  if (policy.before) {
    const old = await db.message.findFirst({ where: { receivedAt: { lt: policy.before } }, orderBy: { receivedAt: 'desc' }, select: { id: true } });
    if (old) cutoff = Math.max(cutoff, Number(old.id));
  }
  if (policy.maxBodyBytes !== undefined) {
    let total = 0;
    let below: bigint | undefined;
    for (;;) {
      const rows = await db.message.findMany({
        where: below === undefined ? {} : { id: { lt: below } },
        orderBy: { id: 'desc' },
        take: 5000,
        select: { id: true, size: true },
      });
      let over: number | null = null;
      for (const r of rows) {
        total += r.size;
        if (total > policy.maxBodyBytes) {
          over = Number(r.id);
          break;
        }
      }
      if (over !== null) {
        cutoff = Math.max(cutoff, over);
        break;
      }
      if (rows.length < 5000 || Number(rows[rows.length - 1]!.id) <= cutoff) break;
      below = rows[rows.length - 1]!.id;
    }
  }
  return cutoff;
}

/** Delete the messages with id <= `cutoff` (refs and superseded model changes first), the oldest `batch` at a time. */
async function deleteMessagesUpTo(db: Client, cutoff: number, batch: number, pause: () => Promise<void>): Promise<number> {
  let deleted = 0;
  if (cutoff <= 0) return 0;
  for (;;) {
    const ids = await db.message.findMany({ where: { id: { lte: BigInt(cutoff) } }, orderBy: { id: 'asc' }, take: batch, select: { id: true } });
    if (ids.length === 0) return deleted;
    const upTo = ids[ids.length - 1]!.id;
    const [, , m] = await db.$transaction([
      db.messageRef.deleteMany({ where: { messageId: { lte: upTo } } }),
      compactModelChanges(db, upTo),
      db.message.deleteMany({ where: { id: { lte: upTo } } }),
    ]);
    deleted += m.count;
    if (ids.length < batch) return deleted;
    await pause();
  }
}
