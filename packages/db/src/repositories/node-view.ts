/**
 * The dashboard's node view read from the database (told vs held): per host its l2pop
 * mode, drift and flood lists as last analysed by the worker, cross-host findings, convergence lags
 * and BUM reports, joined with the model projection (what l2pop told each host). Read-only; each
 * function is one page's initial state (live changes arrive on the worker's socket.io `nodes`).
 */
import {
  type NodeRefusals,
  type BumReport,
  DRIFT_CLASSES,
  type DriftClass,
  type FullNodeSnapshot,
  type HostAnalysis,
  type HostConvergence,
  type HostNetworkFdb,
  type HostNodeSummary,
  type HostView,
  type NodeNetworkMember,
  hostIn,
  summarizeHost,
  toldFdbOf,
} from '@l2scope/domain';
import { type Db, readConsistent } from '../client';
import { type StoredConvergenceSample, lagFiguresOfAnalysedHosts, recentConvergenceSamples } from './convergence';
import { type ListedFinding, openFindings, openFindingsOfHost, openFindingsOfNetwork, resolvedFindings } from './findings';
import { hostAnalyses, hostAnalysisOf } from './host-analyses';
import { type L3AgentView, readL3AgentOf } from './l3-agents';
import { findNetwork, readHostModel } from './model-projection';
import { type HostBumReport, bumReportOf, bumReports, nodeSnapshotOf } from './node-state';
import { readNodeRefusals } from './node-refusals';

/** The cloud overview: every host with a node agent, findings, drift totals by class, lags, BUM reports. */
export interface NodesOverview {
  /** One line per analysed host, by host name. */
  hosts: HostNodeSummary[];
  /** Drift items of all hosts per class. */
  driftTotals: Record<DriftClass, number>;
  /** Open findings, oldest first. */
  findings: ListedFinding[];
  /** The 20 most recently resolved findings, newest first. */
  resolvedFindings: ListedFinding[];
  /** Lag figures per host over its last 256 samples. */
  convergence: HostConvergence[];
  /** The latest valid BUM report per host, by host name. */
  bum: HostBumReport[];
  /** Node messages the worker refused, per reason (totals). */
  refused: NodeRefusals;
}

/** One host: what l2pop told it next to what it holds, and the analysis between the two. */
export interface NodeHostView {
  host: string;
  /** The model's view of the host (report_state, VTEP, networks); null when the model does not know it. */
  view: HostView | null;
  /** The host's L3 agent (its own report_state: `agent_mode`), apart from the L2 agent's `view`; null when none reported. */
  l3Agent: L3AgentView | null;
  analysis: HostAnalysis | null;
  /** When `analysis` was made (ISO-8601), null without one. */
  analysedAt: string | null;
  /** Its node agent's latest full snapshot, null without one. */
  snapshot: FullNodeSnapshot | null;
  /** What the server told it, per network (domain `toldFdbOf`, the same as `ClusterModel.toldFdb`). */
  told: HostNetworkFdb[];
  /** Its 50 newest convergence samples, newest first. */
  convergence: StoredConvergenceSample[];
  bum: BumReport | null;
  /** Open findings naming it. */
  findings: ListedFinding[];
}

/** One network: every analysed host's flood list on it and BUM report, its open findings. */
export interface NodeNetworkView {
  /** `deletedAt`: epoch ms of the network's `network_delete`, null while it lives. */
  network: { id: string; vni: number | null; networkType: string; deletedAt: number | null };
  /** Hosts whose analysis has a flood list for the network, by host name. */
  hosts: NodeNetworkMember[];
  findings: ListedFinding[];
}

/** Drift items of all hosts, per class (every class present, 0 when none). */
export function driftTotals(hosts: readonly HostNodeSummary[]): Record<DriftClass, number> {
  return Object.fromEntries(DRIFT_CLASSES.map((c) => [c, hosts.reduce((n, h) => n + h.drift[c], 0)])) as Record<DriftClass, number>;
}

/**
 * The overview page's state, in seven queries whatever the number of hosts, run in parallel:
 * analyses, open findings, resolved findings, BUM reports, lag figures of the analysed hosts (their
 * samples and their tracker counts), node message refusals. Each
 * is a statement of constant text: no per-host query, no per-host bound parameter.
 */
export async function readNodesOverview(db: Db): Promise<NodesOverview> {
  // one snapshot: a host analysed between two reads would otherwise miss its findings or lag
  const [analyses, open, resolved, bum, lags, refused] = await readConsistent(db, (tx) =>
    Promise.all([hostAnalyses(tx), openFindings(tx), resolvedFindings(tx, 20), bumReports(tx), lagFiguresOfAnalysedHosts(tx), readNodeRefusals(tx)]),
  );
  const hosts = analyses.map((a) => summarizeHost(a.host, a.analysis));
  const lagOf = new Map(lags.map((l) => [l.host, l]));
  return {
    hosts,
    driftTotals: driftTotals(hosts),
    findings: open,
    resolvedFindings: resolved,
    // in the order of the hosts; a host analysed after the analyses were read is left out
    convergence: hosts.flatMap((h) => lagOf.get(h.host) ?? []),
    bum,
    refused,
  };
}

/** The host page's state; null when neither the model, an analysis nor a snapshot knows `host`. */
export async function readNodeHost(db: Db, host: string): Promise<NodeHostView | null> {
  // one snapshot: the told rows (model) and the held rows (snapshot, analysis) of the same moment
  const [analysis, snapshot, bum, samples, model, findings, l3Agent] = await readConsistent(db, (tx) =>
    Promise.all([
      hostAnalysisOf(tx, host),
      nodeSnapshotOf(tx, host),
      bumReportOf(tx, host),
      recentConvergenceSamples(tx, host, 50),
      readHostModel(tx, host),
      openFindingsOfHost(tx, host),
      readL3AgentOf(tx, host),
    ]),
  );
  const view = hostIn(model, host) ?? null;
  if (!analysis && !snapshot && !view) return null;
  return {
    host,
    view,
    l3Agent,
    analysis: analysis?.analysis ?? null,
    analysedAt: analysis?.at.toISOString() ?? null,
    snapshot,
    told: toldFdbOf(model, host),
    convergence: samples,
    bum,
    findings,
  };
}

/** The network page's state; null when the model projection has no such network. */
export async function readNodeNetwork(db: Db, network: string): Promise<NodeNetworkView | null> {
  const [net, analyses, bum, findings] = await readConsistent(db, (tx) =>
    Promise.all([findNetwork(tx, network), hostAnalyses(tx), bumReports(tx), openFindingsOfNetwork(tx, network)]),
  );
  if (!net) return null;
  const bumOf = new Map(bum.map((b) => [b.host, b.report]));
  const hosts = analyses.flatMap((a): NodeNetworkMember[] => {
    const ha = a.analysis;
    const flood = ha.flood[network];
    if (!flood) return [];
    return [
      { host: a.host, vtep: ha.mode.vtep, mode: ha.mode.summary, flood, drift: ha.drift.filter((d) => d.network === network), bum: bumOf.get(a.host) ?? null },
    ];
  });
  return { network: net, hosts, findings };
}
