/**
 * Host mode: how a host runs l2pop (on / off / unknown, from report_state, the ini, or inferred from
 * the kernel), whether its ARP responder runs, how BUM leaves it (head-end replication, a multicast
 * group, both), its UDP ports and per-network devices, with notes on contradictions (a restart
 * pending, a local_ip that differs from the reported tunneling_ip).
 */
import type { HostView } from '../../model';
import type { AgentIni } from '../ini';
import { tunnelDstPort } from '../ovs';
import type { FullNodeSnapshot } from '../snapshot';
import { compareText, sortStr } from '../util';
import type { Held } from './held-state';

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
  /**
   * How BUM leaves: head-end replication (`unicast`), a `multicast` group, both on one device
   * (`multicast+unicast`: half-switched), `per-device` (the devices differ, each consistent: see
   * `networks[].floodMode`), `none` (no tunnel state), `unknown`.
   */
  floodMode: 'unicast' | 'multicast' | 'multicast+unicast' | 'per-device' | 'none' | 'unknown';
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
    /** `vxlan` (Linux bridge; br-tun table 4) or `gre` (br-tun table 3); absent in analyses stored before GRE was read. */
    tunnelType?: string;
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
    /** How BUM of this network leaves this device: its multicast group, its flood entries, both (half-switched), neither. */
    floodMode: DeviceFloodMode;
  }[];
  ini: Pick<
    AgentIni,
    'l2population' | 'arpResponder' | 'arpResponderEffective' | 'localIp' | 'vxlanGroup' | 'udpPort' | 'udpPortConfigured' | 'distributedRouting'
  > | null;
  reported: { l2population: boolean | null; arpResponder: boolean | null; tunnelingIp: string | null; lastReportAt: string | null } | null;
  notes: string[];
}

/** How BUM of one network leaves one device (a `vxlan-<VNI>` or a br-tun local VLAN). */
export type DeviceFloodMode = 'unicast' | 'multicast' | 'multicast+unicast' | 'none';

/** One device's {@link DeviceFloodMode}: a multicast `group` and/or unicast flood entries (`00:00:00:00:00:00 dst <vtep>`, br-tun table 22). */
export function deviceFloodMode(a: Pick<Held, 'floodGroups' | 'floodUnicast'>): DeviceFloodMode {
  const g = a.floodGroups.size > 0;
  const u = a.floodUnicast.size > 0;
  return g && u ? 'multicast+unicast' : g ? 'multicast' : u ? 'unicast' : 'none';
}

/**
 * One device's summary: `flood-and-learn (multicast group G)`, `l2pop (head-end replication)`,
 * `half-switched: multicast group G and N l2pop flood entries`, or, with l2_population off, its
 * unicast flood entries as leftovers nobody maintains (linuxbridge_neutron_agent.py writes them
 * only from l2pop casts, `add_fdb_entries`; the agent never removes them once l2pop is off).
 */
function deviceSummary(a: Held, mode: DeviceFloodMode, l2pop: HostMode['l2pop']): string {
  const groups = [...a.floodGroups.keys()].sort().join(', ');
  const n = a.floodUnicast.size;
  const entries = `${n} l2pop flood entr${n === 1 ? 'y' : 'ies'}`;
  switch (mode) {
    case 'multicast+unicast':
      return `half-switched: multicast group ${groups} and ${entries}`;
    case 'multicast':
      return `flood-and-learn (multicast group ${groups})`;
    case 'unicast':
      return l2pop === 'off'
        ? `${n} flood entr${n === 1 ? 'y' : 'ies'} left from l2pop, not maintained (l2_population off, no multicast group)`
        : 'l2pop (head-end replication)';
    case 'none':
      return 'no flood state: BUM of this network is dropped';
  }
}

/** What {@link hostMode} reads of a host: its model record, snapshot, agent type, VTEP and held state. */
export interface ModeInput {
  host: HostView | null;
  snap: FullNodeSnapshot | null;
  type: 'linuxbridge' | 'openvswitch' | null;
  vtep: string | null;
  held: Map<string, Held>;
}

