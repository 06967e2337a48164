/**
 * What a toggle will do to the cluster, predicted before it runs (docs/toggles.md#jobs): the
 * cross-host findings once the target hosts run in their new mode, computed by the analysis's
 * own rule (`networkFindings` of node/analysis/findings.ts, fed hosts whose mode is the predicted
 * one), plus what only a plan can say: the DVR guard, a server without the l2population driver,
 * and the half-switched devices of a Linux bridge in-place switch. Pure.
 *
 * No full-FDB gap is predicted for a restart (docs/l2pop.md#restart): the restarted agent's first
 * loop asks for every device's details at once (`get_devices_details_list`), which sets each of
 * its ACTIVE ports back to BUILD (plugins/ml2/rpc.py `get_device_details` / `_get_new_status`,
 * every release since Havana); its `update_device_up` calls then find `agent_active_ports` 1, 2,
 * ... per network, and the first one gets the host-directed full FDB (l2pop/mech_driver.py
 * `update_port_up`, `is_first_port`). Open vSwitch also passes `refresh_tunnels` (`agent_restarted`
 * in Stein and Train) on its first loop (ovs_neutron_agent.py `_bind_devices`, `iter_num == 0`).
 * What l2scope cannot see ahead (ports the server still holds ACTIVE on the host that the agent no
 * longer has, HA router ports a standby network node counts) is left to verification.
 */
import { isAgentAlive } from '../agent-liveness';
import type { ClusterModel, HostView } from '../model';
import type { HostCtx } from '../node/analysis/context';
import { type Finding, networkFindings } from '../node/analysis/findings';
import { hostMode } from '../node/analysis/host-mode';
import { compareText, sortStr } from '../node/util';
import type { ModeChange } from './command';
import type { PredictedFinding, TogglePlan } from './view';

/** A mode known from somewhere other than report_state (the host's node analysis or its ini). */
export interface KnownMode {
  l2pop?: boolean | null;
  arpResponder?: boolean | null;
}

/** What {@link predictToggle} reads. */
export interface PredictToggleInput {
  /** The live model: hosts' report_state (agent type, `l2_population`, `arp_responder_enabled`, `enable_distributed_routing`), their networks and VTEP entries. */
  model: ClusterModel;
  /** The hosts to switch (host names as reported). */
  hosts: readonly string[];
  change: ModeChange;
  /** Linux bridge: edit the ini and restart only, without recreating `vxlan-<VNI>`. */
  inPlace: boolean;
  /**
   * The tap saw ports change but no `add_fdb_entries` in its window: the server may lack the
   * l2population mechanism driver (plugins/ml2/rpc.py `notify_l2pop_port_wiring` returns early).
   */
  noL2popCasts?: boolean;
  /**
   * Modes the report_state does not carry, per host name (a Linux bridge agent does not report
   * `arp_responder`): from the node analysis (`HostMode`) or the agent's plan (`before`).
   */
  known?: Readonly<Record<string, KnownMode>>;
  /**
   * The other hosts of the same batch (a network's hosts switched together, host by host in
   * `batchIndex` order): `earlier` run before the targets, `later` after. The predicted findings
   * are the batch's end state (every batch host switched); a cross-host finding that holds only
   * between the targets' switch and the last host's is returned with `transient: true`.
   */
  batch?: { earlier: readonly string[]; later: readonly string[] };
}

/** What a toggle is predicted to do: the fields of a {@link TogglePlan} l2scope computes (not the agent's). */
export type TogglePrediction = Pick<TogglePlan, 'method' | 'downtimeS' | 'predicted' | 'warnings' | 'applicable'>;

/** Seconds an agent restart takes before it serves again (process start, first RPC loop). */
export const AGENT_RESTART_S = 5;
/** Seconds per `vxlan-<VNI>` a clean Linux bridge switch adds (device deleted, re-plugged on the first loop). */
export const VXLAN_RECREATE_S = 1;

type AgentType = 'linuxbridge' | 'openvswitch' | null;

const agentTypeOf = (h: HostView): AgentType => (h.agentType === 'Open vSwitch agent' ? 'openvswitch' : h.agentType ? 'linuxbridge' : null);

