/**
 * The host page's side-by-side view: what the server told a host (per network, the domain's `toldFdbOf`)
 * next to what its data plane holds (its node snapshot read by the domain's `heldTunnelState`, the
 * same reading the drift analysis uses), joined row by row for display. The verdicts (drift items,
 * flood lists) stay the domain's (`HostAnalysis`): this module only lines the two sides up.
 */
import {
  type DriftItem,
  type FloodList,
  type ForeignMac,
  type FullNodeSnapshot,
  type HeldTunnelState,
  type HostAnalysis,
  type HostNetworkFdb,
  FLOOD_MAC,
  heldTunnelState,
  isMulticastIp,
  segmentId,
} from '@l2scope/domain';
import { compareIp } from '../lib/format';

/**
 * How a row of one side relates to the other: `expected-only` = told, not held; `actual-only` =
 * held, not told (these values are the pages' `data-status`, which the e2e specs read).
 */
export type RowStatus = 'both' | 'expected-only' | 'actual-only' | 'wrong-vtep';
/** Neighbour rows: the same, a different MAC for the IP being `wrong-mac`. */
export type NeighStatus = 'both' | 'expected-only' | 'actual-only' | 'wrong-mac';

/** One FDB line: a told row, a held row, or both. */
export interface FdbDiffRow {
  key: string;
  mac: string;
  /** `00:00:00:00:00:00`: a flood entry (BUM replication) rather than a unicast MAC. */
  flood: boolean;
  /** The VTEP the server told (null: not told). */
  toldVtep: string | null;
  /** The VTEP the host holds (null: not held; `ofport:<n>` for an unresolved OVS output). */
  heldVtep: string | null;
  /** The held row was learned from traffic (true), written permanently (false), or is not held (null). */
  learned: boolean | null;
  /** The held flood destination is a multicast group (flood-and-learn). */
  group: boolean;
  status: RowStatus;
}

/** One neighbour (ARP responder) line. */
export interface NeighDiffRow {
  key: string;
  ip: string;
  toldMac: string | null;
  heldMac: string | null;
  status: NeighStatus;
}

/** What the page shows for one network of the host. */
export interface HostNetworkSection {
  network: string;
  /** Segmentation id: VXLAN VNI or GRE key. */
  vni: number | null;
  /** `vxlan`, `gre` (from the snapshot's br-tun table 3/4 or the analysis); null when neither says. */
  tunnelType: string | null;
  told: HostNetworkFdb | null;
  held: HeldTunnelState | null;
  mode: HostAnalysis['mode']['networks'][number] | null;
  flood: FloodList | null;
  drift: DriftItem[];
  /** Learned MACs l2pop never announced on this network (not drift). */
  foreignMacs: ForeignMac[];
  fdb: FdbDiffRow[];
  neigh: NeighDiffRow[];
}

/** The host query's fields this module reads. */
export interface HostSides {
  analysis: HostAnalysis | null;
  snapshot: FullNodeSnapshot | null;
  told: HostNetworkFdb[];
}

const rowOrder = (a: FdbDiffRow, b: FdbDiffRow) =>
  Number(b.flood) - Number(a.flood) || a.mac.localeCompare(b.mac) || compareIp(a.toldVtep ?? a.heldVtep ?? '', b.toldVtep ?? b.heldVtep ?? '');

/** Join told and held FDB rows of one network. */
export function diffFdb(told: HostNetworkFdb | null, held: HeldTunnelState | null): FdbDiffRow[] {
  const out: FdbDiffRow[] = [];
  // flood entries: one per destination
  const toldFlood = new Set(told?.fdb.filter((r) => r.flood).map((r) => r.vtep) ?? []);
  const heldFlood = new Set(held?.floodUnicast ?? []);
  for (const v of new Set([...toldFlood, ...heldFlood])) {
    const t = toldFlood.has(v);
    const h = heldFlood.has(v);
    out.push({
      key: `flood|${v}`,
      mac: FLOOD_MAC,
      flood: true,
      toldVtep: t ? v : null,
      heldVtep: h ? v : null,
      learned: h ? false : null,
      group: false,
      status: t && h ? 'both' : t ? 'expected-only' : 'actual-only',
    });
  }
  for (const g of held?.floodGroups ?? []) {
    out.push({
      key: `group|${g}`,
      mac: FLOOD_MAC,
      flood: true,
      toldVtep: null,
      heldVtep: g,
      learned: false,
      group: isMulticastIp(g),
      status: 'actual-only',
    });
  }
  // unicast: per MAC, told VTEPs against held rows
  const toldByMac = new Map<string, Set<string>>();
  for (const r of told?.fdb ?? []) {
    if (r.flood) continue;
    const s = toldByMac.get(r.mac);
    if (s) s.add(r.vtep);
    else toldByMac.set(r.mac, new Set([r.vtep]));
  }
  const heldByMac = new Map<string, { vtep: string | null; learned: boolean }[]>();
  for (const u of held?.unicast ?? []) {
    const l = heldByMac.get(u.mac);
    if (l) l.push(u);
    else heldByMac.set(u.mac, [u]);
  }
  for (const mac of new Set([...toldByMac.keys(), ...heldByMac.keys()])) {
    const want = toldByMac.get(mac) ?? new Set<string>();
    const have = [...(heldByMac.get(mac) ?? [])];
    const unmatched: string[] = [];
    for (const v of want) {
      const i = have.findIndex((h) => h.vtep === v);
      if (i >= 0) {
        out.push({ key: `uc|${mac}|${v}`, mac, flood: false, toldVtep: v, heldVtep: v, learned: have[i]!.learned, group: false, status: 'both' });
        have.splice(i, 1);
      } else unmatched.push(v);
    }
    // a told MAC held at another VTEP: one wrong-vtep line showing both sides
    for (const v of unmatched) {
      const other = have.shift();
      if (other)
        out.push({
          key: `uc|${mac}|${v}|${other.vtep ?? '?'}`,
          mac,
          flood: false,
          toldVtep: v,
          heldVtep: other.vtep,
          learned: other.learned,
          group: false,
          status: 'wrong-vtep',
        });
      else out.push({ key: `uc|${mac}|${v}|-`, mac, flood: false, toldVtep: v, heldVtep: null, learned: null, group: false, status: 'expected-only' });
    }
    for (const h of have)
      out.push({
        key: `uc|${mac}|-|${h.vtep ?? '?'}`,
        mac,
        flood: false,
        toldVtep: null,
        heldVtep: h.vtep,
        learned: h.learned,
        group: false,
        status: 'actual-only',
      });
  }
  return out.sort(rowOrder);
}

