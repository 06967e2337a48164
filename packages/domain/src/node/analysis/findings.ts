/**
 * Cross-host findings: problems of a network that no single host shows.
 *
 * Cross-host findings (per network): `half_switched_vxlan` (docs/lab.md#gotcha-12), `mixed_arp_responder`
 * (docs/lab.md#mixed, docs/lab.md#gotcha-13), `mixed_l2pop`, `udp_port_mismatch` (sender's UDP destination port is not
 * one the receiver listens on), `vxlan_device_mismatch` (a Linux bridge device's `local`, `dstport` or `group`
 * is not what the host's configuration gives it, vxlan-config.ts). Each names its hosts and network and carries evidence rows.
 */
import { linuxBridgeNames } from '../kernel';
import type { VxlanDevice } from '../linuxbridge';
import { type OvsTunnelPort, tunnelDstPort } from '../ovs';
import { sortStr } from '../util';
import type { HostCtx } from './context';
import { type Evidence, ev, render, tunnelText, vxlanText } from './evidence';
import { type VxlanMismatch, vxlanDeviceMismatches, vxlanHostConfig, vxlanMismatchText } from './vxlan-config';

/**
 * The kinds of cross-host findings (see the module comment); `vtep_conflict` is not per network but
 * per VTEP, found by the model on report_state (`vtep-conflict.ts`); `agent_down` is per host, from
 * report_state heartbeats and the model's clock (`agent-liveness.ts`); `stale_tunnel_port` is per
 * Open vSwitch host, from its br-tun and the model (`stale-tunnels.ts`);
 * `port_without_l2pop` (per network) and `agent_silent_on_tap` (per host) compare Neutron's API
 * with the model (`neutron-api/enrich.ts`).
 */
export const FINDING_KINDS = [
  'half_switched_vxlan',
  'mixed_arp_responder',
  'mixed_l2pop',
  'udp_port_mismatch',
  'vtep_conflict',
  'agent_down',
  'vxlan_device_mismatch',
  'stale_tunnel_port',
  'port_without_l2pop',
  'agent_silent_on_tap',
] as const;
/** One of {@link FINDING_KINDS}. */
export type FindingKind = (typeof FINDING_KINDS)[number];

/** A cross-host problem of one network. */
export interface Finding {
  kind: FindingKind;
  /** Neutron network UUID, or `vni:<n>`; `vtep:<ip>` for `vtep_conflict`, `agent:<host>` for `agent_down` and `agent_silent_on_tap`, `br-tun:<host>` for `stale_tunnel_port`. */
  network: string;
  vni: number | null;
  /** The hosts involved, sorted. */
  hosts: string[];
  /** What is wrong, its effect on traffic and the fix. */
  detail: string;
  /** The rows / settings that prove it. */
  evidence: Evidence[];
}

/**
 * What a finding on a network the model does not know (`vni:<n>`: no l2pop cast, port or network
 * event named a network with this VNI) says first: the analysis saw the kernel's devices only.
 */
export function unknownNetworkText(vni: number | null): string {
  return `Network unknown to l2scope (${vni === null ? 'no VNI' : `VNI ${vni}`}: no Neutron network with this VNI has been seen; a leftover device, one Neutron does not manage, or a network whose casts were not captured). `;
}

/**
 * The cause and fix a `half_switched_vxlan` names. On a network the model knows: the agent's ini
 * was switched without recreating the device (ensure_vxlan never changes an existing one). On a
 * network it does not know (`vni:<n>`) that story is only one of two: a device no agent manages
 * (not in any `network_map`: no restart touches it) is a leftover to delete, and a network whose
 * casts were not captured gets the usual fix.
 */
