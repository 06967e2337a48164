/**
 * Agent liveness per host, from `report_state` heartbeats, as neutron-server decides it.
 *
 * Mirrors neutron/agent/common/utils.py `is_agent_down` (stable/zed; also
 * neutron/db/agents_db.py `AgentDbMixin.is_agent_down`): an agent is down when
 * `timeutils.is_older_than(heartbeat_timestamp, agent_down_time)`, i.e. `now - heartbeat >
 * agent_down_time`; alive iff `now - heartbeat <= agent_down_time`. The heartbeat is the time the
 * server received the report_state (`create_or_update_agent` stamps `heartbeat_timestamp =
 * utcnow()`), so here it is the report_state's receive time (`HostView.lastReportAt`).
 * Defaults: `[agent] report_interval = 30` (neutron/conf/agent/common.py `AGENT_STATE_OPTS`) and
 * `agent_down_time = 75` (neutron/conf/agent/database/agents_db.py), both configurable.
 *
 * Pure: `now` is an input (the model's clock, {@link ClusterModel.clock}, or `--until` in
 * `l2scope analyze`), never the wall clock. A dead agent no longer applies l2pop casts, so drift on
 * its host may follow from it: an `agent_down` finding names the host, and the host's drift rows
 * reference it (`DriftItem.causes`).
 */
import type { HostView } from './model';
import type { DriftItem } from './node/analysis/drift';
import type { Finding } from './node/analysis/findings';
import type { HostAnalysis, NodeAnalysis } from './node/analysis/analyzer';

/** `[agent] report_interval` default (ms): how often an agent sends report_state. */
export const REPORT_INTERVAL_MS = 30_000;

/**
 * How long after its last `report_state` an agent still counts as alive (ms): neutron-server's
 * `agent_down_time` default, 75 s (twice `report_interval` 30 s plus slack).
 */
export const AGENT_DOWN_TIME_MS = 75_000;

/** The liveness settings (ms), as the worker's `--report-interval` / `--agent-down-time` set them. */
export interface LivenessOptions {
  /** Expected heartbeat period (ms); only quoted in texts. Default {@link REPORT_INTERVAL_MS}. */
  reportIntervalMs?: number;
  /** A host is down when its last report_state is older than this (ms). Default {@link AGENT_DOWN_TIME_MS}. */
  agentDownTimeMs?: number;
}

/** A host's agent as neutron-server would see it at a given time. */
export interface AgentLiveness {
  /** `now - lastReportAt <= agent_down_time` (neutron `is_agent_down` negated). */
  alive: boolean;
  /** ISO-8601 receive time of its last report_state. */
  lastReportAt: string;
  /** ISO-8601 time it crossed `agent_down_time` (`lastReportAt + agent_down_time`); only when down. */
  downSince?: string;
}

/**
 * Whether an agent whose last heartbeat was at `lastReportAt` is alive at `now`.
 * @param lastReportAt epoch ms of the last report_state received
 * @param now epoch ms (the model's clock, not the wall clock)
 * @param agentDownTimeMs ms; default 75 s
 */
export function isAgentAlive(lastReportAt: number, now: number, agentDownTimeMs = AGENT_DOWN_TIME_MS): boolean {
  return now - lastReportAt <= agentDownTimeMs;
}

/**
 * A host's liveness at `now`, or null for a host that never sent a report_state (known only from
 * casts or a node snapshot: Neutron has no agent row to judge).
 * @param lastReportAt epoch ms or null
 * @param now epoch ms
 */
export function agentLiveness(lastReportAt: number | null, now: number, agentDownTimeMs = AGENT_DOWN_TIME_MS): AgentLiveness | null {
  if (lastReportAt === null) return null;
  const iso = new Date(lastReportAt).toISOString();
  if (isAgentAlive(lastReportAt, now, agentDownTimeMs)) return { alive: true, lastReportAt: iso };
  return { alive: false, lastReportAt: iso, downSince: new Date(lastReportAt + agentDownTimeMs).toISOString() };
}

/** The `network` key of a host's `agent_down` finding: `agent:<host>` (per host, not per network). */
export const agentFindingNetwork = (host: string) => `agent:${host}`;

/** The key (`findingKey`) of a host's `agent_down` finding, which its drift rows reference. */
export const agentDownKey = (host: string) => `agent_down/${agentFindingNetwork(host)}`;

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * The `agent_down` finding of a host whose agent is down: no report_state for longer than
 * `agent_down_time`. Keyed per host (`network` = `agent:<host>`, no VNI).
 * @param host the host name
 * @param l its liveness (must be down)
 */
