/**
 * The three checks of a toggle's verification (docs/toggles.md#verification), each a pure function
 * of what the worker holds: (a) the agent's report_state after the restart, (b) the host's node
 * snapshot and its analysed mode, (c) the host's drift.
 */
import type { DriftItem, HostAnalysis, IniMode, ModeChange } from '@l2scope/domain';

/** The mode a host must show; null: not checked. */
export interface ExpectedMode {
  l2pop: boolean | null;
  arp: boolean | null;
}

/** A `report_state` with `start_flag` true, as the pipeline applied it. */
export interface StartReport {
  /** receive time, epoch ms */
  at: number;
  agentType: string;
  l2population: boolean | null;
  arpResponder: boolean | null;
}

/** One check's outcome: `ok`, and the evidence line(s) that show it. */
export interface CheckResult {
  ok: boolean;
  evidence: string[];
}

/** The target mode of a change (absent keys: not checked). */
export const targetOf = (change: ModeChange): ExpectedMode => ({ l2pop: change.l2_population ?? null, arp: change.arp_responder ?? null });

/** The mode to roll back to: the ini's values before (absent key: Neutron's default, false), only for the keys the change touched. */
export const previousOf = (change: ModeChange, before: IniMode | null): ExpectedMode => ({
  l2pop: change.l2_population === undefined ? null : (before?.l2_population ?? false),
  arp: change.arp_responder === undefined ? null : (before?.arp_responder ?? false),
});

/**
 * (a) A start_flag report received at or after `since` whose `l2_population` (and, Open vSwitch,
 * `arp_responder_enabled`) match. A Linux bridge agent does not report `arp_responder`: (b) checks it.
 */
export function checkReport(r: StartReport | undefined, since: number, want: ExpectedMode): CheckResult {
  if (!r || r.at < since) return { ok: false, evidence: ['no report_state with start_flag=true since the restart'] };
  const ovs = r.agentType === 'Open vSwitch agent';
  const line = `report_state start_flag=true at ${new Date(r.at).toISOString()}: l2_population=${r.l2population}${ovs ? ` arp_responder_enabled=${r.arpResponder}` : ''}`;
  const ok = (want.l2pop === null || r.l2population === want.l2pop) && (!ovs || want.arp === null || r.arpResponder === want.arp);
  return { ok, evidence: [line] };
}

/**
 * (b) The analysis of a snapshot taken at or after `since` shows the mode: Linux bridge, every
 * `vxlan-<VNI>` without `group` iff l2pop and with `proxy` iff the ARP responder (which Linux bridge
 * runs only with l2pop); Open vSwitch, br-tun table 2 -> 21 per network iff the ARP responder, and
 * the l2pop mode from the analysis.
 * @param vnis the VNIs whose `vxlan-<VNI>` a clean switch deleted: each must be back in the
 *   snapshot (one taken between the delete and the agent recreating the device shows none, and
 *   would otherwise pass for want of a device to check)
 */
export function checkSnapshot(a: HostAnalysis | undefined, since: number, want: ExpectedMode, vnis: readonly number[] = []): CheckResult {
  if (!a?.snapshot || Date.parse(a.snapshot.takenAt) < since) return { ok: false, evidence: ['no node snapshot analysed since the restart'] };
  const m = a.mode;
  const lines: string[] = [`snapshot seq ${a.snapshot.seq} taken ${a.snapshot.takenAt}: ${m.summary}`];
  let ok = true;
  const missing = vnis.filter((vni) => !m.networks.some((n) => n.vni === vni && n.dev !== null));
  if (missing.length) {
    ok = false;
    lines.push(`not recreated yet: ${missing.map((vni) => `vxlan-${vni}`).join(', ')}`);
  }
  for (const n of m.networks) {
    if (m.agentType === 'linuxbridge') {
      lines.push(`${n.dev ?? n.network}: group ${n.group ?? 'none'}, proxy ${n.proxy ? 'on' : 'off'}`);
      if (want.l2pop !== null && (n.group === null) !== want.l2pop) ok = false;
      const arp = want.arp === null ? null : want.arp && (want.l2pop ?? m.l2pop !== 'off');
      if (arp !== null && n.proxy !== arp) ok = false;
    } else {
      lines.push(`${n.dev ?? n.network}: ARP responder (table 21) ${n.arpResponder ? 'on' : 'off'}`);
      if (want.arp !== null && n.arpResponder !== want.arp) ok = false;
    }
  }
  if (m.agentType === 'openvswitch' && want.l2pop !== null && m.l2pop !== 'unknown' && (m.l2pop === 'on') !== want.l2pop) ok = false;
  return { ok, evidence: lines };
}

/**
 * (c) Drift back to zero. With l2pop turned on, `missing_unicast` alone is a full-FDB gap: `ok`,
 * with `gap` listing the missing entries (the runner accepts it only at the deadline, when zero
 * drift did not come). A restart normally leaves none (docs/l2pop.md#restart): the agent's first
 * loop sets its ports back to BUILD (plugins/ml2/rpc.py `get_device_details`), so its first
 * `update_device_up` per network finds `agent_active_ports` 1 and gets the host-directed full FDB
 * (l2pop/mech_driver.py `update_port_up`, every release with the Linux bridge agent, Havana to 2024.2). A gap means
 * the server counted 2 or more other ports ACTIVE on the host first: ports it still holds ACTIVE
 * that the agent no longer has, or HA router interfaces of a standby network node.
 */
export function checkDrift(a: HostAnalysis | undefined, l2popTurnedOn: boolean): CheckResult & { gap: DriftItem[] } {
  if (!a?.snapshot) return { ok: false, gap: [], evidence: ['no analysis of the host'] };
  if (a.drift.length === 0) return { ok: true, gap: [], evidence: ['drift: 0 items'] };
  const counts = new Map<string, number>();
  for (const d of a.drift) counts.set(d.class, (counts.get(d.class) ?? 0) + 1);
  const summary = `drift: ${[...counts].map(([c, n]) => `${n} ${c}`).join(', ')}`;
  if (l2popTurnedOn && [...counts.keys()].every((c) => c === 'missing_unicast')) {
    const gap = a.drift;
    return {
      ok: true,
      gap,
      evidence: [
        `${summary}: a full-FDB gap (no host-directed full FDB for the network: the server counted 2 or more other ports ACTIVE on this host before its first port came up, e.g. ports it holds ACTIVE that the host no longer has, or HA router interfaces of a standby node); check those ports, then restart the agent once more`,
        ...gap.slice(0, 50).map((d) => `missing ${d.mac ?? '?'} ${d.ip ?? ''} dst ${d.vtep ?? '?'} on ${d.dev ?? d.network}`),
      ],
    };
  }
  return { ok: false, gap: [], evidence: [summary, ...a.drift.slice(0, 20).map((d) => `${d.class}: ${d.detail}`.slice(0, 400))] };
}