interface PredictedHost {
  view: HostView;
  type: AgentType;
  l2pop: boolean | null;
  arp: boolean | null;
}

/**
 * A host as the analysis sees it without a node snapshot: its mode from {@link hostMode} on its
 * report_state (with the predicted values for a target), the ARP responder from `known` where the
 * report_state does not carry it. Linux bridge answers ARP only with l2pop on (the agent sets the
 * vxlan `proxy` only then, linuxbridge_neutron_agent.py `ensure_vxlan`), as `hostMode` rules.
 */
function ctxOf(p: PredictedHost): HostCtx {
  const view: HostView = { ...p.view, l2population: p.l2pop, arpResponder: p.type === 'openvswitch' ? p.arp : p.view.arpResponder };
  const mode = hostMode({ host: view, snap: null, type: p.type, vtep: view.vtep, held: new Map() });
  let arpEffective = mode.arpResponder === 'unknown' ? p.arp : mode.arpResponder === 'on';
  if (p.type === 'linuxbridge' && p.l2pop === false && arpEffective) arpEffective = false;
  if (p.type === 'openvswitch' && view.distributedRouting === true) arpEffective = true; // DVR forces it (ovs_neutron_agent.py)
  return {
    name: view.name!,
    modelId: view.id,
    host: view,
    snap: null,
    type: p.type,
    vtep: view.vtep,
    l2pop: mode.l2pop === 'unknown' ? null : mode.l2pop === 'on',
    arpEffective,
    mode,
    held: new Map(),
  };
}

function toPredicted(f: Finding, before: Finding[], during?: string): PredictedFinding {
  const existed = before.some((b) => b.kind === f.kind && b.network === f.network);
  return {
    kind: f.kind,
    severity: f.kind === 'mixed_arp_responder' ? 'error' : 'warning',
    networks: [f.network],
    hosts: f.hosts,
    detail: `${during ?? ''}${f.detail}${existed ? ' (already so before the change)' : ''}`.slice(0, 4096),
    ...(during ? { transient: true } : {}),
  };
}

/** The hosts' modes with `switched` in the new mode, the others as they are. */
function switchedModel(before: Map<string, PredictedHost>, switched: ReadonlySet<string>, change: ModeChange): Map<string, PredictedHost> {
  const out = new Map<string, PredictedHost>();
  for (const [name, p] of before) out.set(name, switched.has(name) ? { ...p, l2pop: change.l2_population ?? p.l2pop, arp: change.arp_responder ?? p.arp } : p);
  return out;
}

/**
 * Predict a toggle of `change` on `hosts`.
 *
 * - `mixed_arp_responder`, `mixed_l2pop`: `networkFindings` over every named host of each network
 *   a target is on, the targets in their new mode; a finding already there before says so.
 * - `dvr_needs_l2pop` (error, not applicable): l2pop off on a host reporting
 *   `enable_distributed_routing` (DVR needs l2pop: the l2pop driver's `_get_agent_fdb` and the
 *   DVR router MAC rules depend on it).
 * - `no_l2pop_casts` (warning): l2pop on while the server seems to lack the l2population driver.
 * - `no_tunnel_to_linuxbridge` (warning): l2pop off on an Open vSwitch host whose networks have
 *   Linux bridge hosts. In flood-and-learn the OVS agent makes tunnel ports only to the endpoints
 *   `tunnel_sync` returns (ovs_neutron_agent.py `tunnel_sync` and `tunnel_update`, only when
 *   `l2_pop` is off), which are the endpoints registered by agents that call `tunnel_sync`
 *   (ml2/drivers/type_tunnel.py `TunnelRpcCallbackMixin.tunnel_sync`: `add_endpoint`, then
 *   `get_endpoints`): OVS agents. The Linux bridge agent never calls it, so the OVS host gets no
 *   tunnel to them, and stops receiving l2pop casts (it consumes the l2population topic only with
 *   `l2_pop`): its VMs lose the Linux bridge hosts' VMs both ways (the tunnel ports it had keep no flow).
 * - `agent_down` (error): a target's agent has not reported for longer than `agent_down_time` at the
 *   model's clock (agent-liveness.ts). The switch restarts it, but the verification waits for its
 *   report_state: an agent down for another reason (host, broker, crash loop) fails the job and
 *   it is rolled back. "Apply anyway" when the restart is the point.
 * - `half_switched_vxlan` (Linux bridge, `inPlace`): `ensure_vxlan` never changes an existing
 *   device, so every `vxlan-<VNI>` keeps the old mode (error when arp_responder changes: the
 *   vxlan `proxy` flag is wrong; else warning).
 *
 * `method`: `clean` (Linux bridge, not in place), `in_place` (Linux bridge), `restart` (Open
 * vSwitch or unknown). `downtimeS`: the data-plane interruption of the host's VMs, estimated:
 * a clean switch {@link AGENT_RESTART_S} + {@link VXLAN_RECREATE_S} per network; an OVS restart
 * {@link AGENT_RESTART_S} (flows reinstalled); in place 0 (devices untouched).
 * A target the model does not know is left as it is and named in a warning, and so is a VTEP of a
 * target's network that is known only from casts (its agent has not reported yet).
 *
 * With `batch`, the cross-host findings are those of the batch's end state; one that appears only
 * while the batch runs (the targets switched, `batch.later` not yet) is returned `transient`, and
 * one that was there before and persists mid-batch is not repeated. The host-level predictions
 * (DVR guard, no l2pop casts, half-switched, downtime) stay the targets' own.
 */
