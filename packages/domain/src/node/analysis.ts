/**
 * Expected versus actual: what l2pop told each host (the cluster model) against what its kernel or
 * br-tun holds (its latest NodeSnapshot). Pure and deterministic.
 *
 * Expected state of host H on network N (mirrors neutron/plugins/ml2/drivers/l2pop/mech_driver.py
 * `_create_agent_fdb` and the agents' l2pop callbacks, see model.ts): for every other VTEP V with
 * ports on N, a flood entry to V (when V's flood entry is announced) and one unicast entry per MAC of
 * V's ports; with the ARP responder, one neighbour entry (Linux bridge: `ip neigh` PERMANENT on
 * `vxlan-<VNI>`; OVS: br-tun table 21, IPv4 only, ovs_neutron_agent.py `setup_entry_for_arp_reply`)
 * per [mac, ip]. Own VTEP skipped (`agent_ip == local_ip`). Only agents that run l2pop apply it
 * (`l2_population = true`: the Linux bridge agent and the OVS agent create no l2pop consumer otherwise).
 * Duplicate casts are idempotent. Linux bridge keeps applying a network's casts after its last port
 * left (network_map kept); OVS reclaims the local VLAN with the last port (`reclaim_local_vlan`), so
 * an OVS host without ports and without a local VLAN for N expects nothing on N.
 *
 * Drift classes (per host and network):
 * - `missing_flood`: an expected flood entry is absent (BUM of N will not reach that VTEP).
 * - `missing_unicast`: an expected unicast entry is absent (frames to that MAC are flooded, or, if a
 *   learned row exists, reach it only by learning: `detail` says so).
 * - `stale_entry`: a permanent entry l2pop would not hold (port gone; a flood entry to a VTEP with no
 *   ports left).
 * - `wrong_vtep`: a MAC points at another VTEP than the one l2pop announced (port moved): `vtep` is
 *   where it points, `expectedVtep` where it should.
 * - `learned_only`: a row learned from traffic (VXLAN learning; OVS table 10 `learn()`), for a MAC l2pop
 *   does not announce, on a host whose agent does not run l2pop (or whose mode is unknown):
 *   flood-and-learn at work, normal with l2_population off (e.g. Lab1).
 * Not drift, listed apart (`HostAnalysis.foreignMacs`, severity warning): `foreign_mac`, a row learned
 * from traffic on a host whose agent runs l2pop, for a MAC that l2pop never announced. l2pop does not
 * produce it and cannot fix it: a frame from a source Neutron does not know crossed the tunnel (a MAC
 * leaked from a hypervisor's own interfaces, a spoofed MAC, an allowed-address-pair / VRRP MAC, or a
 * port whose casts l2scope has not seen). An operator wants to see it; it is not l2pop drift.
 * - `neigh_missing` / `neigh_stale`: ARP responder entry absent / pointing at a MAC l2pop did not
 *   announce for that IP (or for an IP l2pop did not announce). Checked only where the responder runs.
 * With l2_population off (or unknown) nothing is expected, so no `missing_*` / `neigh_*` is raised;
 * permanent rows that contradict the model are still `stale_entry` / `wrong_vtep` (nobody maintains them).
 *
 * Flood list of (H, N): `actual` = where H replicates a BUM frame of N: unicast VTEPs of its flood
 * entries / table 22 outputs, and the multicast group (its `group`, or a `00:00:00:00:00:00 dst <group>`
 * row); `ideal` = every other VTEP with ports on N; `reach` = the VTEPs actually receiving a copy (a
 * group reaches every host whose VXLAN device joined that group, any VNI; 224.0.0.1 is all-hosts and
 * reaches every Linux bridge host; ideal hosts without a snapshot are assumed to receive it); `missing` = ideal VTEPs not
 * reached; `excess` = unicast recipients outside ideal, VTEPs reached through a group outside ideal,
 * and a group whose ideal receivers all get a unicast copy anyway (half-switched: BUM leaves 1 + N
 * times); `copies` = frames sent per BUM frame.
 *
 * Cross-host findings (per network): `half_switched_vxlan` (RECIPE gotcha 12), `mixed_arp_responder`
 * (RECIPE §5 mixed, gotcha 13), `mixed_l2pop`, `udp_port_mismatch` (sender's UDP destination port is not
 * one the receiver listens on). Each names its hosts and network and carries evidence rows.
 */
import { FLOOD_MAC } from '../l2pop';
import { type BridgeFdbRow, type NeighRow, isMulticastIp, linuxBridgeNames } from './kernel';
import { ClusterModel, type HostView, type ModelChange, type ModelSnapshot, type NetworkView, type VtepEntries } from '../model';
import type { AgentIni } from './ini';
import type { VxlanDevice } from './linuxbridge';
import { type BrTunFlood, type BrTunResponder, type BrTunUnicast, type OvsTunnelPort, tunnelDstPort } from './ovs';
import type { FullNodeSnapshot } from './snapshot';
import { BUNDLE_SUFFIXES } from './support-bundle';
import { compareNatural, compareText, isMulticastCached, sortNatural } from './util';

/** IPv4 all-hosts multicast group (RFC 1112), the Linux bridge agent's default `vxlan_group`. */
export const ALL_HOSTS_GROUP = '224.0.0.1';

export const DRIFT_CLASSES = ['missing_flood', 'missing_unicast', 'stale_entry', 'wrong_vtep', 'learned_only', 'neigh_missing', 'neigh_stale'] as const;
export type DriftClass = (typeof DRIFT_CLASSES)[number];

/** The class name of a {@link ForeignMac} (a learned MAC that l2pop never announced, on an l2pop host). */
export const FOREIGN_MAC = 'foreign_mac';

