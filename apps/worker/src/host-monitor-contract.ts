/**
 * The host monitor's contracts: where it keeps its state ({@link NodeStore}), its options, its
 * events, its counters and the status it answers on `GET /api/nodes`.
 */
import type { FindingContent, HostAnalysisWrite, InvalidRow } from '@l2scope/db';
import type {
  BumReport,
  ClusterModel,
  ConvergenceSample,
  FindingView,
  FullNodeSnapshot,
  HostConvergence,
  NodeAnalysis,
  NodeRefusals,
  NodesLiveUpdate,
} from '@l2scope/domain';

/**
 * Where the node monitor keeps its state (the worker's `PrismaStore`, through packages/db's
 * repositories). Every method throws the driver's error; the monitor logs it and goes on.
 */
export interface NodeStore {
  /** Each host's latest full snapshot and the open findings, as persisted (invalid snapshot rows named). */
  loadNodes(since?: Date): Promise<{ snapshots: FullNodeSnapshot[]; invalid: InvalidRow[]; findings: FindingView[] }>;
  /** Take expired hosts out of the stored live view (their latest analysis and BUM report). */
  forgetHosts?(hosts: readonly string[]): Promise<void>;
  /** Upsert hosts' analyses made at `at`. */
  saveHostAnalyses(rows: readonly HostAnalysisWrite[], at: Date): Promise<void>;
  /** @returns the new finding row's id */
  openFinding(f: FindingView, at: Date): Promise<number>;
  /** Rewrite what these open findings say (by kind and network: hosts, detail, evidence, VNI), seen at `at`; one transaction. */
  refreshFindings(findings: readonly FindingContent[], at: Date): Promise<void>;
  /** Resolve the open rows of these findings (by kind and network). */
  resolveFindings(findings: readonly FindingView[], at: Date): Promise<void>;
  /** Mark finding rows still seen at `at`. */
  touchFindings(ids: readonly number[], at: Date): Promise<void>;
  /** Upsert hosts' latest full snapshots. */
  saveSnapshots(snapshots: readonly FullNodeSnapshot[], receivedAt: Date): Promise<void>;
  /** Upsert hosts' latest BUM reports, received at `receivedAt`, and append them to the BUM history. */
  saveBumReports(reports: readonly BumReport[], receivedAt: Date): Promise<void>;
  /** Append convergence samples, then drop those seen before `keepAfter`. */
  addConvergenceSamples(samples: readonly ConvergenceSample[], keepAfter: Date): Promise<void>;
  /** Upsert hosts' convergence counts (pending, timed out, already held) as of `at`. */
  saveConvergenceCounts(rows: readonly HostConvergence[], at: Date): Promise<void>;
  /** The refused node messages per reason, as persisted (zeros when never written). */
  loadNodeRefusals(): Promise<NodeRefusals>;
  /** Store the refused node messages per reason (monotonic totals). */
  saveNodeRefusals(refusals: NodeRefusals): Promise<void>;
}

export interface HostMonitorOptions {
  model: ClusterModel;
  store: NodeStore;
  log: (line: string) => void;
  /** Delay after a change before re-analysing (ms). */
  debounceMs?: number;
  /** Keep convergence samples this long (ms). */
  convergenceRetentionMs?: number;
  /** Delay from a change of node state to its write (ms, default 1000): writes are throttled. */
  flushDelayMs?: number;
  /** Cap on a node message's body (bytes, default 8 MiB), checked on the raw length before parsing: over it, refused `oversize`. */
  maxMessageBytes?: number;
  /**
   * RabbitMQ user -> the host it publishes for (docs/rabbitmq.md#identity); users it does not name
   * follow the convention `l2scope-agent-<host>`.
   */
  nodeAgentUsers?: Readonly<Record<string, string>>;
  /**
   * Agent liveness (ms): `agentDownTimeMs` (default 75 s) is neutron-server's `agent_down_time`, after
   * which a host without report_state is down (an `agent_down` finding); `reportIntervalMs` (default
   * 30 s) is the agents' `report_interval`, quoted in the finding. Judged at the model's clock.
   */
  liveness?: { agentDownTimeMs?: number; reportIntervalMs?: number };
}

/** Events of a {@link HostMonitor}. */
export interface HostMonitorEvents {
  /**
   * What changed in the host view, emitted only once the write holding it has been attempted
   * (committed, or failed and logged): a browser that reads the database after it was emitted sees
   * at least this state, so its resync (read, then fold buffered live updates) loses nothing.
   */
  update: [update: NodesLiveUpdate];
  /** Cast entries a host's new snapshot showed applied (their lags), as observed (the `/metrics` histogram). */
  samples: [samples: readonly ConvergenceSample[]];
}

/** Counters of the node data stream. */
export interface NodeCounters {
  snapshots: number;
  deltas: number;
  /** Deltas that did not match the last full (waiting for the next full). */
  deltaMismatches: number;
  /**
   * Node messages refused, per reason (`host_mismatch`, `stale`, `oversize`, `invalid`), since the
   * database was created (docs/rabbitmq.md#refusals).
   */
  refused: NodeRefusals;
  bumReports: number;
  analyses: number;
  /** Duration of the last analysis (ms). */
  lastAnalysisMs: number;
}

/** The worker's host view from memory, as `GET /api/nodes` answers it (operators and tests). */
export interface NodesStatus {
  /** The latest analysis (every host of the model, with or without a node agent), null before the first. */
  analysis: NodeAnalysis | null;
  /** Open findings. */
  findings: FindingView[];
  /** Lag figures per host, with the entries pending and timed out. */
  convergence: HostConvergence[];
  counters: NodeCounters;
  /** Hosts with a node agent (a full snapshot), sorted. */
  hosts: string[];
}
