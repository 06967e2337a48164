/**
 * The worker's persistence, through packages/db's repositories (no query of its own): message
 * batches with their model changes, projection and counters (one transaction per batch), tap gaps,
 * node agents' state, analyses, findings and convergence samples. The worker is the only writer.
 */
import {
  type BumReport,
  type ConvergenceSample,
  type FindingView,
  type FullNodeSnapshot,
  type HostConvergence,
  type ModelSnapshot,
  type NeutronApiStatus,
  type NeutronNames,
  type NodeRefusals,
  type TapGapView,
  findingKey,
} from '@l2scope/domain';
import {
  type Db,
  type DbProvider,
  type FindingContent,
  type HostAnalysisWrite,
  type InvalidRow,
  addConvergenceSamples,
  saveConvergenceCounts,
  type PruneReport,
  type RetentionPolicy,
  closeDb,
  closeTapGap,
  expireHosts,
  forgetNodeHosts,
  pruneRetention,
  commitBatch,
  loadNodeSnapshots,
  maxMessageId,
  openFinding,
  openFindings,
  openTapGap,
  probeDb,
  readCounters,
  recentIdentities,
  readModelSnapshot,
  readNodeRefusals,
  recentTapGaps,
  refreshFindings,
  resolveFindings,
  saveBumReports,
  saveHostAnalyses,
  saveNeutronApi,
  saveNodeSnapshots,
  touchFindings,
  writeCounters,
  writeNodeRefusals,
} from '@l2scope/db';
import type { NodeStore } from './host-monitor';
import type { BatchSink, Counters, IngestedMessage } from './pipeline';
import type { RetentionStore } from './retention';
import type { TapGapStore } from './tap-health';

/**
 * The worker's store on one database: the pipeline's {@link BatchSink}, the tap's
 * {@link TapGapStore}, the node monitor's {@link NodeStore}. Every method is one or a few
 * repository calls of packages/db and throws the driver's error.
 */
export class PrismaStore implements BatchSink, TapGapStore, NodeStore, RetentionStore {
  /** @param provider the database kind of `db` (the bulk inserts use its dialect) */
  constructor(
    private readonly db: Db,
    private readonly provider: DbProvider,
  ) {}

  /** Highest stored message id (0 when empty). */
  maxMessageId(): Promise<number> {
    return maxMessageId(this.db);
  }

  /** Delivery identities of the newest `limit` stored messages, oldest first. */
  recentIdentities(limit?: number): Promise<string[]> {
    return recentIdentities(this.db, limit);
  }

  /** The persisted counters (0 for those never written). */
  loadCounters(): Promise<Counters> {
    return readCounters(this.db);
  }

  /** The model projection as a snapshot, to resume the model after a restart. */
  loadModel(): Promise<ModelSnapshot> {
    return readModelSnapshot(this.db);
  }

  /**
   * Commit a batch with its refs, model changes, projection, counters and seq (one transaction).
   * @returns the ids of messages skipped as already stored (a redelivery: same delivery identity)
   */
  writeBatch(batch: IngestedMessage[], counters: Counters, seq: number): Promise<number[]> {
    return commitBatch(this.db, this.provider, batch, counters, seq);
  }

  /** A minimal round trip: succeeds when the database is reachable. */
  probe(): Promise<void> {
    return probeDb(this.db);
  }

  /** Persist the counters alone (drop/expiry counts arrive outside message batches). */
  writeCounters(counters: Counters): Promise<void> {
    return writeCounters(this.db, counters);
  }

  openGap(startedAt: number, reason: string): Promise<number> {
    return openTapGap(this.db, startedAt, reason);
  }

  closeGap(id: number, endedAt: number): Promise<void> {
    return closeTapGap(this.db, id, endedAt);
  }

  recentGaps(limit = 20): Promise<TapGapView[]> {
    return recentTapGaps(this.db, limit);
  }

  /** Apply a retention policy in batches (packages/db `pruneRetention`), awaiting `pause` between two. */
  prune(policy: RetentionPolicy, pause: () => Promise<void>): Promise<PruneReport> {
    return pruneRetention(this.db, policy, { pause });
  }

  expireHosts(ids: readonly string[], at: Date): Promise<number> {
    return expireHosts(this.db, ids, at);
  }

  forgetHosts(hosts: readonly string[]): Promise<void> {
    return forgetNodeHosts(this.db, hosts);
  }

  async loadNodes(since?: Date): Promise<{ snapshots: FullNodeSnapshot[]; invalid: InvalidRow[]; findings: FindingView[] }> {
    const [{ snapshots, invalid }, open] = await Promise.all([loadNodeSnapshots(this.db, since), openFindings(this.db)]);
    return { snapshots, invalid, findings: open.map(({ resolvedAt: _open, ...f }) => f) };
  }

  saveHostAnalyses(rows: readonly HostAnalysisWrite[], at: Date): Promise<void> {
    return saveHostAnalyses(this.db, rows, at);
  }

  openFinding(f: FindingView, at: Date): Promise<number> {
    return openFinding(this.db, f, at);
  }

  refreshFindings(findings: readonly FindingContent[], at: Date): Promise<void> {
    return refreshFindings(this.db, findings, at);
  }

  resolveFindings(findings: readonly FindingView[], at: Date): Promise<void> {
    return resolveFindings(this.db, findings.map(findingKey), at);
  }

  touchFindings(ids: readonly number[], at: Date): Promise<void> {
    return touchFindings(this.db, ids, at);
  }

  saveSnapshots(snapshots: readonly FullNodeSnapshot[], receivedAt: Date): Promise<void> {
    return saveNodeSnapshots(this.db, snapshots, receivedAt);
  }

  saveBumReports(reports: readonly BumReport[], receivedAt: Date): Promise<void> {
    return saveBumReports(this.db, reports, receivedAt);
  }

  addConvergenceSamples(samples: readonly ConvergenceSample[], keepAfter: Date): Promise<void> {
    return addConvergenceSamples(this.db, this.provider, samples, keepAfter);
  }

  saveConvergenceCounts(rows: readonly HostConvergence[], at: Date): Promise<void> {
    return saveConvergenceCounts(this.db, rows, at);
  }

  loadNodeRefusals(): Promise<NodeRefusals> {
    return readNodeRefusals(this.db);
  }

  /** The Neutron API poller's status, and its names after a successful read (docs/neutron-api.md). */
  saveNeutronApi(status: NeutronApiStatus, names?: NeutronNames): Promise<void> {
    return saveNeutronApi(this.db, status, names);
  }

  saveNodeRefusals(refusals: NodeRefusals): Promise<void> {
    return writeNodeRefusals(this.db, refusals);
  }

  /** Close the database client. */
  close(): Promise<void> {
    return closeDb(this.db);
  }
}