export const FINDING_KINDS = ['half_switched_vxlan', 'mixed_arp_responder', 'mixed_l2pop', 'udp_port_mismatch'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** Where a piece of evidence comes from: a snapshot section, the agent's ini, or its report_state. */
export type EvidenceSource =
  | 'linuxbridge.fdb'
  | 'linuxbridge.neigh'
  | 'linuxbridge.vxlan'
  | 'openvswitch.tunnelPorts'
  | 'openvswitch.brTun'
  | 'agent.ini'
  | 'report_state'
  | 'model';

/** One row or setting that proves a drift item or finding. */
export interface Evidence {
  host: string;
  source: EvidenceSource;
  /** The support bundle file holding it (`<host>-bridge-fdb.json`, ...), null for report_state / model. */
  file: string | null;
  /** The row, rendered like the tool prints it (iproute2 / ovs-ofctl / ini), or a report_state summary. */
  text: string;
}

/** One difference between what l2pop told a host and what it holds. */
export interface DriftItem {
  class: DriftClass;
  /** Neutron network UUID, or `vni:<n>` when the model does not know the VNI's network. */
  network: string;
  mac: string | null;
  ip: string | null;
  /** The VTEP concerned: expected for missing_*, actual for stale_entry / wrong_vtep / learned_only. */
  vtep: string | null;
  /** wrong_vtep: where l2pop said the MAC is. */
  expectedVtep?: string;
  /** neigh_stale: the MAC l2pop announced for that IP. */
  expectedMac?: string;
  /** Device or table holding (or that should hold) the row: `vxlan-649`, `br-tun lvid 1`. */
  dev: string | null;
  detail: string;
  evidence: Evidence[];
}

/**
 * A MAC learned from traffic (VXLAN learning; OVS table 10 `learn()`) on a host whose agent runs l2pop,
 * that l2pop never announced on that network: not drift (l2pop neither made nor can fix it) but a
 * frame from a source unknown to Neutron that crossed the tunnel: a leak from a hypervisor's own
 * interfaces, a spoofed MAC, an allowed-address-pair / VRRP MAC, or a port whose casts were missed.
 * Severity: warning. Same row fields as a {@link DriftItem}; `vtep` is where it was learned from.
 */
export interface ForeignMac {
  class: typeof FOREIGN_MAC;
  /** Neutron network UUID, or `vni:<n>` when the model does not know the VNI's network. */
  network: string;
  mac: string;
  /** The IP l2pop announced for that MAC elsewhere on the network (normally null: it announced none). */
  ip: string | null;
  /** The VTEP the MAC was learned from. */
  vtep: string | null;
  /** Device or table holding the row: `vxlan-649`, `br-tun lvid 1`. */
  dev: string | null;
  detail: string;
  evidence: Evidence[];
}

/** BUM replication of one host on one network. */
export interface FloodList {
  vni: number | null;
  /** Recipients as configured: unicast VTEPs and multicast groups, sorted. */
  actual: string[];
  /** Other VTEPs with ports on the network, sorted. */
  ideal: string[];
  /** Wasted copies: unicast recipients and group-reached VTEPs outside ideal, and a group made redundant by unicast copies. */
  excess: string[];
  /** Ideal VTEPs no copy reaches (BUM lost: DHCP, ARP to them break). */
  missing: string[];
  /** VTEPs that receive a copy (groups expanded to their known subscribers), sorted. */
  reach: string[];
  /** Frames sent per BUM frame (one per unicast recipient and per group). */
  copies: number;
  /** The rows behind the multicast groups and the excess recipients (a missing recipient has no row). */
  evidence: Evidence[];
}

/** How a host runs l2pop, and where each answer comes from. */
export interface HostMode {
  agentType: 'linuxbridge' | 'openvswitch' | null;
  vtep: string | null;
  /** The agent applies l2pop (report_state `l2_population`, else the ini, else inferred from the kernel). */
  l2pop: 'on' | 'off' | 'unknown';
  l2popSource: 'report_state' | 'ini' | 'kernel' | null;
  /** The agent runs the ARP responder (OVS report_state `arp_responder_enabled`, the ini, the vxlan `proxy` flag, br-tun table 2). */
  arpResponder: 'on' | 'off' | 'unknown';
  arpResponderSource: 'report_state' | 'ini' | 'vxlan_proxy' | 'flows' | null;
  /** How BUM leaves: head-end replication (`unicast`), a `multicast` group, both (half-switched), `none` (no tunnel state), `unknown`. */
  floodMode: 'unicast' | 'multicast' | 'multicast+unicast' | 'none' | 'unknown';
  /** Multicast groups of the VXLAN devices (flood-and-learn), sorted. */
  vxlanGroups: string[];
  /** UDP destination ports in use (VXLAN devices' `dstport`, OVS tunnel ports' `dst_port`), sorted. */
  udpPorts: number[];
  /** Human summary, e.g. `flood-and-learn (multicast group 224.0.0.1)`. */
  summary: string;
  /** Per network: the device / local VLAN and its flags. */
  networks: {
    network: string;
    vni: number | null;
    /** `vxlan-<VNI>` or `br-tun lvid <n>`. */
    dev: string | null;
    group: string | null;
    /** Linux bridge: the device's `proxy` flag; null for OVS. */
    proxy: boolean | null;
    /** The data plane answers ARP locally: `proxy` (Linux bridge), table 2 -> 21 (OVS). */
    arpResponder: boolean | null;
    learning: boolean | null;
    dstport: number | null;
    /** OVS local VLAN of the network. */
    lvid: number | null;
  }[];
  ini: Pick<AgentIni, 'l2population' | 'arpResponder' | 'arpResponderEffective' | 'localIp' | 'vxlanGroup' | 'udpPort' | 'udpPortConfigured' | 'distributedRouting'> | null;
  reported: { l2population: boolean | null; arpResponder: boolean | null; tunnelingIp: string | null; lastReportAt: string | null } | null;
  notes: string[];
}

/** The analysis of one host. */
export interface HostAnalysis {
  mode: HostMode;
  drift: DriftItem[];
  /** Learned MACs l2pop never announced, on a host that runs l2pop (not drift; sorted like drift). */
  foreignMacs: ForeignMac[];
  /** Per network id. */
  flood: Record<string, FloodList>;
  /** The snapshot analysed; null when the model knows the host but no snapshot was given. */
  snapshot: { takenAt: string; seq: number; instance: string } | null;
}

/** A cross-host problem of one network. */
export interface Finding {
  kind: FindingKind;
  /** Neutron network UUID, or `vni:<n>`. */
  network: string;
  vni: number | null;
  /** The hosts involved, sorted. */
  hosts: string[];
  /** What is wrong, its effect on traffic and the fix. */
  detail: string;
  /** The rows / settings that prove it. */
  evidence: Evidence[];
}

/** The result of {@link analyzeNodes}; `l2scope analyze` prints it (plus an `input` summary). */
export interface NodeAnalysis {
  hosts: Record<string, HostAnalysis>;
  findings: Finding[];
}

// ---------------------------------------------------------------- per-host actual state

/**
 * A row kept by reference and rendered as {@link Evidence} only when a drift item or finding uses
 * it: a host may hold 10^5 rows, and building a string (or a closure) per row is the hot path.
 */
type EvRef =
  | { h: string; fdb: BridgeFdbRow }
  | { h: string; neigh: NeighRow }
  | { h: string; vxlan: VxlanDevice }
  | { h: string; flood: BrTunFlood }
  | { h: string; unicast: BrTunUnicast }
  | { h: string; responder: BrTunResponder };

function render(r: EvRef): Evidence {
  if ('fdb' in r) {
    const f = r.fdb;
    return ev(r.h, 'linuxbridge.fdb', `${f.mac} dev ${f.dev} dst ${f.dst} ${f.flags.join(' ')}${f.state ? ` ${f.state}` : ''}`.trim());
  }
  if ('neigh' in r) return ev(r.h, 'linuxbridge.neigh', `${r.neigh.ip} dev ${r.neigh.dev} lladdr ${r.neigh.mac ?? '-'} ${r.neigh.state.join(' ')}`);
  if ('vxlan' in r) return ev(r.h, 'linuxbridge.vxlan', vxlanText(r.vxlan));
  if ('flood' in r) {
    const f = r.flood;
    return ev(r.h, 'openvswitch.brTun', `table=22 dl_vlan=${f.lvid} tun_id=${f.vni === null ? '?' : `0x${f.vni.toString(16)}`} output:${f.ofports.join(',output:')}`);
  }
  if ('unicast' in r) {
    const u = r.unicast;
    return ev(r.h, 'openvswitch.brTun', `table=20 priority=${u.learned ? 1 : 2} dl_vlan=${u.lvid} dl_dst=${u.mac} output:${u.ofport ?? '?'}${u.learned ? ' (learned)' : ''}`);
  }
  return ev(r.h, 'openvswitch.brTun', `table=21 arp,dl_vlan=${r.responder.lvid},arp_tpa=${r.responder.ip} -> ${r.responder.mac ?? '?'}`);
}

interface Row {
  mac: string;
  vtep: string | null;
  learned: boolean;
  ev: EvRef;
}

interface NeighEntry {
  ip: string;
  mac: string | null;
  ev: EvRef;
}

/** What one host holds for one network, in agent-neutral terms. */
interface Actual {
  network: string;
  vni: number;
  present: boolean;
  dev: string | null;
  /** Head-end replication recipients: VTEP (or `ofport:<n>` when unresolved) -> evidence. */
  floodUnicast: Map<string, EvRef>;
  floodGroups: Map<string, EvRef>;
  rows: Row[];
  neigh: NeighEntry[];
  /** Kernel / flows responder behaviour on this network: vxlan `proxy`, br-tun table 2 -> 21. */
  responder: boolean | null;
  device: VxlanDevice | null;
  lvid: number | null;
  /** Rows a Linux bridge l2pop agent writes (permanent unicast rows, unicast flood rows) are present. */
  l2popRows: EvRef[];
  notes: string[];
}

interface HostCtx {
  name: string;
  modelId: string | null;
  host: HostView | null;
  snap: FullNodeSnapshot | null;
  type: 'linuxbridge' | 'openvswitch' | null;
  vtep: string | null;
  l2pop: boolean | null;
  arpEffective: boolean | null;
  mode: HostMode;
  actual: Map<string, Actual>;
}

const fileOf = (host: string, source: EvidenceSource): string | null => {
  switch (source) {
    case 'linuxbridge.fdb':
      return `${host}${BUNDLE_SUFFIXES.bridgeFdb}`;
    case 'linuxbridge.neigh':
      return `${host}${BUNDLE_SUFFIXES.ipNeigh}`;
    case 'linuxbridge.vxlan':
      return `${host}${BUNDLE_SUFFIXES.ipLinkVxlan}`;
    case 'openvswitch.tunnelPorts':
      return `${host}${BUNDLE_SUFFIXES.ovsVsctl}`;
    case 'openvswitch.brTun':
      return `${host}${BUNDLE_SUFFIXES.flowsBrTun}`;
    case 'agent.ini':
      return `${host}${BUNDLE_SUFFIXES.agentIni}`;
    default:
      return null;
  }
};

const ev = (host: string, source: EvidenceSource, text: string): Evidence => ({ host, source, file: fileOf(host, source), text });

function vxlanText(d: VxlanDevice): string {
  const parts = [`${d.name}: vxlan id ${d.vni ?? 'external'}`];
  if (d.group) parts.push(`group ${d.group}`);
  if (d.remote) parts.push(`remote ${d.remote}`);
  if (d.local) parts.push(`local ${d.local}`);
  if (d.link) parts.push(`dev ${d.link}`);
  if (d.dstport !== null) parts.push(`dstport ${d.dstport}`);
  if (d.proxy) parts.push('proxy');
  if (d.learning === false) parts.push('nolearning');
  if (d.master) parts.push(`master ${d.master}`);
  return parts.join(' ');
}

const tunnelText = (p: OvsTunnelPort) => `${p.name} type=${p.type} ofport=${p.ofport ?? '?'} remote_ip=${p.remoteIp}${p.localIp ? ` local_ip=${p.localIp}` : ''} dst_port=${p.dstPort ?? `(default ${tunnelDstPort(p) ?? '-'})`}`;

function groupBy<T, K>(xs: T[], key: (x: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const x of xs) {
    const k = key(x);
    const l = out.get(k);
    if (l) l.push(x);
    else out.set(k, [x]);
  }
  return out;
}

/** Unique and sorted with {@link compareNatural} (IPv4 addresses numerically). */
const sortStr = (xs: Iterable<string>): string[] => sortNatural([...new Set(xs)]);

/** Network id of a VNI as the model knows it (VXLAN; the first seen wins among others), else `vni:<n>`. */
function networkIndex(networks: NetworkView[]): { byVni: Map<number, string>; vniOf: Map<string, number | null> } {
  const byVni = new Map<number, string>();
  const vniOf = new Map<string, number | null>();
  for (const n of [...networks].sort((a, b) => a.firstSeenAt - b.firstSeenAt)) {
    vniOf.set(n.id, n.vni);
    if (n.vni !== null && (n.networkType === 'vxlan' || !byVni.has(n.vni))) byVni.set(n.vni, n.id);
  }
  return { byVni, vniOf };
}

function linuxbridgeActual(c: Pick<HostCtx, 'name' | 'snap' | 'actual'>, byVni: Map<number, string>): void {
  const lb = c.snap?.linuxbridge;
  if (!lb) return;
  const h = c.name;
  const fdbByDev = groupBy(lb.fdb, (r) => r.dev);
  const neighByDev = groupBy(lb.neigh, (n) => n.dev);
  for (const d of lb.vxlan) {
    if (d.vni === null) continue;
    const network = byVni.get(d.vni) ?? `vni:${d.vni}`;
    const a: Actual = {
      network,
      vni: d.vni,
      present: true,
      dev: d.name,
      floodUnicast: new Map(),
      floodGroups: new Map(),
      rows: [],
      neigh: [],
      responder: d.proxy,
      device: d,
      lvid: null,
      l2popRows: [],
      notes: [],
    };
    const devEv: EvRef = { h, vxlan: d };
    if (d.group) a.floodGroups.set(d.group, devEv);
    if (d.remote) a.floodUnicast.set(d.remote, devEv);
    for (const r of fdbByDev.get(d.name) ?? []) {
      if (!r.flags.includes('self') || r.dst === null) continue;
      const learned = r.state !== 'permanent' && r.state !== 'static' && !r.flags.includes('extern_learn');
      const e: EvRef = { h, fdb: r };
      if (r.mac === FLOOD_MAC) {
        if (isMulticastCached(r.dst, isMulticastIp)) a.floodGroups.set(r.dst, a.floodGroups.get(r.dst) ?? e);
        else {
          a.floodUnicast.set(r.dst, e);
          a.l2popRows.push(e);
        }
        continue;
      }
      if (isMulticastCached(r.dst, isMulticastIp)) continue;
      a.rows.push({ mac: r.mac, vtep: r.dst, learned, ev: e });
      if (!learned) a.l2popRows.push(e);
    }
    for (const n of neighByDev.get(d.name) ?? []) {
      if (!n.state.includes('PERMANENT')) continue;
      a.neigh.push({ ip: n.ip, mac: n.mac, ev: { h, neigh: n } });
    }
    if (!c.actual.has(network)) c.actual.set(network, a);
  }
}

function openvswitchActual(c: Pick<HostCtx, 'name' | 'snap' | 'actual'>, byVni: Map<number, string>): void {
  const ovs = c.snap?.openvswitch;
  if (!ovs) return;
  const h = c.name;
  const bt = ovs.brTun;
  if (!bt) return;
  const byOfport = new Map<number, OvsTunnelPort>();
  for (const p of ovs.tunnelPorts) if (p.ofport !== null && p.ofport >= 0) byOfport.set(p.ofport, p);
  const vxlanPorts = ovs.tunnelPorts.filter((p) => p.type === 'vxlan');
  const resolve = (ofport: number | null): string | null => (ofport === null ? null : (byOfport.get(ofport)?.remoteIp ?? null));
  const floodByLvid = groupBy(bt.flood, (f) => f.lvid);
  const unicastByLvid = groupBy(bt.unicast, (u) => u.lvid);
  const responderByLvid = groupBy(bt.responder, (r) => r.lvid);
  for (const lv of bt.localVlans) {
    if (lv.tunnelType !== 'vxlan') continue;
    const network = byVni.get(lv.vni) ?? `vni:${lv.vni}`;
    const dev = `br-tun lvid ${lv.lvid}`;
    const a: Actual = {
      network,
      vni: lv.vni,
      present: true,
      dev,
      floodUnicast: new Map(),
      floodGroups: new Map(),
      rows: [],
      neigh: [],
      responder: bt.arpResponderEnabled,
      device: null,
      lvid: lv.lvid,
      l2popRows: [],
      notes: [],
    };
    for (const f of floodByLvid.get(lv.lvid) ?? []) {
      const e: EvRef = { h, flood: f };
      const unresolved = f.ofports.filter((p) => resolve(p) === null);
      // `ovs-vsctl show` gives no ofports: when the flood outputs are exactly the tunnel ports in use
      // (table 0) and there are as many VXLAN tunnel ports, they are those ports as a set
      const setWise =
        unresolved.length > 0 &&
        unresolved.length === f.ofports.length &&
        vxlanPorts.length === f.ofports.length &&
        bt.tunnelOfports.length === f.ofports.length &&
        f.ofports.every((p) => bt.tunnelOfports.includes(p));
      if (setWise) {
        for (const p of vxlanPorts) a.floodUnicast.set(p.remoteIp, e);
        a.notes.push(`table 22 ofports ${f.ofports.join(',')} matched as a set to the ${vxlanPorts.length} VXLAN tunnel ports (no ofports in the snapshot)`);
      } else {
        for (const p of f.ofports) a.floodUnicast.set(resolve(p) ?? `ofport:${p}`, e);
        if (unresolved.length) a.notes.push(`table 22 ofports without a tunnel port: ${unresolved.join(',')}`);
      }
    }
    for (const u of unicastByLvid.get(lv.lvid) ?? []) {
      const e: EvRef = { h, unicast: u };
      a.rows.push({ mac: u.mac, vtep: resolve(u.ofport), learned: u.learned, ev: e });
      if (!u.learned) a.l2popRows.push(e);
    }
    for (const r of responderByLvid.get(lv.lvid) ?? []) {
      a.neigh.push({ ip: r.ip, mac: r.mac, ev: { h, responder: r } });
    }
    if (!c.actual.has(network)) c.actual.set(network, a);
  }
}

/** What a host's data plane holds for one network, in agent-neutral terms. */
export interface HeldTunnelState {
  /** Neutron network id, or `vni:<n>` when `byVni` does not know the VNI. */
  network: string;
  vni: number;
  /** `vxlan-<VNI>` or `br-tun lvid <n>`. */
  dev: string | null;
  /** Head-end replication recipients (VTEP IPs; `ofport:<n>` when unresolved). */
  floodUnicast: string[];
  /** Multicast flood groups (flood-and-learn). */
  floodGroups: string[];
  /** Unicast FDB rows / table-20 flows: MAC -> VTEP, learned or written by l2pop. */
  unicast: { mac: string; vtep: string | null; learned: boolean }[];
  /** ARP responder entries (PERMANENT neighbours / table-21 flows). */
  neigh: { ip: string; mac: string | null }[];
}

/**
 * A snapshot's tunnel state per network (Linux bridge `vxlan-<VNI>` FDB rows and neighbours; OVS
 * br-tun tables 4/20/21/22 resolved to VTEPs through the tunnel ports): the same reading the drift
 * analysis uses, for other consumers (convergence timing).
 * @param byVni VNI -> network id (from the model); unknown VNIs are keyed `vni:<n>`
 */
export function heldTunnelState(snap: FullNodeSnapshot, byVni: Map<number, string> = new Map()): HeldTunnelState[] {
  const c = { name: snap.host, snap, actual: new Map<string, Actual>() };
  if (snap.agent.type === 'openvswitch') openvswitchActual(c, byVni);
  else linuxbridgeActual(c, byVni);
  return [...c.actual.values()].map((a) => ({
    network: a.network,
    vni: a.vni,
    dev: a.dev,
    floodUnicast: [...a.floodUnicast.keys()],
    floodGroups: [...a.floodGroups.keys()],
    unicast: a.rows.map((r) => ({ mac: r.mac, vtep: r.vtep, learned: r.learned })),
    neigh: a.neigh.map((n) => ({ ip: n.ip, mac: n.mac })),
  }));
}

// ---------------------------------------------------------------- mode

function hostMode(c: HostCtx): HostMode {
  const notes: string[] = [];
  const ini = c.snap?.agent.ini ?? null;
  const h = c.host;
  let l2pop: HostMode['l2pop'] = 'unknown';
  let l2popSource: HostMode['l2popSource'] = null;
  if (h?.l2population !== null && h?.l2population !== undefined) {
    l2pop = h.l2population ? 'on' : 'off';
    l2popSource = 'report_state';
    if (ini && ini.l2population !== h.l2population) notes.push(`the ini says l2_population=${ini.l2population} but the running agent reports ${h.l2population}: restart pending`);
  } else if (ini) {
    l2pop = ini.l2population ? 'on' : 'off';
    l2popSource = 'ini';
  } else {
    const acts = [...c.actual.values()];
    const rows = acts.some((a) => a.l2popRows.length > 0);
    const groups = acts.some((a) => a.floodGroups.size > 0);
    if (acts.length && rows !== groups) {
      l2pop = rows ? 'on' : 'off';
      l2popSource = 'kernel';
    }
  }
  let arp: HostMode['arpResponder'] = 'unknown';
  let arpSource: HostMode['arpResponderSource'] = null;
  const type = c.type;
  if (type === 'openvswitch' && h?.arpResponder !== null && h?.arpResponder !== undefined) {
    arp = h.arpResponder ? 'on' : 'off';
    arpSource = 'report_state';
  } else if (ini) {
    arp = ini.arpResponderEffective ? 'on' : 'off';
    arpSource = 'ini';
  } else if (type === 'linuxbridge' && c.snap?.linuxbridge?.vxlan.some((d) => d.vni !== null)) {
    arp = c.snap.linuxbridge.vxlan.some((d) => d.proxy) ? 'on' : 'off';
    arpSource = 'vxlan_proxy';
  } else if (type === 'openvswitch' && c.snap?.openvswitch?.brTun) {
    arp = c.snap.openvswitch.brTun.arpResponderEnabled ? 'on' : 'off';
    arpSource = 'flows';
  }
  if (l2pop === 'off' && arp === 'on' && type === 'linuxbridge' && arpSource !== 'vxlan_proxy') arp = 'off';

  const acts = [...c.actual.values()].sort((a, b) => compareText(a.network, b.network));
  const anyGroup = acts.some((a) => a.floodGroups.size > 0);
  const anyUnicast = acts.some((a) => a.floodUnicast.size > 0);
  let floodMode: HostMode['floodMode'] = 'unknown';
  if (c.snap) floodMode = anyGroup && anyUnicast ? 'multicast+unicast' : anyGroup ? 'multicast' : anyUnicast ? 'unicast' : acts.length ? (l2pop === 'off' ? 'multicast' : 'unicast') : 'none';
  const vxlanGroups = sortStr(acts.flatMap((a) => [...a.floodGroups.keys()]));
  const udpPorts = new Set<number>();
  for (const a of acts) if (a.device?.dstport !== null && a.device?.dstport !== undefined) udpPorts.add(a.device.dstport);
  for (const p of c.snap?.openvswitch?.tunnelPorts ?? []) {
    const port = tunnelDstPort(p);
    if (port !== null) udpPorts.add(port);
  }
  if (ini && udpPorts.size && ![...udpPorts].every((p) => p === ini.udpPort)) {
    notes.push(`the ini's UDP port is ${ini.udpPort}${ini.udpPortConfigured === null ? ' (default)' : ''} but the ${type === 'openvswitch' ? 'tunnel ports use' : 'VXLAN devices use'} ${[...udpPorts].sort().join(', ')}: existing ${type === 'openvswitch' ? 'tunnel ports' : 'devices'} keep their port, new ones get ${ini.udpPort}`);
  }
  if (type === 'openvswitch' && (h?.distributedRouting === true || ini?.distributedRouting === true) && !(ini?.arpResponder ?? false)) {
    notes.push('enable_distributed_routing forces the ARP responder on (ovs_neutron_agent.py), although arp_responder is not set');
  }
  if (ini && c.vtep && ini.localIp && ini.localIp !== c.vtep) notes.push(`the ini's local_ip ${ini.localIp} differs from the reported tunneling_ip ${c.vtep}`);
  if (!c.snap) notes.push('no node snapshot: drift and flood lists not evaluated');

  let summary: string;
  if (!c.snap && l2pop === 'unknown') summary = 'unknown';
  else if (floodMode === 'multicast+unicast') summary = `half-switched: multicast group ${vxlanGroups.join(', ')} and l2pop flood entries`;
  else if (l2pop === 'off' || (floodMode === 'multicast' && l2pop !== 'on'))
    summary =
      type === 'openvswitch'
        ? 'flood-and-learn (full mesh of tunnels)'
        : vxlanGroups.length || ini?.vxlanGroup
          ? `flood-and-learn (multicast group ${vxlanGroups.join(', ') || ini!.vxlanGroup})`
          : 'flood-and-learn (no VXLAN device yet)';
  else if (l2pop === 'on') summary = `l2pop (head-end replication)${arp === 'on' ? ', ARP responder on' : arp === 'off' ? ', ARP responder off' : ''}`;
  else summary = floodMode === 'unicast' ? 'head-end replication (l2pop state unknown)' : 'unknown';

  return {
    agentType: type,
    vtep: c.vtep,
    l2pop,
    l2popSource,
    arpResponder: arp,
    arpResponderSource: arpSource,
    floodMode,
    vxlanGroups,
    udpPorts: [...udpPorts].sort((a, b) => a - b),
    summary,
    networks: acts.map((a) => ({
      network: a.network,
      vni: a.vni,
      dev: a.dev,
      group: a.device?.group ?? null,
      proxy: a.device ? a.device.proxy : null,
      arpResponder: a.responder,
      learning: a.device?.learning ?? null,
      dstport: a.device?.dstport ?? null,
      lvid: a.lvid,
    })),
    ini: ini
      ? {
          l2population: ini.l2population,
          arpResponder: ini.arpResponder,
          arpResponderEffective: ini.arpResponderEffective,
          localIp: ini.localIp,
          vxlanGroup: ini.vxlanGroup,
          udpPort: ini.udpPort,
          udpPortConfigured: ini.udpPortConfigured,
          distributedRouting: ini.distributedRouting,
        }
      : null,
    reported: h
      ? {
          l2population: h.l2population,
          arpResponder: h.arpResponder,
          tunnelingIp: h.vtep,
          lastReportAt: h.lastReportAt === null ? null : new Date(h.lastReportAt).toISOString(),
        }
      : null,
    notes,
  };
}

// ---------------------------------------------------------------- drift

/**
 * What l2pop announced on one network, from every VTEP; computed once per network and shared by
 * all hosts, each skipping its own VTEP (`own`), as the agents do (`agent_ip == local_ip`).
 * Recomputed from the model's entries rather than `toldFdb` so that the own VTEP is skipped even
 * when the host's report_state has not arrived yet (the model then knows its name, not its VTEP).
 */
interface Expected {
  /** VTEPs whose flood entry is announced. */
  flood: Set<string>;
  /** MAC -> VTEPs announcing it (`stamp`: scratch mark of the host and network being compared). */
  macs: Map<string, { vteps: Set<string>; stamp: number }>;
  /** IP -> [MAC, VTEP] announcing it (ARP responder data), in VTEP order (`stamp`: as for `macs`). */
  neigh: Map<string, { list: { mac: string; vtep: string }[]; stamp: number }>;
  /** MAC -> first IP (to label rows). */
  ipOfMac: Map<string, string>;
  /** VTEP -> MACs announced by it alone (what a host skipping that VTEP does not expect). */
  macsOnlyBy: Map<string, number>;
  /** VTEP -> IPs announced by it alone. */
  neighOnlyBy: Map<string, number>;
  /** The host's own VTEP, skipped. */
  own: string | null;
}

function networkExpectation(vteps: VtepEntries[]): Expected {
  const e: Expected = { flood: new Set(), macs: new Map(), neigh: new Map(), ipOfMac: new Map(), macsOnlyBy: new Map(), neighOnlyBy: new Map(), own: null };
  for (const v of vteps) {
    if (v.flood) e.flood.add(v.vtep);
    for (const mac of v.macs) {
      const s = e.macs.get(mac);
      if (s) s.vteps.add(v.vtep);
      else e.macs.set(mac, { vteps: new Set([v.vtep]), stamp: 0 });
    }
    for (const [ip, mac] of Object.entries(v.neigh)) {
      if (!e.ipOfMac.has(mac)) e.ipOfMac.set(mac, ip);
      const l = e.neigh.get(ip);
      if (l) l.list.push({ mac, vtep: v.vtep });
      else e.neigh.set(ip, { list: [{ mac, vtep: v.vtep }], stamp: 0 });
    }
  }
  for (const { vteps: s } of e.macs.values()) if (s.size === 1) for (const v of s) e.macsOnlyBy.set(v, (e.macsOnlyBy.get(v) ?? 0) + 1);
  for (const { list } of e.neigh.values()) if (list.length === 1) e.neighOnlyBy.set(list[0]!.vtep, (e.neighOnlyBy.get(list[0]!.vtep) ?? 0) + 1);
  return e;
}

const NOTHING_EXPECTED = { flood: new Set<string>(), macs: new Map(), neigh: new Map(), macsOnlyBy: new Map(), neighOnlyBy: new Map() } as const;

/** The expectation of one host: the network's, own VTEP skipped; nothing (labels only) for a non-member. */
function expectedFor(net: Expected, ownVtep: string | null, member: boolean): Expected {
  if (!member) return { ...NOTHING_EXPECTED, ipOfMac: net.ipOfMac, own: ownVtep };
  return { ...net, own: ownVtep };
}

/**
 * Scratch marks: a fresh value per (host, network) comparison, kept a small integer. A stale equal
 * mark after wrap-around only sends a comparison to the exact path, never changes its result.
 */
let stampSeq = 0;
const nextStamp = () => (stampSeq = (stampSeq + 1) & 0x3fffffff);

/** The MAC l2pop announced for `ip` from a VTEP other than the host's own, if any. */
function expectedNeigh(exp: Expected, ip: string): string | undefined {
  const e = exp.neigh.get(ip);
  return e === undefined ? undefined : firstNotOwn(e.list, exp.own);
}

function firstNotOwn(l: { mac: string; vtep: string }[], own: string | null): string | undefined {
  // nearly always one announcer, not the host itself
  if (l[0]!.vtep !== own) return l[0]!.mac;
  for (let i = 1; i < l.length; i++) if (l[i]!.vtep !== own) return l[i]!.mac;
  return undefined;
}

/** Rows of one MAC: the row itself when alone (the common case: no array per row), else all of them in row order. */
type MacRows = Row | Row[];

function driftFor(c: HostCtx, a: Actual, exp: Expected, applied: boolean | null, responderWrites: boolean | null, foreign: ForeignMac[]): DriftItem[] {
  const out: DriftItem[] = [];
  const dev = a.dev;
  const add = (d: Omit<DriftItem, 'network' | 'dev'>) => out.push({ network: a.network, dev, ...d });
  const ipOf = (mac: string) => exp.ipOfMac.get(mac) ?? null;
  const on = applied === true;
  const own = exp.own;

  // fast path: the flood entries are exactly the announced ones (own VTEP skipped): nothing to say
  let floodExact = a.floodUnicast.size === exp.flood.size - (own !== null && exp.flood.has(own) ? 1 : 0);
  if (floodExact) {
    for (const v of a.floodUnicast.keys()) {
      if (v === own || !exp.flood.has(v)) {
        floodExact = false;
        break;
      }
    }
  }
  if (on && !floodExact) {
    for (const v of exp.flood) {
      if (v !== own && !a.floodUnicast.has(v)) add({ class: 'missing_flood', mac: FLOOD_MAC, ip: null, vtep: v, detail: `no flood entry to ${v}: BUM of this network does not reach it (DHCP, ARP break)${a.present ? '' : `; ${dev ?? 'the device'} does not exist`}`, evidence: [] });
    }
  }
  if ((on || applied === null) && !floodExact) {
    for (const [v, e] of a.floodUnicast) {
      if ((v === own || !exp.flood.has(v)) && !v.startsWith('ofport:')) add({ class: 'stale_entry', mac: FLOOD_MAC, ip: null, vtep: v, detail: `flood entry to ${v}, which has no ports on this network: wasted BUM copies`, evidence: [render(e)] });
    }
  }

  // unicast; fast path: every row is a distinct announced MAC at an announcing VTEP (not its own),
  // and every MAC announced by another VTEP has its row: nothing to say
  const stamp = nextStamp();
  let fine = 0;
  for (const r of a.rows) {
    const m = r.learned || r.vtep === null || r.vtep === own ? undefined : exp.macs.get(r.mac);
    if (m === undefined || m.stamp === stamp || !m.vteps.has(r.vtep!)) break;
    m.stamp = stamp;
    fine++;
  }
  const unicastExact = fine === a.rows.length && fine === exp.macs.size - (own === null ? 0 : (exp.macsOnlyBy.get(own) ?? 0));
  const byMac = new Map<string, MacRows>();
  for (const r of unicastExact ? [] : a.rows) {
    const l = byMac.get(r.mac);
    if (l === undefined) byMac.set(r.mac, r);
    else if (Array.isArray(l)) l.push(r);
    else byMac.set(r.mac, [l, r]);
  }
  const handled = new Set<Row>(unicastExact ? a.rows : []);
  for (const [mac, { vteps: announced }] of unicastExact ? [] : exp.macs) {
    let vteps = announced;
    if (own !== null && vteps.has(own)) {
      if (vteps.size === 1) continue;
      vteps = new Set([...vteps].filter((v) => v !== own));
    }
    const got = byMac.get(mac);
    // fast path: one l2pop row, pointing where l2pop said
    if (got !== undefined && !Array.isArray(got) && !got.learned && (got.vtep === null || vteps.has(got.vtep))) {
      handled.add(got);
      continue;
    }
    const rows = got === undefined ? [] : Array.isArray(got) ? got : [got];
    const fixed = rows.filter((r) => !r.learned);
    const good = fixed.filter((r) => r.vtep === null || vteps.has(r.vtep));
    const expected = [...vteps].sort()[0]!;
    if (good.length) {
      for (const r of rows) if (good.includes(r) || r.learned) handled.add(r);
      continue;
    }
    if (fixed.length) {
      for (const r of fixed) {
        handled.add(r);
        add({ class: 'wrong_vtep', mac, ip: ipOf(mac), vtep: r.vtep, expectedVtep: expected, detail: `${mac} points at ${r.vtep}, l2pop announced it at ${[...vteps].sort().join(', ')} (port moved?): its traffic is black-holed`, evidence: [render(r.ev)] });
      }
      for (const r of rows) handled.add(r);
      continue;
    }
    if (!on) continue;
    const learned = rows.filter((r) => r.learned);
    for (const r of learned) handled.add(r);
    add({
      class: 'missing_unicast',
      mac,
      ip: ipOf(mac),
      vtep: expected,
      detail: learned.length
        ? `no l2pop entry for ${mac} dst ${expected}; reached only through a learned row dst ${learned.map((r) => r.vtep ?? '?').join(', ')}`
        : `no unicast entry for ${mac} dst ${expected}: frames to it are flooded${a.present ? '' : `; ${dev ?? 'the device'} does not exist`}`,
      evidence: learned.map((r) => render(r.ev)),
    });
  }
  if (handled.size < a.rows.length) {
    for (const r of a.rows) {
      if (handled.has(r)) continue;
      if (r.learned && on) {
        foreign.push({
          class: FOREIGN_MAC,
          network: a.network,
          mac: r.mac,
          ip: ipOf(r.mac),
          vtep: r.vtep,
          dev,
          detail: `learned from traffic from ${r.vtep ?? '?'}, but l2pop never announced ${r.mac} on this network: a frame from a source Neutron does not know crossed the tunnel (a hypervisor's own interface leaking, a spoofed MAC, an allowed-address-pair / VRRP MAC, or a port whose casts l2scope missed)`,
          evidence: [render(r.ev)],
        });
      } else if (r.learned) {
        add({
          class: 'learned_only',
          mac: r.mac,
          ip: ipOf(r.mac),
          vtep: r.vtep,
          detail: applied === false ? `learned from traffic (flood-and-learn, l2_population off)` : `learned from traffic: l2pop does not announce ${r.mac} and this agent's l2pop mode is unknown (flood-and-learn?)`,
          evidence: [render(r.ev)],
        });
      } else {
        add({ class: 'stale_entry', mac: r.mac, ip: ipOf(r.mac), vtep: r.vtep, detail: `permanent entry for ${r.mac} dst ${r.vtep ?? '?'}, which l2pop does not announce (port gone?)`, evidence: [render(r.ev)] });
      }
    }
  }

  // neighbours (ARP responder)
  if (on && responderWrites) {
    const v4only = c.type === 'openvswitch';
    if (!v4only) {
      // fast path: every entry is a distinct IP answered with the announced MAC, and every IP announced by another VTEP has one
      const nstamp = nextStamp();
      let ok = 0;
      for (const n of a.neigh) {
        const e = exp.neigh.get(n.ip);
        if (e === undefined || e.stamp === nstamp || n.mac === null || firstNotOwn(e.list, own) !== n.mac) break;
        e.stamp = nstamp;
        ok++;
      }
      if (ok === a.neigh.length && ok === exp.neigh.size - (own === null ? 0 : (exp.neighOnlyBy.get(own) ?? 0))) return out;
    }
    const actualByIp = new Map<string, NeighEntry | NeighEntry[]>();
    for (const n of a.neigh) {
      const l = actualByIp.get(n.ip);
      if (l === undefined) actualByIp.set(n.ip, n);
      else if (Array.isArray(l)) l.push(n);
      else actualByIp.set(n.ip, [l, n]);
    }
    for (const ip of exp.neigh.keys()) {
      const mac = expectedNeigh(exp, ip);
      if (mac === undefined || (v4only && ip.includes(':'))) continue;
      const one = actualByIp.get(ip);
      if (one !== undefined && !Array.isArray(one) && one.mac === mac) continue;
      const got = one === undefined ? [] : Array.isArray(one) ? one : [one];
      if (got.some((n) => n.mac === mac)) continue;
      if (got.length) {
        for (const n of got) add({ class: 'neigh_stale', mac: n.mac, ip, vtep: null, expectedMac: mac, detail: `ARP responder answers ${ip} with ${n.mac ?? '?'}, l2pop announced ${mac}`, evidence: [render(n.ev)] });
      } else add({ class: 'neigh_missing', mac, ip, vtep: null, detail: `no ARP responder entry ${ip} -> ${mac}: ARP for it gets no answer${c.type === 'linuxbridge' ? ' (the vxlan proxy consumes the request)' : ''}`, evidence: [] });
    }
    for (const n of a.neigh) {
      if (expectedNeigh(exp, n.ip) === undefined) add({ class: 'neigh_stale', mac: n.mac, ip: n.ip, vtep: null, detail: `ARP responder entry for ${n.ip}, which l2pop does not announce`, evidence: [render(n.ev)] });
    }
  }
  return out;
}

// ---------------------------------------------------------------- flood lists

/**
 * @param ideal other VTEPs with ports on the network, sorted
 * @param isIdeal membership in `ideal` (without building a set per host and network)
 */
function floodFor(a: Actual | null, ideal: string[], isIdeal: (vtep: string) => boolean, subscribers: (group: string) => string[] | null, vni: number | null): FloodList {
  const unicast = a ? [...a.floodUnicast.keys()] : [];
  if (!a || a.floodGroups.size === 0) {
    // head-end replication only (l2pop): one sort; reach and excess are subsets of the unicast recipients
    const actual = sortNatural(unicast); // map keys: unique already
    const reach = actual.filter((v) => !v.startsWith('ofport:'));
    const excess = actual.filter((v) => !isIdeal(v));
    return {
      vni,
      actual,
      ideal,
      excess,
      missing: a ? ideal.filter((v) => !(a.floodUnicast.has(v) && !v.startsWith('ofport:'))) : ideal.slice(),
      reach,
      copies: unicast.length,
      evidence: a && excess.length ? [...new Set(unicast.filter((v) => !isIdeal(v)).map((v) => a.floodUnicast.get(v)!))].map(render) : [],
    };
  }
  const idealSet = new Set(ideal);
  const groups = [...a.floodGroups.keys()];
  const reach = new Set(unicast.filter((v) => !v.startsWith('ofport:')));
  const excess = new Set<string>();
  for (const v of unicast) if (!idealSet.has(v)) excess.add(v);
  for (const g of groups) {
    const subs = subscribers(g);
    // unknown subscribers: assume the group reaches the ideal receivers
    const reached = subs ?? ideal;
    for (const v of reached) {
      reach.add(v);
      if (!idealSet.has(v)) excess.add(v);
    }
    const useful = reached.filter((v) => idealSet.has(v) && !unicast.includes(v));
    if (unicast.length > 0 && useful.length === 0) excess.add(g);
  }
  return {
    vni,
    actual: sortStr([...groups, ...unicast]),
    ideal,
    excess: sortStr(excess),
    missing: ideal.filter((v) => !reach.has(v)),
    reach: sortStr(reach),
    copies: unicast.length + groups.length,
    // the rows behind the multicast groups and the excess recipients (a missing one has no row)
    evidence: a ? [...new Set([...a.floodGroups.values(), ...unicast.filter((v) => !idealSet.has(v)).map((v) => a.floodUnicast.get(v)!)])].map(render) : [],
  };
}

// ---------------------------------------------------------------- main

/** Input of {@link analyzeNodes} and {@link NodeAnalyzer.analyze}. */
export interface AnalyzeNodesInput {
  /** What l2pop told the agents: the live model, or its snapshot (e.g. from the database). */
  model: ClusterModel | ModelSnapshot;
  /** The latest full snapshot per host (later ones win when a host appears twice). */
  snapshots: FullNodeSnapshot[];
}

/**
 * Compare every host's snapshot with the model: per host its mode, drift and flood lists, and
 * cross-host findings. Hosts the model names without a snapshot are listed with their reported
 * mode only. Never throws on inconsistent input: what cannot be evaluated is said in `mode.notes`.
 * A full computation, O(FDB and neighbour rows of every host); to re-analyse after a few changes,
 * keep a {@link NodeAnalyzer}, which gives the same result.
 */
export function analyzeNodes(input: AnalyzeNodesInput): NodeAnalysis {
  return new NodeAnalyzer().analyze(input);
}

/** The model's facts about one network, shared by every host (computed once per network and model change). */
interface NetFacts {
  /** The network's VTEP entries, sorted by VTEP (code-unit order). */
  entries: VtepEntries[];
  /** VTEPs with ports on it (flood entry or unicast MACs announced). */
  withPorts: Set<string>;
  /** VTEPs whose flood entry is announced, sorted naturally: the ideal flood list, before each host skips its own. */
  ports: string[];
  /** The same VTEPs, as a set. */
  floodSet: Set<string>;
  /** What l2pop announced on it (built on first use). */
  expected: Expected | null;
}

/** What a host's analysis read from everything but its own snapshot and host record. */
interface Env {
  model: ClusterModel;
  byVni: Map<number, string>;
  vniOf: Map<string, number | null>;
  facts: (network: string) => NetFacts;
  /** Group -> VTEPs receiving it (joined by a VXLAN device; 224.0.0.1: every Linux bridge host). */
  groupMembers: Map<string, Set<string>>;
  /** VTEPs of the hosts with a snapshot. */
  snapVteps: Set<string>;
}

/** A host's cached analysis. */
interface HostEntry {
  snap: FullNodeSnapshot | null;
  /** Identity of the host in the model: `<modelId>\0<anonymous id of its VTEP>\0<vtep>\0<type>`. */
  key: string;
  ctx: HostCtx;
  result: HostAnalysis;
  /** Networks the result read from the model, and `#vni:<n>` for each VNI of its snapshot (their network id mapping). */
  deps: Set<string>;
  /** Its analysis expanded multicast groups (it depends on every host's groups and VTEPs). */
  usesGroups: boolean;
}

/** What the last {@link NodeAnalyzer.analyze} did. */
export interface NodeAnalyzerStats {
  /** Everything was recomputed (first run, another model instance, {@link NodeAnalyzer.invalidate}). */
  full: boolean;
  /** Hosts analysed again (the others' results were reused as they are, same objects). */
  hostsAnalyzed: number;
  /** Hosts in the result. */
  hosts: number;
  /** Networks whose cross-host findings were computed again. */
  networksAnalyzed: number;
  /** Networks with findings evaluated. */
  networks: number;
}

const identity = (modelId: string | null, anon: string | null, vtep: string | null, type: string | null) => `${modelId ?? ''}\u0000${anon ?? ''}\u0000${vtep ?? ''}\u0000${type ?? ''}`;

/**
 * Incremental {@link analyzeNodes}: keeps every host's analysis and every network's findings, and on
 * the next {@link analyze} recomputes only
 * - hosts whose snapshot is another object (a snapshot whose `agent`, `linuxbridge` and
 *   `openvswitch` sections are the same objects, e.g. a delta without sections, only gets its
 *   `snapshot` stamp updated), whose host record changed, or that hold, are members of, or have
 *   ports on a network that changed (VTEP entries, VNI);
 * - hosts that expand multicast groups, when a host's groups, VTEP or agent type changed;
 * - the findings of the networks those hosts take part in, and of the changed networks.
 * The result is deep-equal to `analyzeNodes` on the same inputs (reused parts are the same objects as
 * in the previous result: do not mutate them).
 *
 * Contract: every change list {@link ClusterModel.apply} returned since the last `analyze` must be
 * given to {@link modelChanged} (a model that is another instance than last time, or a
 * {@link ModelSnapshot}, is analysed in full). Not safe to share between models.
 */
export class NodeAnalyzer {
  private model: ClusterModel | null = null;
  private readonly hostCache = new Map<string, HostEntry>();
  private readonly netFacts = new Map<string, NetFacts>();
  private readonly findingCache = new Map<string, Finding[]>();
  private byVni = new Map<number, string>();
  private vniOf = new Map<string, number | null>();
  private groupSig = '';
  private dirtyNetworks = new Set<string>();
  private dirtyHosts = new Set<string>();
  private everything = true;
  private last: NodeAnalyzerStats = { full: true, hostsAnalyzed: 0, hosts: 0, networksAnalyzed: 0, networks: 0 };

  /** What the last {@link analyze} recomputed. */
  get stats(): NodeAnalyzerStats {
    return this.last;
  }

  /**
   * Changes folded into the model since the last {@link analyze} (what {@link ClusterModel.apply}
   * returned, in any order; duplicates are harmless). `host` / `host_removed` mark that host,
   * `vtep` / `vtep_removed` and `network` that network.
   */
  modelChanged(changes: readonly ModelChange[]): void {
    for (const c of changes) {
      switch (c.type) {
        case 'host':
          this.dirtyHosts.add(c.host.id);
          break;
        case 'host_removed':
          this.dirtyHosts.add(c.id);
          break;
        case 'network':
          this.dirtyNetworks.add(c.network.id);
          break;
        case 'vtep':
          this.dirtyNetworks.add(c.entries.network);
          break;
        case 'vtep_removed':
          this.dirtyNetworks.add(c.network);
          break;
      }
    }
  }

  /** Forget every cached result: the next {@link analyze} is a full one (e.g. after a model was rebuilt in place). */
  invalidate(): void {
    this.everything = true;
  }

  /**
   * Analyse, reusing what the changes since the last call did not touch.
   * @returns the same result as `analyzeNodes(input)`
   */
  analyze(input: AnalyzeNodesInput): NodeAnalysis {
    const model = input.model instanceof ClusterModel ? input.model : ClusterModel.fromSnapshot(input.model);
    const full = this.everything || model !== this.model;
    const dirtyNets = this.dirtyNetworks;
    const dirtyHosts = this.dirtyHosts;
    this.dirtyNetworks = new Set();
    this.dirtyHosts = new Set();
    this.everything = false;
    this.model = model;
    if (full) {
      this.hostCache.clear();
      this.netFacts.clear();
      this.findingCache.clear();
    }

    // networks: a changed VNI -> network mapping changes every host holding that VNI
    const { byVni, vniOf } = networkIndex(model.networkViews());
    const dirtyVnis = new Set<string>();
    if (!full) {
      for (const [vni, id] of byVni) if (this.byVni.get(vni) !== id) dirtyVnis.add(`#vni:${vni}`);
      for (const [vni, id] of this.byVni) {
        if (byVni.get(vni) !== id) {
          dirtyVnis.add(`#vni:${vni}`);
          dirtyNets.add(id);
        }
      }
      for (const [id, vni] of vniOf) if (this.vniOf.get(id) !== vni) dirtyNets.add(id);
      for (const id of this.vniOf.keys()) if (!vniOf.has(id)) dirtyNets.add(id);
      for (const v of dirtyVnis) {
        const id = byVni.get(Number(v.slice(5)));
        dirtyNets.add(id ?? `vni:${v.slice(5)}`);
        dirtyNets.add(`vni:${v.slice(5)}`);
      }
    }
    this.byVni = byVni;
    this.vniOf = vniOf;
    for (const n of dirtyNets) this.netFacts.delete(n);
    const facts = (network: string): NetFacts => {
      let f = this.netFacts.get(network);
      if (!f) {
        const entries = model.networkEntries(network).sort((a, b) => compareText(a.vtep, b.vtep));
        const withPorts = new Set<string>();
        const flooding: string[] = [];
        for (const v of entries) {
          if (v.flood || v.macs.length > 0) withPorts.add(v.vtep);
          if (v.flood) flooding.push(v.vtep);
        }
        f = { entries, withPorts, ports: sortStr(flooding), floodSet: new Set(flooding), expected: null };
        this.netFacts.set(network, f);
      }
      return f;
    };

    // host identities (cheap, every host): snapshot hosts, then hosts the model names without a snapshot
    const snaps = new Map<string, FullNodeSnapshot>();
    for (const s of input.snapshots) snaps.set(s.host, s);
    interface Ident {
      name: string;
      modelId: string | null;
      snap: FullNodeSnapshot | null;
      type: HostCtx['type'];
      vtep: string | null;
      anon: string | null;
      key: string;
    }
    const idents: Ident[] = [];
    const seen = new Set<string>();
    for (const s of snaps.values()) {
      const ini = s.agent.ini;
      const localIp = ini?.localIp ?? s.linuxbridge?.vxlan.find((d) => d.local)?.local ?? s.openvswitch?.tunnelPorts.find((p) => p.localIp)?.localIp ?? null;
      let modelId: string | null = model.host(s.host) ? s.host : null;
      if (!modelId && localIp) modelId = model.hostOfVtep(localIp) ?? null;
      if (modelId) seen.add(modelId);
      const vtep = (modelId ? model.host(modelId)?.vtep : null) ?? localIp;
      // a host named only by a host-directed cast (no report_state yet) and its VTEP's anonymous record are the same agent
      const anon = vtep ? (model.hostOfVtep(vtep) ?? null) : null;
      idents.push({ name: s.host, modelId, snap: s, type: s.agent.type, vtep, anon, key: identity(modelId, anon, vtep, s.agent.type) });
    }
    for (const id of model.hostIds()) {
      const h = model.host(id)!;
      if (h.name === null || seen.has(h.id) || snaps.has(h.id)) continue;
      const type = h.agentType === 'Open vSwitch agent' ? 'openvswitch' : h.agentType ? 'linuxbridge' : null;
      idents.push({ name: h.name, modelId: h.id, snap: null, type, vtep: h.vtep, anon: null, key: identity(h.id, null, h.vtep, type) });
    }
    idents.sort((a, b) => compareText(a.name, b.name));

    // group subscribers: VTEPs of hosts whose VXLAN devices joined the group
    const groupMembers = new Map<string, Set<string>>();
    const snapVteps = new Set<string>();
    const sig: string[] = [];
    for (const c of idents) {
      let groups = '';
      for (const d of c.snap?.linuxbridge?.vxlan ?? []) {
        if (!d.group || !c.vtep) continue;
        const s = groupMembers.get(d.group) ?? new Set<string>();
        s.add(c.vtep);
        groupMembers.set(d.group, s);
        groups += ` ${d.group}`;
      }
      if (c.snap && c.vtep) snapVteps.add(c.vtep);
      sig.push(`${c.vtep ?? ''}/${c.snap ? 1 : 0}/${c.type ?? ''}${groups}`);
    }
    // 224.0.0.1 is the all-hosts group: every Linux host receives it without joining, and the kernel's
    // VXLAN socket (bound to the UDP port on any address) decapsulates it (RECIPE §5 mixed: the
    // l2pop-off host reaches the l2pop hosts this way). OVS tunnels only accept their local_ip.
    const allHosts = new Set(idents.filter((c) => c.vtep && c.type !== 'openvswitch').map((c) => c.vtep!));
    for (const [g, s] of groupMembers) if (g === ALL_HOSTS_GROUP) for (const v of allHosts) s.add(v);
    const groupSig = sig.join('\n');
    const groupsChanged = groupSig !== this.groupSig;
    this.groupSig = groupSig;
    const env: Env = { model, byVni, vniOf, facts, groupMembers, snapVteps };

    // hosts: reuse, restamp or recompute
    const changedCtxs: HostCtx[] = [];
    const goneCtxs: HostCtx[] = [];
    const ctxs: HostCtx[] = [];
    const hosts: Record<string, HostAnalysis> = {};
    let analyzed = 0;
    const names = new Set<string>();
    for (const id of idents) {
      names.add(id.name);
      const prev = this.hostCache.get(id.name);
      const touched =
        !prev ||
        prev.key !== id.key ||
        (id.modelId !== null && dirtyHosts.has(id.modelId)) ||
        (id.anon !== null && dirtyHosts.has(id.anon)) ||
        (prev.usesGroups && groupsChanged) ||
        someIn(prev.deps, dirtyNets) ||
        someIn(prev.deps, dirtyVnis);
      if (prev && !touched && prev.snap === id.snap) {
        ctxs.push(prev.ctx);
        hosts[id.name] = prev.result;
        continue;
      }
      if (prev && !touched && prev.snap && id.snap && sameSections(prev.snap, id.snap)) {
        // the same node state under a new stamp (a delta without sections): only `snapshot` changes
        const s = id.snap;
        const result: HostAnalysis = { ...prev.result, snapshot: { takenAt: s.takenAt, seq: s.seq, instance: s.instance } };
        prev.ctx.snap = s;
        this.hostCache.set(id.name, { ...prev, snap: s, result });
        ctxs.push(prev.ctx);
        hosts[id.name] = result;
        continue;
      }
      analyzed++;
      const host = id.modelId ? (model.host(id.modelId) ?? null) : null;
      const ctx: HostCtx = { name: id.name, modelId: id.modelId, host, snap: id.snap, type: id.type, vtep: id.vtep, l2pop: null, arpEffective: null, mode: null as unknown as HostMode, actual: new Map() };
      const r = analyzeHost(ctx, id.anon, env);
      this.hostCache.set(id.name, { snap: id.snap, key: id.key, ctx, result: r.result, deps: r.deps, usesGroups: r.usesGroups });
      // the findings read the host's settings and its state per network: when neither changed (e.g. it was
      // analysed again for a network's new entries), only the changed networks' findings are due
      const sameState = prev && (prev.snap === id.snap || (prev.snap && id.snap && sameSections(prev.snap, id.snap))) && !someIn(prev.deps, dirtyVnis);
      if (!sameState || findingInputs(prev.ctx) !== findingInputs(ctx)) {
        if (prev) goneCtxs.push(prev.ctx);
        changedCtxs.push(ctx);
      }
      ctxs.push(ctx);
      hosts[id.name] = r.result;
    }
    for (const [name, e] of this.hostCache) {
      if (names.has(name)) continue;
      this.hostCache.delete(name);
      goneCtxs.push(e.ctx);
    }

    // findings: networks with state on some host or entries in the model, sorted
    const networkSet = new Set<string>();
    for (const c of ctxs) for (const n of c.actual.keys()) networkSet.add(n);
    for (const n of vniOf.keys()) if (facts(n).entries.length > 0) networkSet.add(n);
    const networks = sortStr(networkSet);
    let dirtyFindings: Set<string>;
    if (full) dirtyFindings = networkSet;
    else {
      dirtyFindings = new Set(dirtyNets);
      // a host's findings-relevant state changed: the networks it took part in, before and now
      const vteps = new Set<string>();
      for (const c of [...goneCtxs, ...changedCtxs]) {
        for (const n of c.actual.keys()) dirtyFindings.add(n);
        if (c.vtep !== null) vteps.add(c.vtep);
      }
      if (vteps.size) for (const n of vniOf.keys()) for (const v of facts(n).withPorts) if (vteps.has(v)) dirtyFindings.add(n);
    }
    for (const n of this.findingCache.keys()) if (!networkSet.has(n)) this.findingCache.delete(n);
    const toDo = networks.filter((n) => dirtyFindings.has(n) || !this.findingCache.has(n));
    if (toDo.length) {
      const participants = participantsOf(toDo, ctxs, facts);
      for (const n of toDo) this.findingCache.set(n, networkFindings(n, vniOf.get(n), participants.get(n) ?? []));
    }
    const findings: Finding[] = [];
    for (const n of networks) findings.push(...this.findingCache.get(n)!);
    this.last = { full, hostsAnalyzed: analyzed, hosts: ctxs.length, networksAnalyzed: toDo.length, networks: networks.length };
    return { hosts, findings };
  }
}

/** What the findings read of a host besides its per-network state (`actual`). */
const findingInputs = (c: HostCtx): string =>
  JSON.stringify([c.type, c.vtep, c.snap !== null, c.l2pop, c.arpEffective, c.mode.l2popSource, c.mode.arpResponderSource, c.mode.reported?.lastReportAt ?? null]);

function someIn(xs: Set<string>, ys: Set<string>): boolean {
  if (ys.size === 0) return false;
  const [small, big] = xs.size < ys.size ? [xs, ys] : [ys, xs];
  for (const x of small) if (big.has(x)) return true;
  return false;
}

/** The parts of a snapshot the analysis reads, besides its stamp, are the same objects. */
const sameSections = (a: FullNodeSnapshot, b: FullNodeSnapshot) => a.host === b.host && a.agent === b.agent && a.linuxbridge === b.linuxbridge && a.openvswitch === b.openvswitch;

/**
 * Hosts taking part in each network (state for it in their snapshot, or ports on it), in `ctxs`
 * order. A scan of every host per network for a few networks, one pass over every host otherwise.
 */
function participantsOf(networks: string[], ctxs: HostCtx[], facts: (network: string) => NetFacts): Map<string, HostCtx[]> {
  const out = new Map<string, HostCtx[]>();
  if (networks.length <= 8) {
    for (const n of networks) {
      const withPorts = facts(n).withPorts;
      out.set(n, ctxs.filter((c) => c.actual.has(n) || (c.vtep !== null && withPorts.has(c.vtep))));
    }
    return out;
  }
  const wanted = new Set(networks);
  const byVtep = new Map<string, string[]>();
  for (const n of networks) {
    for (const v of facts(n).withPorts) {
      const l = byVtep.get(v);
      if (l) l.push(n);
      else byVtep.set(v, [n]);
    }
  }
  for (const c of ctxs) {
    const mine = new Set<string>();
    for (const n of c.actual.keys()) if (wanted.has(n)) mine.add(n);
    if (c.vtep !== null) for (const n of byVtep.get(c.vtep) ?? []) mine.add(n);
    for (const n of mine) {
      const l = out.get(n);
      if (l) l.push(c);
      else out.set(n, [c]);
    }
  }
  return out;
}

/** One host's mode, drift and flood lists (fills `c.actual`, `c.mode`, `c.l2pop`, `c.arpEffective`). */
function analyzeHost(c: HostCtx, anon: string | null, env: Env): { result: HostAnalysis; deps: Set<string>; usesGroups: boolean } {
  const { model, byVni, vniOf } = env;
  if (c.type === 'linuxbridge') linuxbridgeActual(c, byVni);
  else if (c.type === 'openvswitch') openvswitchActual(c, byVni);
  c.mode = hostMode(c);
  c.l2pop = c.mode.l2pop === 'on' ? true : c.mode.l2pop === 'off' ? false : null;
  c.arpEffective = c.mode.arpResponder === 'on' ? true : c.mode.arpResponder === 'off' ? false : null;
  const deps = new Set<string>();
  for (const d of c.snap?.linuxbridge?.vxlan ?? []) if (d.vni !== null) deps.add(`#vni:${d.vni}`);
  for (const lv of c.snap?.openvswitch?.brTun?.localVlans ?? []) deps.add(`#vni:${lv.vni}`);
  let usesGroups = false;

  const drift: DriftItem[] = [];
  const foreignMacs: ForeignMac[] = [];
  const flood: Record<string, FloodList> = {};
  if (c.snap) {
    const members = new Set([...(c.modelId ? model.memberships(c.modelId) : []), ...(anon && anon !== c.modelId ? model.memberships(anon) : [])]);
    const networks = new Set<string>([...c.actual.keys()]);
    for (const n of members) {
      deps.add(n);
      if (vniOf.get(n) !== null && vniOf.get(n) !== undefined) networks.add(n);
    }
    for (const network of sortStr(networks)) {
      deps.add(network);
      const vni = vniOf.get(network) ?? c.actual.get(network)?.vni ?? null;
      let a = c.actual.get(network) ?? null;
      const member = members.has(network);
      const f = env.facts(network);
      // OVS reclaims a network's local VLAN with its last port: nothing expected without one
      if (c.type === 'openvswitch' && !a && !(c.vtep !== null && f.withPorts.has(c.vtep))) continue;
      if (!a) {
        if (vni === null) continue;
        const dev = c.type === 'openvswitch' ? 'br-tun (no local VLAN)' : linuxBridgeNames.vxlan(vni);
        a = { network, vni, present: false, dev, floodUnicast: new Map(), floodGroups: new Map(), rows: [], neigh: [], responder: null, device: null, lvid: null, l2popRows: [], notes: [] };
      }
      f.expected ??= networkExpectation(f.entries);
      const exp = expectedFor(f.expected, c.vtep, member);
      const responderWrites = c.type === 'openvswitch' ? c.arpEffective : c.mode.arpResponderSource === 'ini' ? c.arpEffective : (a.device?.proxy ?? c.arpEffective);
      for (const d of driftFor(c, a, exp, c.l2pop, responderWrites, foreignMacs)) drift.push(d);
      const ideal = f.ports.filter((v) => v !== c.vtep);
      if (a.present && a.floodGroups.size > 0) usesGroups = true;
      const fl = floodFor(
        a.present ? a : null,
        ideal,
        (v) => v !== c.vtep && f.floodSet.has(v),
        (g) => {
          const subs = [...(env.groupMembers.get(g) ?? [])].filter((v) => v !== c.vtep);
          // hosts without a snapshot: assume the ideal ones among them run flood-and-learn with this group
          const unknown = ideal.filter((v) => !env.snapVteps.has(v));
          return env.groupMembers.has(g) || unknown.length === 0 ? sortStr([...subs, ...unknown]) : null;
        },
        vni,
      );
      flood[network] = fl;
      c.mode.notes.push(...a.notes);
      if (!a.present && member && [...exp.flood].some((v) => v !== c.vtep)) c.mode.notes.push(`${a.dev}: no state for network ${network} (VNI ${vni})`);
    }
  }
  drift.sort(
    (x, y) =>
      compareText(x.network, y.network) ||
      DRIFT_CLASSES.indexOf(x.class) - DRIFT_CLASSES.indexOf(y.class) ||
      compareText(x.mac ?? '', y.mac ?? '') ||
      compareNatural(x.ip ?? '', y.ip ?? '') ||
      compareNatural(x.vtep ?? '', y.vtep ?? ''),
  );
  foreignMacs.sort((x, y) => compareText(x.network, y.network) || compareText(x.mac, y.mac) || compareNatural(x.vtep ?? '', y.vtep ?? ''));
  const result: HostAnalysis = { mode: c.mode, drift, foreignMacs, flood, snapshot: c.snap ? { takenAt: c.snap.takenAt, seq: c.snap.seq, instance: c.snap.instance } : null };
  return { result, deps, usesGroups };
}

// ---------------------------------------------------------------- findings

/** `a, b: reason; reason. c: other reason`: hosts with the same reasons listed once. */
function groupReasons(items: { host: string; why: string[] }[]): string {
  const byText = new Map<string, string[]>();
  for (const i of items) {
    const text = i.why.join('; ');
    byText.set(text, [...(byText.get(text) ?? []), i.host]);
  }
  return [...byText].map(([text, hosts]) => `${hosts.join(', ')}: ${text}`).join('. ');
}

interface OvsPorts {
  byRemote: Map<string, OvsTunnelPort>;
  listen: number[];
}

/** An OVS host's VXLAN tunnel ports by remote IP, and the UDP ports it listens on (one per distinct `dst_port`); memoised per tunnel port list. */
const ovsPortsCache = new WeakMap<object, OvsPorts>();
const NO_PORTS: OvsTunnelPort[] = [];
function ovsPortsOf(c: HostCtx): OvsPorts {
  const list = c.snap?.openvswitch?.tunnelPorts ?? NO_PORTS;
  let o = ovsPortsCache.get(list);
  if (!o) {
    const ps = list.filter((p) => p.type === 'vxlan');
    o = { byRemote: new Map(ps.map((p) => [p.remoteIp, p])), listen: [...new Set(ps.map(tunnelDstPort).filter((p): p is number => p !== null))].sort((x, y) => x - y) };
    ovsPortsCache.set(list, o);
  }
  return o;
}

/**
 * The cross-host findings of one network.
 * @param participants hosts taking part in the network (state for it in their snapshot, or ports on it), sorted by name
 */
function networkFindings(network: string, vniKnown: number | null | undefined, participants: HostCtx[]): Finding[] {
  const findings: Finding[] = [];
  {
    const vni = vniKnown ?? participants.find((c) => c.actual.has(network))?.actual.get(network)!.vni ?? null;

    // half_switched_vxlan (Linux bridge, RECIPE gotcha 12)
    const half: { host: string; why: string[]; evidence: Evidence[] }[] = [];
    for (const c of participants) {
      const a = c.actual.get(network);
      const d = a?.device;
      if (!a || !d || c.type !== 'linuxbridge') continue;
      const why: string[] = [];
      const evidence: Evidence[] = [ev(c.name, 'linuxbridge.vxlan', vxlanText(d))];
      const groupRows = [...a.floodGroups.keys()];
      if (groupRows.length && (a.l2popRows.length > 0 || c.l2pop === true)) {
        why.push(
          a.l2popRows.length
            ? `${d.name} still floods to multicast ${groupRows.join(', ')} and also holds ${a.floodUnicast.size} l2pop flood entr${a.floodUnicast.size === 1 ? 'y' : 'ies'}: BUM leaves ${1 + a.floodUnicast.size} times`
            : `l2_population is on but ${d.name} still has multicast group ${groupRows.join(', ')}`,
        );
        // the l2pop flood entries next to the group prove it (unicast rows add nothing)
        evidence.push(...[...a.floodUnicast.values()].slice(0, 8).map(render));
      }
      if (a.neigh.length > 0 && !d.proxy) {
        why.push(`${a.neigh.length} ARP responder entr${a.neigh.length === 1 ? 'y' : 'ies'} on ${d.name} without "proxy": the kernel never answers from them, ARP still crosses the tunnel`);
        evidence.push(...a.neigh.slice(0, 4).map((n) => render(n.ev)));
      }
      if (c.l2pop === false && !d.group && !d.remote) {
        why.push(`l2_population is off but ${d.name} has no multicast group: BUM goes only to the ${a.floodUnicast.size} leftover flood entr${a.floodUnicast.size === 1 ? 'y' : 'ies'}, which nobody maintains`);
      }
      if (d.proxy && c.arpEffective === false && c.mode.arpResponderSource !== 'vxlan_proxy') {
        why.push(`${d.name} has "proxy" but the agent's ARP responder is off: the kernel consumes ARP requests and answers only from leftover entries`);
      }
      if (why.length) half.push({ host: c.name, why, evidence });
    }
    if (half.length) {
      findings.push({
        kind: 'half_switched_vxlan',
        network,
        vni,
        hosts: half.map((h) => h.host),
        detail: `${groupReasons(half)}. The agent's ini was switched without recreating ${vni === null ? 'the VXLAN device' : linuxBridgeNames.vxlan(vni)} (ensure_vxlan never changes an existing device): stop the agent, delete it, start the agent (RECIPE gotcha 12).`,
        evidence: half.flatMap((h) => h.evidence),
      });
    }

    // mixed_arp_responder (RECIPE §5 mixed, gotcha 13): what the data plane does on each host
    const arpState = participants
      .map((c) => {
        const a = c.actual.get(network);
        let on: boolean | null = a?.responder ?? null;
        let e: Evidence | null = null;
        if (a?.device) e = ev(c.name, 'linuxbridge.vxlan', vxlanText(a.device));
        else if (a && c.type === 'openvswitch') e = ev(c.name, 'openvswitch.brTun', `table=2 arp,dl_dst=ff:ff:ff:ff:ff:ff -> resubmit(,21): ${a.responder ? 'present' : 'absent'}`);
        if (on === null && c.arpEffective !== null) {
          on = c.arpEffective;
          e = c.mode.arpResponderSource === 'report_state' ? { host: c.name, source: 'report_state', file: null, text: `arp_responder_enabled=${on}` } : ev(c.name, 'agent.ini', `arp_responder = ${on}`);
        }
        return { c, on, e };
      })
      .filter((x) => x.on !== null);
    const arpOn = arpState.filter((x) => x.on);
    const arpOff = arpState.filter((x) => !x.on);
    if (arpOn.length && arpOff.length) {
      const lbOn = arpOn.filter((x) => x.c.type === 'linuxbridge').map((x) => x.c.name);
      findings.push({
        kind: 'mixed_arp_responder',
        network,
        vni,
        hosts: sortStr(arpState.map((x) => x.c.name)),
        detail:
          `ARP responder on: ${arpOn.map((x) => x.c.name).join(', ')}; off: ${arpOff.map((x) => x.c.name).join(', ')}. ` +
          (lbOn.length
            ? `The vxlan "proxy" on ${lbOn.join(', ')} consumes every ARP packet sent into the device, replies included: ARP replies from their VMs never leave, so ${arpOff.map((x) => x.c.name).join(', ')} cannot resolve them (RECIPE §5 mixed, gotcha 13). `
            : '') +
          'Turn arp_responder on for every host of the network or for none.',
        evidence: arpState.map((x) => x.e).filter((e): e is Evidence => e !== null),
      });
    }

    // mixed_l2pop
    const l2 = participants.filter((c) => c.l2pop !== null);
    const l2on = l2.filter((c) => c.l2pop);
    const l2off = l2.filter((c) => !c.l2pop);
    if (l2on.length && l2off.length) {
      const groups = sortStr(l2off.flatMap((c) => [...(c.actual.get(network)?.floodGroups.keys() ?? [])]));
      findings.push({
        kind: 'mixed_l2pop',
        network,
        vni,
        hosts: sortStr(l2.map((c) => c.name)),
        detail:
          `l2_population on: ${l2on.map((c) => c.name).join(', ')}; off: ${l2off.map((c) => c.name).join(', ')}. ` +
          `The l2pop hosts replicate BUM to the others by unicast; the others flood${groups.length ? ` to multicast ${groups.join(', ')}` : ''} and learn, and reach the l2pop hosts only if those receive that multicast group` +
          `${groups.includes('224.0.0.1') ? ' (224.0.0.1 is all-hosts: every host receives it)' : ''}.`,
        evidence: l2.map((c) =>
          c.mode.l2popSource === 'report_state'
            ? { host: c.name, source: 'report_state' as const, file: null, text: `l2_population=${c.l2pop}${c.mode.reported?.lastReportAt ? ` (report_state ${c.mode.reported.lastReportAt})` : ''}` }
            : c.mode.l2popSource === 'ini'
              ? ev(c.name, 'agent.ini', `l2_population = ${c.l2pop}`)
              : { host: c.name, source: 'model' as const, file: null, text: `l2_population ${c.l2pop ? 'on' : 'off'} (inferred from the kernel)` },
        ),
      });
    }

    // udp_port_mismatch: the sender's destination port is not one the receiver listens on
    const ends = participants
      .filter((c) => c.snap)
      .map((c) => {
        const a = c.actual.get(network);
        const d = a?.device;
        if (c.type === 'linuxbridge' && d && d.dstport !== null) {
          const e: Evidence = ev(c.name, 'linuxbridge.vxlan', vxlanText(d));
          return { c, listen: [d.dstport], lbPort: d.dstport, e };
        }
        if (c.type === 'openvswitch') {
          const o = ovsPortsOf(c);
          return o.listen.length ? { c, listen: o.listen, lbPort: null, e: null } : null;
        }
        return null;
      })
      .filter((x): x is NonNullable<typeof x> => x !== null);
    const lbPorts = new Set(ends.map((x) => x.lbPort));
    const pairs: { from: HostCtx; to: HostCtx; send: number; listen: number[]; e: Evidence[] }[] = [];
    // all Linux bridge on one port: nothing to compare pair by pair
    if (!(lbPorts.size === 1 && !lbPorts.has(null))) {
      for (const from of ends) {
        for (const to of ends) {
          if (from === to) continue;
          let send: number | null = from.lbPort;
          let e: Evidence | null = from.e;
          if (from.c.type === 'openvswitch' && to.c.vtep) {
            const p = ovsPortsOf(from.c).byRemote.get(to.c.vtep);
            send = p ? tunnelDstPort(p) : null;
            e = p ? ev(from.c.name, 'openvswitch.tunnelPorts', tunnelText(p)) : null;
          }
          if (send === null || to.listen.includes(send)) continue;
          pairs.push({ from: from.c, to: to.c, send, listen: to.listen, e: [e, to.e].filter((x): x is Evidence => x !== null) });
        }
      }
    }
    if (pairs.length) {
      const MAX = 20;
      const shown = pairs.slice(0, MAX).map((p) => `${p.from.name} sends VXLAN to ${p.to.name} (${p.to.vtep}) on UDP ${p.send}, ${p.to.name} listens on ${p.listen.join(', ')}`);
      findings.push({
        kind: 'udp_port_mismatch',
        network,
        vni,
        hosts: sortStr(pairs.flatMap((p) => [p.from.name, p.to.name])),
        detail: `${shown.join('; ')}${pairs.length > MAX ? `; and ${pairs.length - MAX} more pairs` : ''}: those frames are dropped. Set the same port everywhere (Linux bridge [vxlan] udp_dstport, default 8472 in the kernel; OVS [agent] vxlan_udp_port, default 4789) and recreate the devices / tunnel ports.`,
        evidence: pairs
          .slice(0, MAX)
          .flatMap((p) => p.e)
          .filter((e, i, all) => all.findIndex((x) => x.host === e.host && x.text === e.text) === i),
      });
    }
  }
  return findings;
}