export function agentDownFinding(host: string, l: AgentLiveness, opts: LivenessOptions = {}): Finding {
  const down = opts.agentDownTimeMs ?? AGENT_DOWN_TIME_MS;
  const interval = opts.reportIntervalMs ?? REPORT_INTERVAL_MS;
  return {
    kind: 'agent_down',
    network: agentFindingNetwork(host),
    vni: null,
    hosts: [host],
    detail:
      `The L2 agent on ${host} has sent no report_state since ${l.lastReportAt} (expected every ${seconds(interval)}), longer than agent_down_time ` +
      `(${seconds(down)}): neutron-server counts it as down (alive: false). A dead agent applies no l2pop casts, so the FDB and ARP entries on ${host} ` +
      `stop following port changes (drift there may be caused by it), and neutron-server may skip the host. Check the agent process and its RabbitMQ connection.`,
    evidence: [
      {
        host,
        source: 'report_state',
        file: null,
        text: `last report_state ${l.lastReportAt}; agent_down_time ${seconds(down)}; down since ${l.downSince ?? '?'}`,
      },
    ],
  };
}

/**
 * Liveness of every named host of the model at `now`, by host id, sorted by host (hosts that never
 * reported are left out).
 */
export function agentsAt(hosts: Iterable<Pick<HostView, 'id' | 'name' | 'lastReportAt'>>, now: number, opts: LivenessOptions = {}): Map<string, AgentLiveness> {
  const out: [string, AgentLiveness][] = [];
  for (const h of hosts) {
    if (h.name === null) continue;
    const l = agentLiveness(h.lastReportAt, now, opts.agentDownTimeMs);
    if (l) out.push([h.id, l]);
  }
  return new Map(out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The earliest time after `now` at which some alive agent crosses `agent_down_time` (epoch ms), or
 * null when none will: the next moment {@link agentsAt} can change without a report_state.
 */
export function nextAgentDownAt(hosts: Iterable<Pick<HostView, 'name' | 'lastReportAt'>>, now: number, opts: LivenessOptions = {}): number | null {
  const down = opts.agentDownTimeMs ?? AGENT_DOWN_TIME_MS;
  let next: number | null = null;
  for (const h of hosts) {
    if (h.name === null || h.lastReportAt === null || !isAgentAlive(h.lastReportAt, now, down)) continue;
    const at = h.lastReportAt + down + 1;
    if (next === null || at < next) next = at;
  }
  return next;
}

/** Memo of {@link withAgentLiveness}: decorated host analyses by their undecorated object. */
export type LivenessMemo = WeakMap<HostAnalysis, { sig: string; out: HostAnalysis }>;

/**
 * The analysis with each host's `agent` liveness, its drift rows referencing the host's
 * `agent_down` finding when the agent is down (`causes`), and one `agent_down` finding per down
 * host appended after the network findings. Hosts of the analysis that the model does not name
 * (no report_state) get `agent: null`.
 * @param agents liveness per host name ({@link agentsAt})
 * @param memo optional: the same input host object with the same liveness gives the same output object
 *   (the worker compares host analyses by identity to find changed hosts)
 */
export function withAgentLiveness(a: NodeAnalysis, agents: ReadonlyMap<string, AgentLiveness>, opts: LivenessOptions = {}, memo?: LivenessMemo): NodeAnalysis {
  const hosts: Record<string, HostAnalysis> = {};
  for (const [name, ha] of Object.entries(a.hosts)) {
    const agent = agents.get(name) ?? null;
    const sig = agent ? `${agent.alive ? 1 : 0}/${agent.lastReportAt}` : '';
    const hit = memo?.get(ha);
    if (hit && hit.sig === sig) {
      hosts[name] = hit.out;
      continue;
    }
    const key = agentDownKey(name);
    const drift: DriftItem[] = agent && !agent.alive ? ha.drift.map((d) => ({ ...d, causes: [key] })) : ha.drift;
    const out: HostAnalysis = { ...ha, agent, drift };
    memo?.set(ha, { sig, out });
    hosts[name] = out;
  }
  const down = [...agents].filter(([, l]) => !l.alive).map(([host, l]) => agentDownFinding(host, l, opts));
  return { hosts, findings: down.length ? [...a.findings, ...down] : a.findings };
}
