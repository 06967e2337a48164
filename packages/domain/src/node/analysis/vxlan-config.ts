/**
 * VXLAN device configuration: whether a Linux bridge `vxlan-<VNI>` device holds the settings the
 * host's agent gives a device it creates. The agent never changes an existing device, so a device
 * made by hand, by another tool, or before the ini changed keeps its settings while the agent
 * fills its FDB and neighbours as usual: the FDB analysis sees no drift, yet the device may be
 * unable to send (a `local` the host does not hold) or send where nobody listens (another
 * `dstport`).
 *
 * Mirrors neutron stable/zed, neutron/plugins/ml2/drivers/linuxbridge/agent/linuxbridge_neutron_agent.py
 * `LinuxBridgeManager.ensure_vxlan` (only when the device does not exist): `dev` = the interface
 * holding `[vxlan] local_ip` (`get_local_ip_device`), `dstport` = `[vxlan] udp_dstport` (unset: none
 * is passed and the kernel uses its default 8472, `ip_lib.add_vxlan` adds `vxlan_port` only when
 * set), `group` = `get_vxlan_group(VNI)` in multicast mode only (`vxlan_mode == VXLAN_MCAST`, i.e.
 * `l2_population` off: `vxlan_ucast_supported` returns False without it), `local` = `local_ip` and
 * `proxy` = `arp_responder` only with `l2_population`. The host reports the same `local_ip` as
 * `tunneling_ip` in report_state (`get_agent_configurations`).
 *
 * Not compared: `dev` (the snapshot does not list the host's addresses, so the interface holding
 * the VTEP is unknown), `ttl` / `tos` (not captured), `proxy` and a group present or missing for
 * the host's l2pop mode (the `half_switched_vxlan` finding, findings.ts).
 */
import type { HostView } from '../../model';
import { type AgentIni, vxlanGroupFor } from '../ini';
import type { VxlanDevice } from '../linuxbridge';

/** A device setting this module compares. */
export type VxlanConfigField = 'local' | 'dstport' | 'group';

/** What the host's configuration says a device it creates should hold; null parts are unknown (not compared). */
export interface VxlanHostConfig {
  /** The host's VTEP: report_state `tunneling_ip` (the running agent's `local_ip`), else the ini's `[vxlan] local_ip`. */
  vtep: { ip: string; source: 'report_state' | 'ini' } | null;
  /** The agent runs l2pop (the analysis' host mode), null when unknown. */
  l2pop: boolean | null;
  /** UDP destination port from the ini: `udp_dstport`, else the kernel default 8472 (`configured` false); null without an ini. */
  udpPort: { port: number; configured: boolean } | null;
  /** `[vxlan] vxlan_group` and `multicast_ranges` from the ini; null without an ini. */
  groups: { vxlanGroup: string | null; multicastRanges: string[] } | null;
}

/** One setting of one device that differs from what the host's configuration gives it. */
export interface VxlanMismatch {
  /** Device name, e.g. `vxlan-649`. */
  device: string;
  field: VxlanConfigField;
  /** What the device holds (null: not set). */
  held: string | null;
  /** What the configuration gives (null: not set). */
  expected: string | null;
  /** Where `expected` comes from, e.g. `report_state tunneling_ip`, `ini udp_dstport`. */
  basis: string;
  /** `error`: traffic of the network breaks on this host (`local`, `dstport`, `group`); `warning`: it may still work. */
  severity: 'error' | 'warning';
  /** The effect on traffic, one sentence. */
  effect: string;
}

/**
 * The configuration a host's devices are compared with.
 * @param host the host's model record (report_state), null when none; its `vtep` counts only once it reported
 * @param ini the agent's ini from the node snapshot, null when unreadable
 * @param l2pop whether the agent runs l2pop (the analysis' host mode), null when unknown
 */
