/**
 * Flood lists: where a host replicates a BUM frame of a network, against where it should.
 *
 * Flood list of (H, N): `actual` (held) = where H replicates a BUM frame of N: unicast VTEPs of its flood
 * entries / table 22 outputs, and the multicast group (its `group`, or a `00:00:00:00:00:00 dst <group>`
 * row); `ideal` (told) = every other VTEP with ports on N; `reach` = the VTEPs actually receiving a copy (a
 * group reaches every host whose VXLAN device joined that group, any VNI; 224.0.0.1 is all-hosts and
 * reaches every Linux bridge host; ideal hosts without a snapshot are assumed to receive it); `missing` = ideal VTEPs not
 * reached; `excess` = unicast recipients outside ideal, VTEPs reached through a group outside ideal,
 * and a group whose ideal receivers all get a unicast copy anyway (half-switched: BUM leaves 1 + N
 * times); `copies` = frames sent per BUM frame.
 */
import { sortNatural, sortStr } from '../util';
import { type Evidence, render } from './evidence';
import type { Held } from './held-state';

/** IPv4 all-hosts multicast group (RFC 1112), the Linux bridge agent's default `vxlan_group`. */
export const ALL_HOSTS_GROUP = '224.0.0.1';

/** BUM replication of one host on one network. */
export interface FloodList {
  vni: number | null;
  /** Held: recipients as configured, unicast VTEPs and multicast groups, sorted (JSON name kept: persisted, printed). */
  actual: string[];
  /** Told: the other VTEPs with ports on the network, sorted (JSON name kept). */
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

/**
 * The flood list of one host on one network.
 * @param a what the host holds on the network; null when it holds nothing (no device / local VLAN)
 * @param ideal other VTEPs with ports on the network, sorted
 * @param isIdeal membership in `ideal` (without building a set per host and network)
 * @param subscribers the VTEPs a multicast group reaches (null when unknown: the group is assumed to reach the ideal ones)
 * @param vni the network's VNI, as reported in the list
 */
export function floodFor(
  a: Held | null,
  ideal: string[],
  isIdeal: (vtep: string) => boolean,
  subscribers: (group: string) => string[] | null,
  vni: number | null,
): FloodList {
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