/** Join told and held neighbour (ARP responder) rows of one network. */
export function diffNeigh(told: HostNetworkFdb | null, held: HeldTunnelState | null): NeighDiffRow[] {
  const want = new Map((told?.neigh ?? []).map((n) => [n.ip, n.mac]));
  const have = new Map((held?.neigh ?? []).map((n) => [n.ip, n.mac]));
  const out: NeighDiffRow[] = [];
  for (const ip of new Set([...want.keys(), ...have.keys()])) {
    const t = want.get(ip) ?? null;
    const h = have.has(ip) ? (have.get(ip) ?? null) : null;
    const status: NeighStatus = !want.has(ip) ? 'actual-only' : !have.has(ip) ? 'expected-only' : t === h ? 'both' : 'wrong-mac';
    out.push({ key: ip, ip, toldMac: t, heldMac: h, status });
  }
  return out.sort((x, y) => compareIp(x.ip, y.ip));
}

/**
 * Every network of the host: those it was told about, those its snapshot holds state for, and
 * those the analysis evaluated; ordered by VNI.
 */
export function hostSections(d: HostSides): HostNetworkSection[] {
  // a GRE key and a VXLAN VNI of the same number are two networks: GRE ones are keyed `gre:<key>`
  const byVni = new Map<number, string>();
  const bySegment = new Map<string, string>();
  const nonVxlan = new Set<string>();
  for (const n of d.analysis?.mode.networks ?? []) if (n.tunnelType && n.tunnelType !== 'vxlan') nonVxlan.add(n.network);
  for (const t of d.told) if (t.vni !== null && !nonVxlan.has(t.network)) byVni.set(t.vni, t.network);
  for (const n of d.analysis?.mode.networks ?? []) {
    if (n.vni === null || n.network === segmentId(n.tunnelType ?? 'vxlan', n.vni)) continue;
    if (nonVxlan.has(n.network)) bySegment.set(segmentId(n.tunnelType!, n.vni), n.network);
    else byVni.set(n.vni, n.network);
  }
  const held = new Map((d.snapshot ? heldTunnelState(d.snapshot, byVni, bySegment) : []).map((h) => [h.network, h]));
  const told = new Map(d.told.map((t) => [t.network, t]));
  const modes = new Map((d.analysis?.mode.networks ?? []).map((m) => [m.network, m]));
  const flood = d.analysis?.flood ?? {};
  const ids = new Set([...told.keys(), ...held.keys(), ...Object.keys(flood), ...modes.keys()]);
  for (const item of d.analysis?.drift ?? []) ids.add(item.network);
  for (const item of d.analysis?.foreignMacs ?? []) ids.add(item.network);
  const sections = [...ids].map((network): HostNetworkSection => {
    const t = told.get(network) ?? null;
    const h = held.get(network) ?? null;
    const f = flood[network] ?? null;
    const m = modes.get(network) ?? null;
    return {
      network,
      vni: t?.vni ?? h?.vni ?? f?.vni ?? m?.vni ?? null,
      tunnelType: h?.tunnelType ?? m?.tunnelType ?? null,
      told: t,
      held: h,
      mode: m,
      flood: f,
      drift: (d.analysis?.drift ?? []).filter((x) => x.network === network),
      foreignMacs: (d.analysis?.foreignMacs ?? []).filter((x) => x.network === network),
      fdb: diffFdb(t, h),
      neigh: diffNeigh(t, h),
    };
  });
  return sections.sort((a, b) => (a.vni ?? Infinity) - (b.vni ?? Infinity) || a.network.localeCompare(b.network));
}

