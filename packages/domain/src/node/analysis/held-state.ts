/**
 * Held state: what a host's data plane holds per network, read from its snapshot in agent-neutral
 * terms ({@link Held}): Linux bridge `vxlan-<VNI>` devices with their `bridge fdb` rows and
 * PERMANENT neighbours; OVS br-tun tables 3/4 (GRE tunnel key / VXLAN VNI -> local VLAN), 20 (unicast),
 * 21 (ARP responder) and 22 (flood), output ports resolved to VTEPs through the tunnel ports.
 *
 * Segmentation ids are per tunnel type (Neutron allocates `ml2_type_vxlan vni_ranges` and
 * `ml2_type_gre tunnel_id_ranges` separately, so VXLAN VNI 5 and GRE key 5 are two networks): a
 * network the model does not know is named {@link segmentId} (`vni:<n>` for VXLAN, `gre:<n>` for GRE).
 */
import { FLOOD_MAC } from '../../l2pop';
import { isMulticastIp } from '../kernel';
import type { VxlanDevice } from '../linuxbridge';
import type { OvsTunnelPort } from '../ovs';
import type { FullNodeSnapshot } from '../snapshot';
import { isMulticastCached } from '../util';
import type { EvRef } from './evidence';

/**
 * The id of a segment the model does not know, and the key of {@link openvswitchHeld}'s `bySegment`:
 * `vni:<n>` for VXLAN (as before GRE was read), `<type>:<n>` for every other tunnel type (`gre:<n>`).
 * @param tunnelType `vxlan`, `gre`, `geneve` (Neutron's `network_type`)
 * @param id the segmentation id (VNI / GRE key)
 */
export function segmentId(tunnelType: string, id: number): string {
  return tunnelType === 'vxlan' ? `vni:${id}` : `${tunnelType}:${id}`;
}

/** One unicast row: a `bridge fdb` row with a unicast dst, or a br-tun table 20 flow (VTEP null: output port unresolved). */
export interface Row {
  mac: string;
  vtep: string | null;
  /** Learned from traffic (not permanent / static / extern_learn; OVS: a table 10 `learn()` flow), else written by l2pop. */
  learned: boolean;
  ev: EvRef;
}

/** One ARP responder entry: a PERMANENT neighbour on `vxlan-<VNI>` (Linux bridge) or a br-tun table 21 flow (OVS). */
export interface NeighEntry {
  ip: string;
  mac: string | null;
  ev: EvRef;
}