export function predictToggle(input: PredictToggleInput): TogglePrediction {
  const { model, change } = input;
  const targets = new Set(input.hosts);
  const warnings: string[] = [];
  const predicted: PredictedFinding[] = [];

  const before = new Map<string, PredictedHost>();
  for (const id of model.hostIds()) {
    const view = model.host(id)!;
    if (view.name === null) continue;
    const type = agentTypeOf(view);
    const known = input.known?.[view.name];
    const l2pop = view.l2population ?? known?.l2pop ?? null;
    const arp = (type === 'openvswitch' ? view.arpResponder : null) ?? known?.arpResponder ?? null;
    before.set(view.name, { view, type, l2pop, arp });
  }
  const earlier = input.batch?.earlier ?? [];
  const later = (input.batch?.later ?? []).filter((h) => !targets.has(h));
  // the end state: every host of the batch switched; `during`: the targets and the earlier ones only
  const after = switchedModel(before, new Set([...targets, ...earlier, ...later]), change);
  const during = later.length ? switchedModel(before, new Set([...targets, ...earlier]), change) : null;
  const untilLast = later.length
    ? `while the batch runs (until ${later.length === 1 ? later[0] : `${later.length} more hosts`} switch${later.length === 1 ? 'es' : ''}): `
    : '';
  for (const h of input.hosts) if (!after.has(h)) warnings.push(`${h}: no report_state from this host yet; its agent type and mode are unknown`);

  const networks = new Set<string>();
  for (const h of input.hosts) {
    const p = after.get(h);
    if (p) for (const n of Object.keys(p.view.networks)) networks.add(n);
  }
  const byNetwork = (hosts: Map<string, PredictedHost>, network: string): HostCtx[] =>
    [...hosts.values()]
      .filter((p) => p.view.networks[network] !== undefined)
      .map(ctxOf)
      .sort((a, b) => compareText(a.name, b.name));
  // VTEPs known only from casts (no report_state yet): their agents' modes are not predicted
  for (const id of model.hostIds()) {
    const v = model.host(id)!;
    if (v.name !== null) continue;
    const on = Object.keys(v.networks).filter((n) => networks.has(n));
    if (on.length)
      warnings.push(
        `${v.vtep ?? id} on ${sortStr(on).join(', ')}: no report_state from its agent yet, so its agent type and mode are unknown and not predicted`,
      );
  }
  for (const network of sortStr([...networks])) {
    const vni = model.vniOf(network);
    const was = networkFindings(network, vni, byNetwork(before, network));
    const end = networkFindings(network, vni, byNetwork(after, network));
    for (const f of end) predicted.push(toPredicted(f, was));
    if (!during) continue;
    for (const f of networkFindings(network, vni, byNetwork(during, network)))
      if (!end.some((e) => e.kind === f.kind) && !was.some((b) => b.kind === f.kind)) predicted.push(toPredicted(f, was, untilLast));
  }

  let applicable = true;
  let method: TogglePlan['method'] = 'restart';
  let downtimeS = 0;
  for (const name of input.hosts) {
    const p = before.get(name);
    if (!p) continue;
    const nets = sortStr(Object.keys(p.view.networks));
    const last = p.view.lastReportAt;
    if (last !== null && !isAgentAlive(last, model.clock, model.agentDownTime)) {
      predicted.push({
        kind: 'agent_down',
        severity: 'error',
        networks: [],
        hosts: [name],
        detail:
          `${name}'s agent has sent no report_state for ${Math.round((model.clock - last) / 1000)} s (agent_down_time ${Math.round(model.agentDownTime / 1000)} s): it is down. ` +
          'The switch restarts it, but the verification needs its report_state after the restart: if it is down for another reason (the host, the broker, a crash loop) the job fails and is rolled back.',
      });
    }
    if (change.l2_population === false && p.view.distributedRouting === true) {
      applicable = false;
      predicted.push({
        kind: 'dvr_needs_l2pop',
        severity: 'error',
        networks: [],
        hosts: [name],
        detail: `${name} reports enable_distributed_routing=true: DVR needs l2_population (the DVR agent's router MAC and ARP entries come from l2pop). Not applicable.`,
      });
    }
    if (change.l2_population === false && p.type === 'openvswitch' && p.l2pop !== false) {
      const peers = new Map<string, string[]>();
      for (const n of nets) {
        for (const q of before.values()) {
          if (q.view.name === name || q.type !== 'linuxbridge' || q.view.networks[n] === undefined) continue;
          peers.set(q.view.name!, [...(peers.get(q.view.name!) ?? []), n]);
        }
      }
      if (peers.size) {
        const lb = sortStr([...peers.keys()]);
        predicted.push({
          kind: 'no_tunnel_to_linuxbridge',
          severity: 'warning',
          networks: sortStr([...peers.values()].flat()),
          hosts: [name, ...lb],
          detail:
            `${name} runs Open vSwitch: with l2_population off it builds tunnels only to the endpoints tunnel_sync returns, which are OVS agents'; Linux bridge agents never register one. ` +
            `So ${name} gets no tunnel to ${lb.join(', ')}, and receives no l2pop entries: its VMs and theirs cannot reach each other on ${peers.size === 1 ? 'the shared network' : 'the shared networks'} until l2_population is back on.`,
        });
      }
    }
    if (change.l2_population === true && input.noL2popCasts) {
      predicted.push({
        kind: 'no_l2pop_casts',
        severity: 'warning',
        networks: [],
        hosts: [name],
        detail:
          'ports changed but no add_fdb_entries was seen: the server may lack the l2population mechanism driver (ml2_conf.ini mechanism_drivers). With l2_population on and no driver, Linux bridge hosts get no flood entries and Open vSwitch hosts build no tunnels.',
      });
    }
    const l2popChanges = change.l2_population !== undefined && change.l2_population !== p.l2pop;
    const arpChanges = change.arp_responder !== undefined && change.arp_responder !== p.arp;
    if (p.type === 'linuxbridge') {
      if (input.inPlace) {
        method = method === 'clean' ? 'clean' : 'in_place';
        if (nets.length && (l2popChanges || arpChanges)) {
          predicted.push({
            kind: 'half_switched_vxlan',
            severity: arpChanges ? 'error' : 'warning',
            networks: nets,
            hosts: [name],
            detail: `in place: ensure_vxlan never changes an existing device, so ${nets.length} vxlan device${nets.length === 1 ? '' : 's'} on ${name} keep${nets.length === 1 ? 's' : ''} the old ${[l2popChanges ? 'multicast group / flood entries' : '', arpChanges ? '"proxy" flag' : ''].filter(Boolean).join(' and ')} until deleted (docs/lab.md#gotcha-12). Use the clean switch.`,
          });
        }
      } else {
        method = 'clean';
        downtimeS = Math.max(downtimeS, AGENT_RESTART_S + VXLAN_RECREATE_S * nets.length);
      }
    } else {
      downtimeS = Math.max(downtimeS, AGENT_RESTART_S);
    }
  }
  return { method, downtimeS, predicted: predicted.slice(0, 256), warnings: warnings.slice(0, 64), applicable };
}
