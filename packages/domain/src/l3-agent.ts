/**
 * The L3 agent beside a host's L2 agent: its `agent_mode` as its own `report_state` gives it.
 *
 * Mirrors neutron/agent/l3/agent.py `L3NATAgentWithStateReport` (`agent_state`: `binary`
 * `neutron-l3-agent`, `agent_type` `L3 agent`, `configurations.agent_mode`) and the choices of
 * `[DEFAULT] agent_mode` in neutron/conf/agent/l3/config.py. The L3 agent's report is a companion
 * report (`isL2AgentReport` is false): it is kept apart and never changes the L2 agent's host
 * (docs/wire-format.md#report-state). Pure.
 */
import type { AgentReport } from './agent';

/** `agent_mode` choices of the L3 agent (neutron/conf/agent/l3/config.py, Zed). */
export const L3_AGENT_MODES = ['legacy', 'dvr', 'dvr_snat', 'dvr_no_external'] as const;
export type L3AgentMode = (typeof L3_AGENT_MODES)[number];

/** The `agent_type` neutron-l3-agent reports (neutron-lib `constants.AGENT_TYPE_L3`). */
export const L3_AGENT_TYPE = 'L3 agent';

/** A host's L3 agent as its last `report_state` described it. */
export interface L3AgentState {
  host: string;
  binary: string;
  /** `configurations.agent_mode`; null when the report carries none. */
  agentMode: L3AgentMode | null;
  /** Epoch ms of the report (receive time). */
  reportedAt: number;
  /** The report had `start_flag` (the agent (re)started). */
  started: boolean;
}

/**
 * The L3 agent state a report carries, or null when the report is not an L3 agent's (an L2, DHCP,
 * metadata agent's report, or one that also reports a `tunneling_ip`: then it is the host's L2 agent).
 * @param report a decoded `report_state`
 * @param at its receive time, epoch ms
 */
export function l3AgentStateOf(report: AgentReport, at: number): L3AgentState | null {
  if (report.agentType !== L3_AGENT_TYPE || report.tunnelingIp !== null) return null;
  return { host: report.host, binary: report.binary, agentMode: report.agentMode, reportedAt: at, started: report.startFlag };
}

/**
 * The latest L3 agent state per host among `states` (a later report wins; ties: the later in the
 * list). A host whose later report left `agentMode` out keeps no mode: the newest report is what the agent says now.
 * @returns one state per host, sorted by host
 */
export function latestL3Agents(states: readonly L3AgentState[]): L3AgentState[] {
  const out = new Map<string, L3AgentState>();
  for (const s of states) {
    const prev = out.get(s.host);
    if (!prev || s.reportedAt >= prev.reportedAt) out.set(s.host, s);
  }
  return [...out.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}
