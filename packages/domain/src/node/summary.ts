/**
 * What the dashboard lists per host and per finding: compact views of an analysis, shared by the
 * worker (live push) and the API (initial state from the database).
 */
import type { AgentLiveness } from '../agent-liveness';
import type { HostAnalysis } from './analysis/analyzer';
import { DRIFT_CLASSES, type DriftClass, type DriftItem } from './analysis/drift';
import type { Finding } from './analysis/findings';
import type { FloodList } from './analysis/flood-list';
import type { BumReport } from './bum/report';

/** One host's line in the cloud overview. */
export interface HostNodeSummary {
  host: string;
  agentType: 'linuxbridge' | 'openvswitch' | null;
  vtep: string | null;
  /** e.g. `l2pop, ARP responder`, `flood-and-learn (multicast group 224.0.0.1)`, `half-switched: ...`. */
  summary: string;
  l2pop: 'on' | 'off' | 'unknown';
  arpResponder: 'on' | 'off' | 'unknown';
  floodMode: HostAnalysis['mode']['floodMode'];
  drift: Record<DriftClass, number>;
  driftTotal: number;
  /** Learned MACs l2pop never announced, on an l2pop host (not drift: see `ForeignMac`). */
  foreignMacs: number;
  /** Flood-list problems over all networks: wasted copies and unreached VTEPs. */
  floodExcess: number;
  floodMissing: number;
  /** ISO time of the node snapshot analysed, null without a node agent. */
  snapshotAt: string | null;
  /** Its L2 agent's liveness from report_state (agent-liveness.ts), null when it never reported or the analysis predates it. */
  agent: AgentLiveness | null;
}

/** Summarise a host's analysis. */
export function summarizeHost(host: string, a: HostAnalysis): HostNodeSummary {
  const drift = Object.fromEntries(DRIFT_CLASSES.map((c) => [c, 0])) as Record<DriftClass, number>;
  for (const d of a.drift) drift[d.class]++;
  const floods = Object.values(a.flood);
  return {
    host,
    agentType: a.mode.agentType,
    vtep: a.mode.vtep,
    summary: a.mode.summary,
    l2pop: a.mode.l2pop,
    arpResponder: a.mode.arpResponder,
    floodMode: a.mode.floodMode,
    drift,
    driftTotal: a.drift.length,
    // analyses stored before foreign MACs were told apart have no list
    foreignMacs: a.foreignMacs?.length ?? 0,
    floodExcess: floods.reduce((n, f) => n + f.excess.length, 0),
    floodMissing: floods.reduce((n, f) => n + f.missing.length, 0),
    snapshotAt: a.snapshot?.takenAt ?? null,
    agent: a.agent ?? null,
  };
}

/**
 * One member host of a network as the network page lists it (`nodes.network`, the flood matrix's
 * rows): a host with an analysis that has a flood list for the network.
 */
export interface NodeNetworkMember {
  host: string;
  /** Its VTEP (IPv4 / IPv6 address), null when the analysis found none. */
  vtep: string | null;
  /** The host's l2pop mode summary, e.g. `l2pop, ARP responder`. */
  mode: string;
  /** Its flood list on the network. */
  flood: FloodList;
  /** The host's drift items on this network. */
  drift: DriftItem[];
  /** Its latest valid BUM report, null without one. */
  bum: BumReport | null;
}

/** A finding as listed, with its lifetime. */
export interface FindingView extends Finding {
  id: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

/** Key of a finding: one open finding per kind and network. */
export const findingKey = (f: Pick<Finding, 'kind' | 'network'>) => `${f.kind}/${f.network}`;
