/**
 * Evidence: the snapshot rows and settings that prove a drift item, a foreign MAC or a finding,
 * rendered as the tool that produced them prints them (iproute2, ovs-ofctl, ovs-vsctl, the ini), with
 * the support bundle file holding them. Rows are kept by reference ({@link EvRef}) and rendered only
 * when used.
 */
import type { BridgeFdbRow, NeighRow } from '../kernel';
import type { VxlanDevice } from '../linuxbridge';
import { type BrTunFlood, type BrTunResponder, type BrTunUnicast, type OvsTunnelPort, tunnelDstPort } from '../ovs';
import { BUNDLE_SUFFIXES } from '../support-bundle';

/** Where a piece of evidence comes from: a snapshot section, the agent's ini, its report_state, the model, or Neutron's API. */
export type EvidenceSource =
  | 'linuxbridge.fdb'
  | 'linuxbridge.neigh'
  | 'linuxbridge.vxlan'
  | 'openvswitch.tunnelPorts'
  | 'openvswitch.brTun'
  | 'agent.ini'
  | 'report_state'
  | 'model'
  | 'neutron_api';

/** One row or setting that proves a drift item or finding. */
export interface Evidence {
  host: string;
  source: EvidenceSource;
  /** The support bundle file holding it (`<host>-bridge-fdb.json`, ...), null for report_state / model. */
  file: string | null;
  /** The row, rendered like the tool prints it (iproute2 / ovs-ofctl / ini), or a report_state summary. */
  text: string;
}

/**
 * A row kept by reference and rendered as {@link Evidence} only when a drift item or finding uses
 * it: a host may hold 10^5 rows, and building a string (or a closure) per row is the hot path.
 */
export type EvRef =
  | { h: string; fdb: BridgeFdbRow }
  | { h: string; neigh: NeighRow }
  | { h: string; vxlan: VxlanDevice }
  | { h: string; flood: BrTunFlood }
  | { h: string; unicast: BrTunUnicast }
  | { h: string; responder: BrTunResponder };

/** A referenced row as {@link Evidence}: the text the tool prints for it, and the bundle file holding it. */
export function render(r: EvRef): Evidence {
  if ('fdb' in r) {
    const f = r.fdb;
    return ev(r.h, 'linuxbridge.fdb', `${f.mac} dev ${f.dev} dst ${f.dst} ${f.flags.join(' ')}${f.state ? ` ${f.state}` : ''}`.trim());
  }
  if ('neigh' in r) return ev(r.h, 'linuxbridge.neigh', `${r.neigh.ip} dev ${r.neigh.dev} lladdr ${r.neigh.mac ?? '-'} ${r.neigh.state.join(' ')}`);
  if ('vxlan' in r) return ev(r.h, 'linuxbridge.vxlan', vxlanText(r.vxlan));
  if ('flood' in r) {
    const f = r.flood;
    return ev(
      r.h,
      'openvswitch.brTun',
      `table=22 dl_vlan=${f.lvid} tun_id=${f.vni === null ? '?' : `0x${f.vni.toString(16)}`} output:${f.ofports.join(',output:')}`,
    );
  }
  if ('unicast' in r) {
    const u = r.unicast;
    return ev(
      r.h,
      'openvswitch.brTun',
      `table=20 priority=${u.learned ? 1 : 2} dl_vlan=${u.lvid} dl_dst=${u.mac} output:${u.ofport ?? '?'}${u.learned ? ' (learned)' : ''}`,
    );
  }
  return ev(r.h, 'openvswitch.brTun', `table=21 arp,dl_vlan=${r.responder.lvid},arp_tpa=${r.responder.ip} -> ${r.responder.mac ?? '?'}`);
}

/** The support bundle file of a host holding rows of `source` (null for report_state / model). */
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

/** Evidence of `host` from `source`, with its bundle file. */
export const ev = (host: string, source: EvidenceSource, text: string): Evidence => ({ host, source, file: fileOf(host, source), text });

/** A VXLAN device as `ip -d link show` describes it (`vxlan-649: vxlan id 649 group 224.0.0.1 dev ul0 dstport 8472 ...`). */
export function vxlanText(d: VxlanDevice): string {
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

/** An OVS tunnel port as `ovs-vsctl` shows it (name, type, ofport, remote_ip, local_ip, dst_port). */
export const tunnelText = (p: OvsTunnelPort) =>
  `${p.name} type=${p.type} ofport=${p.ofport ?? '?'} remote_ip=${p.remoteIp}${p.localIp ? ` local_ip=${p.localIp}` : ''} dst_port=${p.dstPort ?? `(default ${tunnelDstPort(p) ?? '-'})`}`;
