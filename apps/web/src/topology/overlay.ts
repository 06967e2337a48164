/**
 * What the host view adds to the topology: a drift badge per host card (count, worst class, flood
 * problems) and, per tunnel edge, the recipient's class in the host's flood list (missing / excess)
 * and the measured BUM rate. Pure; the verdicts are the worker's analysis (`HostNodeSummary`,
 * `FloodList`) and the node agents' BUM reports.
 */
import { type BumReport, type DriftClass, type FloodList, type HostNodeSummary, isMulticastIp } from '@l2scope/domain';
import { worstClass } from '../host-view/classes';

/** The host view as the topology needs it. */
export interface NodeOverlay {
  /** Analysed hosts by host name. */
  hosts: ReadonlyMap<string, HostNodeSummary>;
  /** Per network id, per host name: its flood list (networks whose lists are loaded). */
  floods: ReadonlyMap<string, ReadonlyMap<string, FloodList>>;
  /** Latest BUM report per host name. */
  bum: ReadonlyMap<string, BumReport>;
  /**
   * Hosts named by an open `agent_down` finding (covers hosts without a node agent, which have no
   * summary); absent: none known.
   */
  downAgents?: ReadonlySet<string>;
}

/** A host card's mark of a down L2 agent (the worker's verdict; times ISO, null when unknown). */
export interface AgentDownMark {
  host: string;
  /** When it crossed agent_down_time (`AgentLiveness.downSince`); null when known only from the finding. */
  downSince: string | null;
  lastReportAt: string | null;
}

/**
 * The down-agent mark of a host card, or null while its agent is alive or unknown: the analysis'
 * `agent` when the host has one, else an open `agent_down` finding naming it.
 */
export function agentDownMark(host: string, o: NodeOverlay | null | undefined): AgentDownMark | null {
  const agent = o?.hosts.get(host)?.agent;
  if (agent) return agent.alive ? null : { host, downSince: agent.downSince ?? null, lastReportAt: agent.lastReportAt };
  return o?.downAgents?.has(host) ? { host, downSince: null, lastReportAt: null } : null;
}

/** The badge of a host card. */
export interface DriftBadge {
  host: string;
  total: number;
  worst: DriftClass | null;
  counts: Record<DriftClass, number>;
  floodExcess: number;
  floodMissing: number;
  /** Multicast groups this host floods to in excess (half-switched), over the loaded networks. */
  excessGroups: string[];
  /** Mode summary of the analysis. */
  summary: string;
}

/** The badge of a host with a node agent (null for a host the analysis does not cover). */
export function driftBadge(host: string, o: NodeOverlay | null | undefined): DriftBadge | null {
  const s = o?.hosts.get(host);
  if (!s) return null;
  const groups = new Set<string>();
  for (const perHost of o!.floods.values()) for (const v of perHost.get(host)?.excess ?? []) if (isMulticastIp(v)) groups.add(v);
  return {
    host,
    total: s.driftTotal,
    worst: worstClass(s.drift),
    counts: s.drift,
    floodExcess: s.floodExcess,
    floodMissing: s.floodMissing,
    excessGroups: [...groups].sort(),
    summary: s.summary,
  };
}

/** How the badge reads in one line (its title attribute). */
export function badgeTitle(b: DriftBadge): string {
  const classes = Object.entries(b.counts)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${c} ${n}`);
  const flood = [
    b.floodMissing ? `${b.floodMissing} flood recipient(s) missing` : '',
    b.floodExcess ? `${b.floodExcess} excess flood recipient(s)` : '',
  ].filter(Boolean);
  const head = b.total === 0 ? 'No drift: the host holds what l2pop told it' : `${b.total} drift item(s): ${classes.join(', ')}`;
  return `${head}${flood.length ? `; ${flood.join(', ')}` : ''}. ${b.summary}. Open the host page.`;
}

/** Animation period (s) of an edge carrying `fps` BUM frames/s: faster with more traffic; null = still. */
export function flowPeriod(fps: number | null): number | null {
  if (fps === null || fps <= 0) return null;
  return Math.min(3, Math.max(0.25, 2.4 / Math.log2(2 + fps * 4)));
}

/** Stroke width of an edge carrying `fps` BUM frames/s (2 px idle, up to 6 px). */
export function flowWidth(fps: number | null): number {
  if (fps === null || fps <= 0) return 2;
  return Math.min(6, 2 + Math.log10(1 + fps * 10));
}
