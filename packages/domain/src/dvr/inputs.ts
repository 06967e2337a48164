/**
 * The analysis inputs of every host from what l2scope stores: the L2 agents' last report_state
 * (the model's hosts) and the node agents' full snapshots (their `openvswitch.dvr` section and the
 * agent ini), and the L3 agents' last report_state (their `agent_mode`, kept apart from the host's). Pure.
 */
import type { L3AgentState } from '../l3-agent';
import type { FullNodeSnapshot } from '../node/snapshot';
import type { DvrHostInput } from './analysis';

/** What the model keeps of a host's report_state (HostView / the `Host` table). */
export interface DvrReportInput {
  host: string;
  distributedRouting: boolean | null;
  l2population: boolean | null;
  arpResponder: boolean | null;
}

/**
 * One {@link DvrHostInput} per host named by a report or a snapshot (sorted by host).
 * @param reports hosts with a report_state (anonymous `vtep:<ip>` hosts are left out)
 * @param snapshots the latest full snapshot of each node agent
 * @param l3Agents the L3 agents' latest state per host (`latestL3Agents`); a host known only by its L3 agent gets a row too
 */
export function dvrHostInputs(
  reports: readonly DvrReportInput[],
  snapshots: readonly FullNodeSnapshot[],
  l3Agents: readonly Pick<L3AgentState, 'host' | 'agentMode'>[] = [],
): DvrHostInput[] {
  const out = new Map<string, DvrHostInput>();
  const get = (host: string) => {
    let h = out.get(host);
    if (!h) {
      h = { host, report: null, ini: null, l3AgentMode: null, flows: null, routers: null };
      out.set(host, h);
    }
    return h;
  };
  for (const r of reports) {
    if (r.host.startsWith('vtep:')) continue;
    get(r.host).report = { distributedRouting: r.distributedRouting, l2population: r.l2population, arpResponder: r.arpResponder };
  }
  for (const s of snapshots) {
    const h = get(s.host);
    h.ini = s.agent.ini;
    const dvr = s.openvswitch?.dvr ?? null;
    if (dvr) {
      h.flows = dvr.flows;
      h.routers = dvr.routers;
    }
  }
  for (const a of l3Agents) if (!a.host.startsWith('vtep:')) get(a.host).l3AgentMode = a.agentMode;
  return [...out.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}