function halfSwitchedCause(unknownNetwork: boolean, dev: string): string {
  const recreate = `stop the agent, delete ${dev}, start the agent (docs/lab.md#gotcha-12)`;
  if (!unknownNetwork) return `The agent's ini was switched without recreating ${dev} (ensure_vxlan never changes an existing device): ${recreate}.`;
  return (
    `If no Neutron network uses this VNI, ${dev} is a leftover no agent manages (a restart never touches it): delete it (ip link delete ${dev}) once no VM port is on its bridge. ` +
    `If it belongs to a network whose casts were not captured, its agent's ini was switched without recreating it: ${recreate}.`
  );
}

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
    o = {
      byRemote: new Map(ps.map((p) => [p.remoteIp, p])),
      listen: [...new Set(ps.map(tunnelDstPort).filter((p): p is number => p !== null))].sort((x, y) => x - y),
    };
    ovsPortsCache.set(list, o);
  }
  return o;
}

/**
 * The cross-host findings of one network. On a network the model does not know (`vniKnown`
 * undefined, network `vni:<n>`), each finding's detail starts with {@link unknownNetworkText}.
 * @param vniKnown the network's VNI in the model (null: a network without one), undefined when the model does not know the network
 * @param participants hosts taking part in the network (state for it in their snapshot, or ports on it), sorted by name
 */
export function networkFindings(network: string, vniKnown: number | null | undefined, participants: HostCtx[]): Finding[] {
  const found = networkFindingsOf(network, vniKnown, participants);
  if (vniKnown !== undefined) return found;
  // a network the model does not know: every finding says so first
  return found.map((f) => ({ ...f, detail: unknownNetworkText(f.vni) + f.detail }));
}