/** How the table's caption names each status, in told / held words. */
export const STATUS_LABEL: Record<RowStatus | NeighStatus, string> = {
  both: 'both',
  'expected-only': 'told only',
  'actual-only': 'held only',
  'wrong-vtep': 'wrong VTEP',
  'wrong-mac': 'wrong MAC',
};

/** Rows per status, for the table's caption. */
export function statusCounts<S extends string>(rows: readonly { status: S }[]): Partial<Record<S, number>> {
  const out: Partial<Record<S, number>> = {};
  for (const r of rows) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}

/** How a row reads: ok (match), bad (missing / wrong), warn (extra), info (learned, group), muted (not checked: l2pop off, no snapshot). */
export type RowTone = 'ok' | 'bad' | 'warn' | 'info' | 'muted';

/**
 * The tone and wording of an FDB row. `applied`: the agent applies l2pop on this network
 * (`toldFdb`'s `applied`); `haveHeld`: a node snapshot exists; `excess`: the flood list's excess
 * recipients (a multicast group there is a wasted copy, elsewhere it is flood-and-learn).
 */
export function fdbRowTone(r: FdbDiffRow, applied: boolean | null, haveHeld: boolean, excess: readonly string[]): { tone: RowTone; text: string } {
  if (!haveHeld) return { tone: 'muted', text: 'no node snapshot: not checked' };
  switch (r.status) {
    case 'both':
      return { tone: 'ok', text: r.learned ? 'match (learned)' : 'match' };
    case 'expected-only':
      return applied === true
        ? { tone: 'bad', text: r.flood ? 'missing flood entry' : 'missing on the host' }
        : { tone: 'muted', text: 'told, not applied (l2pop off)' };
    case 'wrong-vtep':
      return { tone: 'bad', text: 'wrong VTEP' };
    case 'actual-only':
      if (r.group)
        return excess.includes(r.heldVtep ?? '')
          ? { tone: 'warn', text: 'multicast group: excess copy' }
          : { tone: 'info', text: 'multicast group (flood-and-learn)' };
      if (r.learned) return { tone: 'info', text: 'learned from traffic, not told' };
      return { tone: 'warn', text: r.flood ? 'flood entry not told: stale / extra' : 'not told: stale / extra' };
  }
}

/** The tone and wording of a neighbour row (see {@link fdbRowTone}); `responder`: the host runs the ARP responder. */
export function neighRowTone(r: NeighDiffRow, responder: boolean, haveHeld: boolean): { tone: RowTone; text: string } {
  if (!haveHeld) return { tone: 'muted', text: 'no node snapshot: not checked' };
  switch (r.status) {
    case 'both':
      return { tone: 'ok', text: 'match' };
    case 'expected-only':
      return responder ? { tone: 'bad', text: 'missing: the responder cannot answer' } : { tone: 'muted', text: 'told, not used (ARP responder off)' };
    case 'wrong-mac':
      return { tone: 'bad', text: 'wrong MAC: answers wrongly' };
    case 'actual-only':
      return { tone: 'warn', text: 'not told: stale' };
  }
}

/** The br-tun flows behind an Open vSwitch host's held rows on one local VLAN, printed the way `ovs-ofctl dump-flows br-tun` reads. */
export interface BrTunFlowTexts {
  /** Table 22 (flood to tunnels), one per flow. */
  flood: string[];
  /** Table 20 (unicast to tunnel) by MAC. */
  unicast: Map<string, string>;
  /** Table 21 (ARP responder) by IP. */
  responder: Map<string, string>;
}

/** The flows of local VLAN `lvid` in a snapshot's parsed br-tun (null when it has none). */
export function brTunFlowTexts(snap: FullNodeSnapshot | null, lvid: number | null): BrTunFlowTexts | null {
  const bt = snap?.openvswitch?.brTun;
  if (!bt || lvid === null) return null;
  const hex = (n: number | null) => (n === null ? '?' : `0x${n.toString(16)}`);
  return {
    flood: bt.flood
      .filter((f) => f.lvid === lvid)
      .map((f) => `table=22 dl_vlan=${f.lvid} actions=strip_vlan,set_tunnel:${hex(f.vni)},output:${f.ofports.join(',output:')}`),
    unicast: new Map(
      bt.unicast
        .filter((u) => u.lvid === lvid)
        .map((u) => [
          u.mac,
          `table=20 priority=${u.learned ? 1 : 2} dl_vlan=${u.lvid} dl_dst=${u.mac} actions=strip_vlan,set_tunnel:${hex(u.vni)},output:${u.ofport ?? '?'}${u.learned ? ' (learned, table 10)' : ''}`,
        ]),
    ),
    responder: new Map(bt.responder.filter((r) => r.lvid === lvid).map((r) => [r.ip, `table=21 arp,dl_vlan=${r.lvid},arp_tpa=${r.ip} → ${r.mac ?? '?'}`])),
  };
}
