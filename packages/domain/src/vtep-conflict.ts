/**
 * VTEP conflicts (docs/l2pop.md#findings): a `report_state` whose `tunneling_ip` is the VTEP of
 * another host whose agent is still alive. neutron-server would then hand both hosts' ports the
 * same VTEP (l2pop tells every peer `mac dst <ip>` for both), so traffic for one lands on the
 * other; usually a cloned hypervisor image or a copied `local_ip`. The model does not hand the VTEP
 * over silently: the live owner keeps it and the claim becomes a `vtep_conflict` finding, with
 * both hosts and the IP as evidence. Pure: the caller gives the times.
 *
 * "Alive" is neutron-server's one notion of it, with its configured `agent_down_time`: neutron
 * judges every agent by neutron/agent/common/utils.py `is_agent_down` (`timeutils.is_older_than(
 * heartbeat, cfg.CONF.agent_down_time)`, also behind `AgentDbMixin.is_agent_down` and the
 * agents API's `alive`). Neutron itself has no VTEP-conflict check: `tunnel_sync`
 * (neutron/plugins/ml2/drivers/type_tunnel.py `TunnelRpcCallbackMixin`) hands a tunnel IP to the
 * newest claimant ("Tunnel IP ... was used by host ... and will be assigned to ..."). l2scope
 * calls that a conflict only while the old owner is alive by that same rule, so the window is the
 * configured `agent_down_time` (worker `--agent-down-time`, `l2scope analyze --agent-down-time`,
 * given to `ClusterModel`), never a fixed 75 s.
 */
import { AGENT_DOWN_TIME_MS } from './agent-liveness';
import type { Finding } from './node/analysis/findings';

/** One host claiming another live host's VTEP. */
export interface VtepConflict {
  /** The VTEP IP (`tunneling_ip`) both claim. */
  vtep: string;
  /** The host that held it first (and keeps it in the model). */
  owner: string;
  /** The host whose report_state claims it. */
  claimant: string;
  /** Epoch ms of the owner's last report_state. */
  ownerLastReportAt: number;
  /** Epoch ms of the claiming report_state. */
  at: number;
}

/** What the model knows of the VTEP's current owner. */
export interface VtepOwner {
  /** Host name from its report_state; null for a VTEP known only from casts (not an agent: no conflict). */
  name: string | null;
  vtep: string | null;
  /** Epoch ms of its last report_state, null when none. */
  lastReportAt: number | null;
}

/**
 * Whether a report_state of `claim.host` with `tunneling_ip` `claim.vtep` conflicts with the VTEP's
 * owner: another named host that holds that VTEP and reported within `downTimeMs` before `claim.at`.
 * @param claim the claiming report_state: host name, `tunneling_ip`, epoch ms received
 * @param downTimeMs the configured `agent_down_time` (ms; default {@link AGENT_DOWN_TIME_MS}, 75 s)
 * @returns the conflict, or null (no owner, the same host, a cast-only VTEP, or an owner that is down: a takeover)
 */
export function vtepClaimConflict(
  claim: { host: string; vtep: string; at: number },
  owner: VtepOwner | undefined,
  downTimeMs = AGENT_DOWN_TIME_MS,
): VtepConflict | null {
  if (!owner || owner.name === null || owner.name === claim.host || owner.vtep !== claim.vtep) return null;
  if (owner.lastReportAt === null || claim.at - owner.lastReportAt > downTimeMs) return null;
  return { vtep: claim.vtep, owner: owner.name, claimant: claim.host, ownerLastReportAt: owner.lastReportAt, at: claim.at };
}

/** The `vtep_conflict` finding of a conflict, keyed by the VTEP (`network` = `vtep:<ip>`, no VNI). */
export function vtepConflictFinding(c: VtepConflict): Finding {
  const when = (ms: number) => new Date(ms).toISOString();
  return {
    kind: 'vtep_conflict',
    network: `vtep:${c.vtep}`,
    vni: null,
    hosts: [c.owner, c.claimant].sort(),
    detail:
      `${c.claimant} reports tunneling_ip ${c.vtep}, the VTEP of ${c.owner}, whose agent is alive: l2pop would point both hosts' ports at one VTEP, ` +
      `so traffic for one lands on the other. l2scope keeps ${c.vtep} on ${c.owner}. Fix local_ip on ${c.claimant} (a cloned image?) and restart its agent.`,
    evidence: [
      { host: c.owner, source: 'report_state', file: null, text: `tunneling_ip ${c.vtep} (last report_state ${when(c.ownerLastReportAt)})` },
      { host: c.claimant, source: 'report_state', file: null, text: `tunneling_ip ${c.vtep} (report_state ${when(c.at)})` },
    ],
  };
}