function networkFindingsOf(network: string, vniKnown: number | null | undefined, participants: HostCtx[]): Finding[] {
  const findings: Finding[] = [];
  {
    const vni = vniKnown ?? participants.find((c) => c.held.has(network))?.held.get(network)!.vni ?? null;

    // half_switched_vxlan (Linux bridge, docs/lab.md#gotcha-12)
    const half: { host: string; why: string[]; evidence: Evidence[] }[] = [];
    for (const c of participants) {
      const a = c.held.get(network);
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
        why.push(
          `${a.neigh.length} ARP responder entr${a.neigh.length === 1 ? 'y' : 'ies'} on ${d.name} without "proxy": the kernel never answers from them, ARP still crosses the tunnel`,
        );
        evidence.push(...a.neigh.slice(0, 4).map((n) => render(n.ev)));
      }
      if (c.l2pop === false && !d.group && !d.remote) {
        why.push(
          `l2_population is off but ${d.name} has no multicast group: BUM goes only to the ${a.floodUnicast.size} leftover flood entr${a.floodUnicast.size === 1 ? 'y' : 'ies'}, which nobody maintains`,
        );
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
        detail: `${groupReasons(half)}. ${halfSwitchedCause(vniKnown === undefined, vni === null ? 'the VXLAN device' : linuxBridgeNames.vxlan(vni))}`,
        evidence: half.flatMap((h) => h.evidence),
      });
    }

    // vxlan_device_mismatch (Linux bridge): a device's settings against the host's configuration (vxlan-config.ts)
    const off: { c: HostCtx; d: VxlanDevice; ms: VxlanMismatch[] }[] = [];
    for (const c of participants) {
      const d = c.held.get(network)?.device;
      if (!d || c.type !== 'linuxbridge') continue;
      const ms = vxlanDeviceMismatches(d, vxlanHostConfig(c.host, c.snap?.agent.ini ?? null, c.l2pop));
      if (ms.length) off.push({ c, d, ms });
    }
    if (off.length) findings.push(vxlanMismatchFinding(network, vni, off));

    // mixed_arp_responder (docs/lab.md#mixed, docs/lab.md#gotcha-13): what the data plane does on each host
    const arpState = participants
      .map((c) => {
        const a = c.held.get(network);
        let on: boolean | null = a?.responder ?? null;
        let e: Evidence | null = null;
        if (a?.device) e = ev(c.name, 'linuxbridge.vxlan', vxlanText(a.device));
        else if (a && c.type === 'openvswitch')
          e = ev(c.name, 'openvswitch.brTun', `table=2 arp,dl_dst=ff:ff:ff:ff:ff:ff -> resubmit(,21): ${a.responder ? 'present' : 'absent'}`);
        if (on === null && c.arpEffective !== null) {
          on = c.arpEffective;
          e =
            c.mode.arpResponderSource === 'report_state'
              ? { host: c.name, source: 'report_state', file: null, text: `arp_responder_enabled=${on}` }
              : ev(c.name, 'agent.ini', `arp_responder = ${on}`);
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
            ? `The vxlan "proxy" on ${lbOn.join(', ')} consumes every ARP packet sent into the device, replies included: ARP replies from their VMs never leave, so ${arpOff.map((x) => x.c.name).join(', ')} cannot resolve them (docs/lab.md#mixed, docs/lab.md#gotcha-13). `
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
      const groups = sortStr(l2off.flatMap((c) => [...(c.held.get(network)?.floodGroups.keys() ?? [])]));
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
            ? {
                host: c.name,
                source: 'report_state' as const,
                file: null,
                text: `l2_population=${c.l2pop}${c.mode.reported?.lastReportAt ? ` (report_state ${c.mode.reported.lastReportAt})` : ''}`,
              }
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
        const a = c.held.get(network);
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
      const shown = pairs
        .slice(0, MAX)
        .map((p) => `${p.from.name} sends VXLAN to ${p.to.name} (${p.to.vtep}) on UDP ${p.send}, ${p.to.name} listens on ${p.listen.join(', ')}`);
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

/**
 * The `vxlan_device_mismatch` finding of one network: per host, what its device holds against what
 * its configuration gives (vxlan-config.ts), the effect on traffic and the fix (the agent never
 * changes an existing device: it must be deleted while the agent is stopped). Evidence per host: the
 * device as `ip -d link` prints it, where each expectation comes from (report_state / the ini), and
 * one row per mismatch (device, field, held, expected, severity).
 */
function vxlanMismatchFinding(network: string, vni: number | null, off: { c: HostCtx; d: VxlanDevice; ms: VxlanMismatch[] }[]): Finding {
  const evidence: Evidence[] = [];
  const why: { host: string; why: string[] }[] = [];
  for (const { c, d, ms } of off) {
    evidence.push(ev(c.name, 'linuxbridge.vxlan', vxlanText(d)));
    const ini = c.snap?.agent.ini ?? null;
    for (const basis of new Set(ms.map((m) => m.basis))) {
      if (basis === 'report_state tunneling_ip' && c.host)
        evidence.push({
          host: c.name,
          source: 'report_state',
          file: null,
          text: `tunneling_ip=${c.host.vtep}`,
        });
      else if (basis === 'ini local_ip' && ini) evidence.push(ev(c.name, 'agent.ini', `[vxlan] local_ip = ${ini.localIp}`));
      else if (basis.startsWith('ini udp_dstport') && ini)
        evidence.push(
          ev(
            c.name,
            'agent.ini',
            ini.udpPortConfigured !== null ? `[vxlan] udp_dstport = ${ini.udpPortConfigured}` : `[vxlan] udp_dstport unset (kernel default ${ini.udpPort})`,
          ),
        );
      else if (basis.startsWith('ini vxlan_group') && ini)
        evidence.push(
          ev(
            c.name,
            'agent.ini',
            `[vxlan] vxlan_group = ${ini.vxlanGroup ?? ''}${ini.multicastRanges.length ? `, multicast_ranges = ${ini.multicastRanges.join(',')}` : ''}`,
          ),
        );
    }
    for (const m of ms) evidence.push(ev(c.name, 'linuxbridge.vxlan', vxlanMismatchText(m)));
    why.push({
      host: c.name,
      why: ms.map((m) => `${m.severity}: ${m.device} ${m.field} ${m.held ?? '(unset)'}, expected ${m.expected ?? '(unset)'} (${m.basis}): ${m.effect}`),
    });
  }
  const devs = sortStr([...new Set(off.map((o) => o.d.name))]).join(', ');
  return {
    kind: 'vxlan_device_mismatch',
    network,
    vni,
    hosts: sortStr(off.map((o) => o.c.name)),
    detail: `${groupReasons(why)}. The FDB and neighbours can be complete and still carry nothing. The agent never changes an existing device (ensure_vxlan creates it only when missing): stop the agent, delete ${devs}, start the agent, which recreates it from its configuration.`,
    evidence,
  };
}