/** What one host holds for one network, in agent-neutral terms. */
export interface Held {
  network: string;
  /** Segmentation id: the VNI (VXLAN) or GRE key. */
  vni: number;
  /** `vxlan` (Linux bridge; br-tun table 4), `gre` (br-tun table 3), `geneve` (table 6). */
  tunnelType: string;
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

/** What the held-state readers need of a host: its name, its snapshot, and where to put what it holds per network. */
export interface HeldInput {
  name: string;
  snap: FullNodeSnapshot | null;
  /** Network id (or `vni:<n>`) -> held state; filled by the readers (the first device / local VLAN of a network wins). */
  held: Map<string, Held>;
}

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

/**
 * Linux bridge: per `vxlan-<VNI>` device (network from `byVni`, else `vni:<n>`), its own (`self`)
 * FDB rows with a dst, as the agent writes them (linuxbridge_neutron_agent.py `add_fdb_entries`:
 * `bridge fdb append 00:00:00:00:00:00 ... dst <vtep>` for flooding, `replace <mac> ... dst <vtep>`
 * for unicast), the device's multicast `group` / unicast `remote`, and its PERMANENT neighbours.
 * Fills `c.held`; the first device of a network wins.
 */
export function linuxbridgeHeld(c: HeldInput, byVni: Map<number, string>): void {
  const lb = c.snap?.linuxbridge;
  if (!lb) return;
  const h = c.name;
  const fdbByDev = groupBy(lb.fdb, (r) => r.dev);
  const neighByDev = groupBy(lb.neigh, (n) => n.dev);
  for (const d of lb.vxlan) {
    if (d.vni === null) continue;
    const network = byVni.get(d.vni) ?? `vni:${d.vni}`;
    const a: Held = {
      network,
      vni: d.vni,
      tunnelType: 'vxlan',
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
    if (!c.held.has(network)) c.held.set(network, a);
  }
}

/**
 * Open vSwitch: per local VLAN of br-tun (table 4: VXLAN VNI -> lvid; table 3: GRE key -> lvid;
 * table 6: Geneve), the flood outputs (table 22), unicast flows (table 20) and ARP responder flows
 * (table 21), output ports resolved to VTEPs through the tunnel ports' ofports (ovs_neutron_agent.py
 * `add_fdb_flow`, `setup_entry_for_arp_reply`; the agent's flood and unicast outputs of a network
 * are its tunnel ports of the network's type, `<type>-<hex of remote ip>`, `get_tunnel_name`).
 * Fills `c.held`; the first local VLAN of a network wins.
 * @param byVni VXLAN VNI -> network id
 * @param bySegment {@link segmentId} -> network id for the other tunnel types (`gre:<key>`)
 */
export function openvswitchHeld(c: HeldInput, byVni: Map<number, string>, bySegment: Map<string, string> = new Map()): void {
  const ovs = c.snap?.openvswitch;
  if (!ovs) return;
  const h = c.name;
  const bt = ovs.brTun;
  if (!bt) return;
  const byOfport = new Map<number, OvsTunnelPort>();
  for (const p of ovs.tunnelPorts) if (p.ofport !== null && p.ofport >= 0) byOfport.set(p.ofport, p);
  const portsOfType = groupBy(ovs.tunnelPorts, (p) => p.type);
  const resolve = (ofport: number | null): string | null => (ofport === null ? null : (byOfport.get(ofport)?.remoteIp ?? null));
  const floodByLvid = groupBy(bt.flood, (f) => f.lvid);
  const unicastByLvid = groupBy(bt.unicast, (u) => u.lvid);
  const responderByLvid = groupBy(bt.responder, (r) => r.lvid);
  for (const lv of bt.localVlans) {
    const seg = segmentId(lv.tunnelType, lv.vni);
    const network = (lv.tunnelType === 'vxlan' ? byVni.get(lv.vni) : bySegment.get(seg)) ?? seg;
    const typePorts = portsOfType.get(lv.tunnelType) ?? [];
    const dev = `br-tun lvid ${lv.lvid}`;
    const a: Held = {
      network,
      vni: lv.vni,
      tunnelType: lv.tunnelType,
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
    const tableIn = `table ${lv.tunnelType === 'gre' ? 3 : lv.tunnelType === 'geneve' ? 6 : 4}`;
    for (const f of floodByLvid.get(lv.lvid) ?? []) {
      const e: EvRef = { h, flood: f };
      a.notes.push(...lvidChecks(lv, tableIn, 'table 22 flood', f.vni, f.ofports, byOfport));
      const unresolved = f.ofports.filter((p) => resolve(p) === null);
      // `ovs-vsctl show` gives no ofports: when the flood outputs are exactly the tunnel ports in use
      // (table 0) and there are as many tunnel ports of the network's type, they are those ports as a set
      const setWise =
        unresolved.length > 0 &&
        unresolved.length === f.ofports.length &&
        typePorts.length === f.ofports.length &&
        bt.tunnelOfports.length === f.ofports.length &&
        f.ofports.every((p) => bt.tunnelOfports.includes(p));
      if (setWise) {
        for (const p of typePorts) a.floodUnicast.set(p.remoteIp, e);
        a.notes.push(
          `table 22 ofports ${f.ofports.join(',')} matched as a set to the ${typePorts.length} ${lv.tunnelType.toUpperCase()} tunnel ports (no ofports in the snapshot)`,
        );
      } else {
        for (const p of f.ofports) a.floodUnicast.set(resolve(p) ?? `ofport:${p}`, e);
        if (unresolved.length) a.notes.push(`table 22 ofports without a tunnel port: ${unresolved.join(',')}`);
      }
    }
    for (const u of unicastByLvid.get(lv.lvid) ?? []) {
      const e: EvRef = { h, unicast: u };
      if (!u.learned) a.notes.push(...lvidChecks(lv, tableIn, `table 20 ${u.mac}`, u.vni, u.ofport === null ? [] : [u.ofport], byOfport));
      a.rows.push({ mac: u.mac, vtep: resolve(u.ofport), learned: u.learned, ev: e });
      if (!u.learned) a.l2popRows.push(e);
    }
    for (const r of responderByLvid.get(lv.lvid) ?? []) {
      a.neigh.push({ ip: r.ip, mac: r.mac, ev: { h, responder: r } });
    }
    if (!c.held.has(network)) c.held.set(network, a);
  }
}

/**
 * The lvid <-> segment check of one br-tun flow of local VLAN `lv` (pure): the tunnel id it sets on
 * the way out (table 20 / 22 `set tun_id`) must be the one table 3/4/6 maps to that local VLAN on the
 * way in, and its output ports must be tunnel ports of the network's type (br_tun.py
 * `install_flood_to_tun` / `install_unicast_to_tun` take both from the same `LocalVLANMapping`).
 * @param tableIn `table 3` / `table 4` / `table 6`
 * @param what the flow, for the note (`table 22 flood`, `table 20 <mac>`)
 * @returns one note per disagreement (none when the flow agrees, or its ports are unknown)
 */
export function lvidChecks(
  lv: { tunnelType: string; vni: number; lvid: number },
  tableIn: string,
  what: string,
  tunId: number | null,
  ofports: number[],
  byOfport: Map<number, OvsTunnelPort>,
): string[] {
  const out: string[] = [];
  if (tunId !== null && tunId !== lv.vni)
    out.push(`${what} of lvid ${lv.lvid} sets tun_id ${tunId}, ${tableIn} maps ${lv.tunnelType} ${lv.vni} to lvid ${lv.lvid}`);
  for (const p of ofports) {
    const port = byOfport.get(p);
    if (port && port.type !== lv.tunnelType) out.push(`${what} of lvid ${lv.lvid} (${lv.tunnelType}) outputs to ${port.name}, a ${port.type} port`);
  }
  return out;
}

/** What a host's data plane holds for one network, in agent-neutral terms. */
export interface HeldTunnelState {
  /** Neutron network id, or {@link segmentId} (`vni:<n>`, `gre:<n>`) when the maps do not know the segment. */
  network: string;
  /** Segmentation id (VNI / GRE key). */
  vni: number;
  /** `vxlan`, `gre`, `geneve`. */
  tunnelType: string;
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
 * br-tun tables 3/4/20/21/22 resolved to VTEPs through the tunnel ports): the same reading the drift
 * analysis uses, for other consumers (convergence timing).
 * @param byVni VXLAN VNI -> network id (from the model); unknown VNIs are keyed `vni:<n>`
 * @param bySegment {@link segmentId} -> network id for other tunnel types (`gre:<key>`); unknown ones keyed so
 */
export function heldTunnelState(snap: FullNodeSnapshot, byVni: Map<number, string> = new Map(), bySegment: Map<string, string> = new Map()): HeldTunnelState[] {
  const c = { name: snap.host, snap, held: new Map<string, Held>() };
  if (snap.agent.type === 'openvswitch') openvswitchHeld(c, byVni, bySegment);
  else linuxbridgeHeld(c, byVni);
  return [...c.held.values()].map((a) => ({
    network: a.network,
    vni: a.vni,
    tunnelType: a.tunnelType,
    dev: a.dev,
    floodUnicast: [...a.floodUnicast.keys()],
    floodGroups: [...a.floodGroups.keys()],
    unicast: a.rows.map((r) => ({ mac: r.mac, vtep: r.vtep, learned: r.learned })),
    neigh: a.neigh.map((n) => ({ ip: n.ip, mac: n.mac })),
  }));
}
