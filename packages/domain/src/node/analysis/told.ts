/**
 * Told FDB: what l2pop announced on one network, as each host was told it (and should hold it).
 *
 * Told state of host H on network N (mirrors neutron/plugins/ml2/drivers/l2pop/mech_driver.py
 * `_create_agent_fdb` and the agents' l2pop callbacks, see model.ts): for every other VTEP V with
 * ports on N, a flood entry to V (when V's flood entry is announced) and one unicast entry per MAC of
 * V's ports; with the ARP responder, one neighbour entry (Linux bridge: `ip neigh` PERMANENT on
 * `vxlan-<VNI>`; OVS: br-tun table 21, IPv4 only, ovs_neutron_agent.py `setup_entry_for_arp_reply`)
 * per [mac, ip]. Own VTEP skipped (`agent_ip == local_ip`). Only agents that run l2pop apply it
 * (`l2_population = true`: the Linux bridge agent and the OVS agent create no l2pop consumer otherwise).
 * Duplicate casts are idempotent. Linux bridge keeps applying a network's casts after its last port
 * left (network_map kept); OVS reclaims the local VLAN with the last port (`reclaim_local_vlan`), so
 * an OVS host without ports and without a local VLAN for N is told nothing on N.
 */
import type { VtepEntries } from '../../model';

/**
 * What l2pop announced on one network, from every VTEP; computed once per network and shared by
 * all hosts, each skipping its own VTEP (`own`), as the agents do (`agent_ip == local_ip`).
 * Recomputed from the model's entries rather than `toldFdb` so that the own VTEP is skipped even
 * when the host's report_state has not arrived yet (the model then knows its name, not its VTEP).
 */
export interface Told {
  /** VTEPs whose flood entry is announced. */
  flood: Set<string>;
  /** MAC -> VTEPs announcing it (`stamp`: scratch mark of the host and network being compared). */
  macs: Map<string, { vteps: Set<string>; stamp: number }>;
  /** IP -> [MAC, VTEP] announcing it (ARP responder data), in VTEP order (`stamp`: as for `macs`). */
  neigh: Map<string, { list: { mac: string; vtep: string }[]; stamp: number }>;
  /** MAC -> first IP (to label rows). */
  ipOfMac: Map<string, string>;
  /** VTEP -> MACs announced by it alone (what a host skipping that VTEP is not told). */
  macsOnlyBy: Map<string, number>;
  /** VTEP -> IPs announced by it alone. */
  neighOnlyBy: Map<string, number>;
  /** The host's own VTEP, skipped. */
  own: string | null;
}

/** What l2pop told on one network, from its VTEP entries (every VTEP; hosts skip their own through {@link toldTo}). */
export function networkTold(vteps: VtepEntries[]): Told {
  const e: Told = { flood: new Set(), macs: new Map(), neigh: new Map(), ipOfMac: new Map(), macsOnlyBy: new Map(), neighOnlyBy: new Map(), own: null };
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

const NOTHING_TOLD = { flood: new Set<string>(), macs: new Map(), neigh: new Map(), macsOnlyBy: new Map(), neighOnlyBy: new Map() } as const;

/** What one host was told: the network's, own VTEP skipped; nothing (labels only) for a non-member. */
export function toldTo(net: Told, ownVtep: string | null, member: boolean): Told {
  if (!member) return { ...NOTHING_TOLD, ipOfMac: net.ipOfMac, own: ownVtep };
  return { ...net, own: ownVtep };
}

/**
 * Scratch marks: a fresh value per (host, network) comparison, kept a small integer. A stale equal
 * mark after wrap-around only sends a comparison to the exact path, never changes its result.
 */
let stampSeq = 0;
export const nextStamp = () => (stampSeq = (stampSeq + 1) & 0x3fffffff);

/** The MAC l2pop announced for `ip` from a VTEP other than the host's own, if any. */
export function toldNeigh(told: Told, ip: string): string | undefined {
  const e = told.neigh.get(ip);
  return e === undefined ? undefined : firstNotOwn(e.list, told.own);
}

/** The MAC of the first announcer in `l` that is not the host's own VTEP. */
export function firstNotOwn(l: { mac: string; vtep: string }[], own: string | null): string | undefined {
  // nearly always one announcer, not the host itself
  if (l[0]!.vtep !== own) return l[0]!.mac;
  for (let i = 1; i < l.length; i++) if (l[i]!.vtep !== own) return l[i]!.mac;
  return undefined;
}