export function vxlanHostConfig(host: HostView | null, ini: AgentIni | null, l2pop: boolean | null): VxlanHostConfig {
  const reported = host && host.lastReportAt !== null && host.vtep ? host.vtep : null;
  const lb = ini?.type === 'linuxbridge' ? ini : null;
  return {
    vtep: reported ? { ip: reported, source: 'report_state' } : lb?.localIp ? { ip: lb.localIp, source: 'ini' } : null,
    l2pop,
    udpPort: lb ? { port: lb.udpPort, configured: lb.udpPortConfigured !== null } : null,
    groups: lb ? { vxlanGroup: lb.vxlanGroup, multicastRanges: lb.multicastRanges } : null,
  };
}

/**
 * The settings of `d` that differ from what the host's configuration gives a device it creates
 * (see the module comment); empty when they agree or nothing is known. Rules:
 * - `local` set and not the VTEP: error (the kernel sends from that address; one the host does
 *   not hold cannot send at all, TX errors). `local` unset while l2pop runs and no group is set: a
 *   warning (the kernel picks the source by route).
 * - `dstport` not the ini's port (or the kernel default 8472): error (peers listen elsewhere).
 * - l2pop off and a `group` other than `get_vxlan_group(VNI)` (ini.ts `vxlanGroupFor`): error (BUM goes to a group the
 *   other hosts did not join).
 * Pure; skips collect-metadata devices and devices without a VNI.
 */
export function vxlanDeviceMismatches(d: VxlanDevice, cfg: VxlanHostConfig): VxlanMismatch[] {
  if (d.external || d.vni === null) return [];
  const out: VxlanMismatch[] = [];
  const v = cfg.vtep;
  if (v) {
    const basis = v.source === 'report_state' ? 'report_state tunneling_ip' : 'ini local_ip';
    if (d.local !== null && d.local !== v.ip) {
      out.push({
        device: d.name,
        field: 'local',
        held: d.local,
        expected: v.ip,
        basis,
        severity: 'error',
        effect: `frames leave from ${d.local}, not from the VTEP l2pop announces: from an address the host does not hold the kernel cannot send at all (TX errors), so the host's VMs reach no other host on this network`,
      });
    } else if (d.local === null && cfg.l2pop === true && !d.group) {
      out.push({
        device: d.name,
        field: 'local',
        held: null,
        expected: v.ip,
        basis,
        severity: 'warning',
        effect: 'no source address: the kernel picks it by route, which is the VTEP only while the route to the other VTEPs leaves from it',
      });
    }
  }
  if (cfg.udpPort && d.dstport !== null && d.dstport !== cfg.udpPort.port) {
    out.push({
      device: d.name,
      field: 'dstport',
      held: String(d.dstport),
      expected: String(cfg.udpPort.port),
      basis: cfg.udpPort.configured ? 'ini udp_dstport' : 'ini udp_dstport unset: kernel default',
      severity: 'error',
      effect: `frames go to UDP ${d.dstport} and the device listens there, while the hosts configured alike use ${cfg.udpPort.port}`,
    });
  }
  if (cfg.l2pop === false && cfg.groups && d.group) {
    const expected = vxlanGroupFor(cfg.groups, d.vni);
    if (expected !== null && expected !== d.group) {
      out.push({
        device: d.name,
        field: 'group',
        held: d.group,
        expected,
        basis: 'ini vxlan_group / multicast_ranges',
        severity: 'error',
        effect: `BUM goes to ${d.group} while the hosts configured alike join ${expected}: ARP and the first frames to each MAC do not reach them`,
      });
    }
  }
  return out;
}

/** A mismatch as an evidence line: `vxlan-649 local 10.0.20.99, expected 10.0.20.12 (report_state tunneling_ip): error`. */
export function vxlanMismatchText(m: VxlanMismatch): string {
  return `${m.device} ${m.field} ${m.held ?? '(unset)'}, expected ${m.expected ?? '(unset)'} (${m.basis}): ${m.severity}`;
}
