/**
 * The checks of a toggle's verification (docs/toggles.md#verification), each a pure function
 * of what the worker holds: (a) the agent's report_state after the restart, (b) the host's node
 * snapshot and its analysed mode, (b') Open vSwitch: br-tun's flows under the restarted agent's
 * cookie alone, in the new mode, (c) the host's drift.
 */
import type { BrTunState, DriftItem, FullNodeSnapshot, HostAnalysis, IniMode, ModeChange } from '@l2scope/domain';

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

/** The evidence line that records br-tun's cookies before a restart (read back by {@link cookiesBeforeOf}). */
export const BR_TUN_BEFORE = 'br-tun cookies before the restart: ';

/** The cookies of a host's br-tun in its latest snapshot (null: not an Open vSwitch host, no flows read, or an older node agent). */
export function brTunCookies(snap: FullNodeSnapshot | undefined): string[] | null {
  const c = snap?.openvswitch?.brTun?.cookies;
  return c ? c.map((x) => x.cookie) : null;
}

/** The evidence line recording `cookies` before a restart. */
export const cookiesBeforeLine = (cookies: readonly string[]): string => `${BR_TUN_BEFORE}${cookies.join(', ') || 'none'}`;

/** The cookies recorded by the last {@link cookiesBeforeLine} of a job's evidence (a resumed job), else null. */
export function cookiesBeforeOf(evidence: readonly string[]): string[] | null {
  for (let i = evidence.length - 1; i >= 0; i--) {
    const at = evidence[i]!.indexOf(BR_TUN_BEFORE);
    if (at < 0) continue;
    const rest = evidence[i]!.slice(at + BR_TUN_BEFORE.length).trim();
    return rest === 'none' ? [] : rest.split(/,\s*/).filter((c) => /^0x[0-9a-f]+$/.test(c));
  }
  return null;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What br-tun's tables say of the mode, as evidence lines, and whether they match `want`. */
function brTunMode(bt: BrTunState, want: ExpectedMode): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  let ok = true;
  // OVS runs the ARP responder only with l2pop (ovs_neutron_agent.py: arp_responder_enabled = arp_responder and l2_pop)
  const arp = want.l2pop === false ? false : want.arp;
  const l2popFlows = bt.unicast.filter((u) => !u.learned).length;
  lines.push(
    `table 2 -> 21 (ARP responder): ${bt.arpResponderEnabled ? 'present' : 'absent'}; table 21: ${plural(bt.responder.length, 'entry', 'entries')}; table 20: ${plural(l2popFlows, 'l2pop flow')}, ${bt.unicast.length - l2popFlows} learned`,
  );
  if (arp !== null && bt.arpResponderEnabled !== arp) ok = false;
  if (arp === false && bt.responder.length > 0) ok = false;
  if (want.l2pop === false && l2popFlows > 0) ok = false;
  // every flood output is a tunnel port the agent set up (a table 0 flow under its cookie)
  for (const f of bt.flood) {
    const orphan = f.ofports.filter((p) => !bt.tunnelOfports.includes(p));
    lines.push(`table 22 dl_vlan=${f.lvid}: output ${f.ofports.join(',') || 'none'}${orphan.length ? ` (no table 0 flow for ${orphan.join(',')})` : ''}`);
    if (orphan.length) ok = false;
  }
  return { ok, lines };
}

/**
 * (b') Open vSwitch: a snapshot taken at or after `since` whose br-tun holds the flows of one cookie
 * only, not one of `before` (the cookies before the restart), and whose tables match the mode: the
 * ARP responder (table 2 -> 21, table 21 empty without it; OVS runs it only with l2pop), no l2pop
 * flow in table 20 with l2pop off, every table 22 output a tunnel port with a table 0 flow.
 *
 * Why: the restarted agent installs its flows under a new random cookie while the old agent's
 * flows stay, and deletes every other cookie's flows only at the end of its first loop
 * (ovs_neutron_agent.py `rpc_loop` -> `cleanup_stale_flows`, ofswitch.py `_dump_and_clean`). Until
 * then br-tun holds both modes at once: old table 20/21/22 entries next to the new ones.
 * @param before the cookies before the restart; null when unknown (a worker that restarted with a
 *   job recorded before this check existed): then one cookie suffices
 * @returns not ok without a snapshot since `since` or without br-tun flows; ok with a note when
 *   the node agent does not report cookies (an older agent)
 */
export function checkBrTun(snap: FullNodeSnapshot | undefined, since: number, want: ExpectedMode, before: readonly string[] | null): CheckResult {
  if (!snap || Date.parse(snap.takenAt) < since) return { ok: false, evidence: ['no node snapshot since the restart'] };
  const bt = snap.openvswitch?.brTun;
  if (!bt) return { ok: false, evidence: [`snapshot seq ${snap.seq} taken ${snap.takenAt}: br-tun flows not read`] };
  const head = `snapshot seq ${snap.seq} taken ${snap.takenAt}`;
  const mode = brTunMode(bt, want);
  if (!bt.cookies) {
    return {
      ok: mode.ok,
      evidence: [`${head}: the node agent does not report br-tun cookies (an older node agent): the old flows' cleanup is not checked`, ...mode.lines],
    };
  }
  const cookies = bt.cookies.map((c) => `${c.cookie} (${plural(c.flows, 'flow')})`).join(', ');
  const lines: string[] = [];
  let ok = mode.ok;
  if (bt.cookies.length !== 1) {
    ok = false;
    lines.push(
      bt.cookies.length === 0
        ? `${head}: br-tun holds no flow`
        : `${head}: br-tun holds flows of ${bt.cookies.length} cookies: ${cookies}: the restarted agent has not deleted the old flows yet (cleanup_stale_flows)`,
    );
  } else if (before?.includes(bt.cookies[0]!.cookie)) {
    ok = false;
    lines.push(`${head}: br-tun holds only ${cookies}, the cookie from before the restart: the restarted agent has not installed its flows yet`);
  } else lines.push(`${head}: br-tun holds one cookie, ${cookies}${before ? `; before the restart ${before.join(', ') || 'none'}` : ''}`);
  return { ok, evidence: [...lines, ...mode.lines] };
}
