/**
 * The Linux bridge agent's unicast probe device. On every start with `l2_population = true`, the
 * agent checks that the kernel takes `bridge fdb append` by creating a throw-away VXLAN device,
 * appending a flood entry to 1.1.1.1 on it and deleting it again (~56 ms on the lab). A snapshot
 * taken in that window holds a `vxlan-1` that belongs to no network; analysed as held state it
 * looked like a half-switched network "vni:1". The probe is no network's state: it is recognised by
 * its exact shape and left out of the analysis (with a note on the host).
 *
 * Source: neutron stable/zed, neutron/plugins/ml2/drivers/linuxbridge/agent/linuxbridge_neutron_agent.py
 * `LinuxBridgeManager.vxlan_ucast_supported` (called by `check_vxlan_support` from `__init__`, with
 * `vxlan_mode` still `VXLAN_NONE`), which creates the device with `ensure_vxlan(seg_id)` and runs
 * `bridge_lib.FdbInterface.append('00:00:00:00:00:00', test_iface, '1.1.1.1')`, then
 * `delete_interface(test_iface)`.
 */
import { FLOOD_MAC } from '../l2pop';
import { linuxBridgeNames } from './kernel';
import type { VxlanDevice } from './linuxbridge';
import type { FullNodeSnapshot, LinuxbridgeSection } from './snapshot';

/** The dst of the flood entry the probe appends (`vxlan_ucast_supported`: `FdbInterface.append(FLOODING_ENTRY[0], test_iface, '1.1.1.1')`). */
export const UCAST_PROBE_DST = '1.1.1.1';

/**
 * Whether `d` is the agent's unicast probe, by the shape `vxlan_ucast_supported` gives it:
 * - name `vxlan-<VNI>` (`get_vxlan_device_name`) and VNI the lowest from 1 that no other device on
 *   the host uses by name or by VNI (the loop over `range(1, MAX_VXLAN_VNI + 1)` skips
 *   `device_exists(vxlan-<n>)` and `vxlan_in_use(n)`): VNI 1 unless `vxlan-1` exists;
 * - no multicast `group` (`vxlan_mode` is `VXLAN_NONE` while probing) and no `remote`;
 * - enslaved to no bridge (`ensure_vxlan` alone, never `ensure_bridge`);
 * - no network the model knows has this VNI (`vniKnown` false);
 * - its rows with a dst (`bridge fdb`, `self`) are at most the probe's flood entry to
 *   {@link UCAST_PROBE_DST}, and it has no PERMANENT neighbour (the agent writes none).
 * Its lifetime is not in one snapshot: a device of this shape that stays (e.g. an agent killed
 * mid-probe) is still left out; the host's note says so.
 * @param lb the host's Linux bridge section (the device's siblings, FDB rows and neighbours)
 * @param vniKnown whether the model knows a network with this VNI
 */
export function isUcastProbe(d: VxlanDevice, lb: Pick<LinuxbridgeSection, 'vxlan' | 'fdb' | 'neigh'>, vniKnown: (vni: number) => boolean): boolean {
  const vni = d.vni;
  if (vni === null || vni < 1 || d.name !== linuxBridgeNames.vxlan(vni)) return false;
  if (d.group || d.remote || d.master || d.external || vniKnown(vni)) return false;
  const others = lb.vxlan.filter((x) => x !== d);
  const taken = new Set<number | string>([...others.map((x) => x.name), ...others.flatMap((x) => (x.vni === null ? [] : [x.vni]))]);
  for (let n = 1; n < vni; n++) if (!taken.has(n) && !taken.has(linuxBridgeNames.vxlan(n))) return false;
  for (const r of lb.fdb) if (r.dev === d.name && r.dst !== null && !(r.mac === FLOOD_MAC && r.dst === UCAST_PROBE_DST)) return false;
  return !lb.neigh.some((n) => n.dev === d.name && n.state.includes('PERMANENT'));
}

/** A snapshot without the agent's unicast probe, and the probe left out (null: none, the snapshot returned as is). */
export interface ProbeFree {
  snapshot: FullNodeSnapshot;
  probe: VxlanDevice | null;
}

/**
 * Leave the agent's unicast probe ({@link isUcastProbe}) out of a snapshot: the device, its FDB
 * rows and neighbours. Returns the same snapshot object when it holds no probe (callers compare
 * snapshots by identity). Pure; never throws.
 * @param vniKnown whether the model knows a network with this VNI
 */
export function withoutUcastProbe(s: FullNodeSnapshot, vniKnown: (vni: number) => boolean): ProbeFree {
  const lb = s.linuxbridge;
  const probe = lb?.vxlan.find((d) => isUcastProbe(d, lb, vniKnown)) ?? null;
  if (!lb || !probe) return { snapshot: s, probe: null };
  return {
    snapshot: {
      ...s,
      linuxbridge: {
        ...lb,
        vxlan: lb.vxlan.filter((d) => d !== probe),
        fdb: lb.fdb.filter((r) => r.dev !== probe.name),
        neigh: lb.neigh.filter((n) => n.dev !== probe.name),
      },
    },
    probe,
  };
}

/** The host note saying the probe was left out. */
export function ucastProbeNote(probe: VxlanDevice): string {
  return `${probe.name}: the Linux bridge agent's unicast probe (vxlan_ucast_supported: created at agent start, deleted ~50 ms later, VNI ${probe.vni} of no network), not analysed`;
}