/**
 * The host's {@link HostMode}: each answer from the most direct source there is (the agent's
 * report_state, then its ini, then what the kernel / flows show); `notes` say where they disagree
 * (a restart pending, a UDP port or local_ip that differs) and what could not be evaluated.
 */
export function hostMode(c: ModeInput): HostMode {
  const notes: string[] = [];
  const ini = c.snap?.agent.ini ?? null;
  const h = c.host;
  let l2pop: HostMode['l2pop'] = 'unknown';
  let l2popSource: HostMode['l2popSource'] = null;
  if (h?.l2population !== null && h?.l2population !== undefined) {
    l2pop = h.l2population ? 'on' : 'off';
    l2popSource = 'report_state';
    if (ini && ini.l2population !== h.l2population)
      notes.push(`the ini says l2_population=${ini.l2population} but the running agent reports ${h.l2population}: restart pending`);
  } else if (ini) {
    l2pop = ini.l2population ? 'on' : 'off';
    l2popSource = 'ini';
  } else {
    const acts = [...c.held.values()];
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

  const acts = [...c.held.values()].sort((a, b) => compareText(a.network, b.network));
  const devModes = acts.map((a) => deviceFloodMode(a));
  const kinds = new Set(devModes.filter((m) => m !== 'none'));
  let floodMode: HostMode['floodMode'] = 'unknown';
  if (c.snap)
    floodMode = kinds.has('multicast+unicast')
      ? 'multicast+unicast'
      : kinds.size > 1
        ? 'per-device'
        : kinds.size === 1
          ? [...kinds][0]!
          : acts.length
            ? l2pop === 'off'
              ? 'multicast'
              : 'unicast'
            : 'none';
  const vxlanGroups = sortStr(acts.flatMap((a) => [...a.floodGroups.keys()]));
  const udpPorts = new Set<number>();
  for (const a of acts) if (a.device?.dstport !== null && a.device?.dstport !== undefined) udpPorts.add(a.device.dstport);
  for (const p of c.snap?.openvswitch?.tunnelPorts ?? []) {
    const port = tunnelDstPort(p);
    if (port !== null) udpPorts.add(port);
  }
  if (ini && udpPorts.size && ![...udpPorts].every((p) => p === ini.udpPort)) {
    notes.push(
      `the ini's UDP port is ${ini.udpPort}${ini.udpPortConfigured === null ? ' (default)' : ''} but the ${type === 'openvswitch' ? 'tunnel ports use' : 'VXLAN devices use'} ${[...udpPorts].sort().join(', ')}: existing ${type === 'openvswitch' ? 'tunnel ports' : 'devices'} keep their port, new ones get ${ini.udpPort}`,
    );
  }
  if (type === 'openvswitch' && (h?.distributedRouting === true || ini?.distributedRouting === true) && !(ini?.arpResponder ?? false)) {
    notes.push('enable_distributed_routing forces the ARP responder on (ovs_neutron_agent.py), although arp_responder is not set');
  }
  if (ini && c.vtep && ini.localIp && ini.localIp !== c.vtep) notes.push(`the ini's local_ip ${ini.localIp} differs from the reported tunneling_ip ${c.vtep}`);
  if (!c.snap) notes.push('no node snapshot: drift and flood lists not evaluated');

  let summary: string;
  if (!c.snap && l2pop === 'unknown') summary = 'unknown';
  else if (floodMode === 'multicast+unicast' || floodMode === 'per-device')
    // summarised per device: a half-switched device, or devices in different modes (a leftover l2pop device beside a multicast one)
    summary = acts
      .map((a, i) => ({ a, m: devModes[i]! }))
      .filter(({ m }) => m !== 'none' || floodMode === 'per-device')
      .map(({ a, m }) => `${a.dev ?? `VNI ${a.vni}`}: ${deviceSummary(a, m, l2pop)}`)
      .join('; ');
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
    networks: acts.map((a, i) => ({
      network: a.network,
      vni: a.vni,
      tunnelType: a.tunnelType,
      dev: a.dev,
      group: a.device?.group ?? null,
      proxy: a.device ? a.device.proxy : null,
      arpResponder: a.responder,
      learning: a.device?.learning ?? null,
      dstport: a.device?.dstport ?? null,
      lvid: a.lvid,
      floodMode: devModes[i]!,
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
