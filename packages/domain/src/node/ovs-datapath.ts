/**
 * An Open vSwitch host's datapath for one VM port, as the OVS agent wires it (pure):
 *
 *   tap -> qbr (Linux bridge, hybrid firewall only) -> qvb == qvo (veth pair) -> br-int port, tag = lvid
 *   -> patch-tun == patch-int -> br-tun table 0 (in_port = patch-int: resubmit 2) -> table 2
 *   (unicast dl_dst: 20, multicast/broadcast: 22) -> table 20 (l2pop `dl_vlan=lvid,dl_dst=mac`:
 *   strip_vlan, tun_id = VNI, output tunnel port) / table 22 (`dl_vlan=lvid`: strip_vlan, tun_id,
 *   output every tunnel port of the flood list) -> `gre-<hex of remote ip>` / `vxlan-...`
 *
 * and back: tunnel port -> table 0 (in_port = tunnel: resubmit 3/4/6 by type) -> table 3/4/6
 * (`tun_id=VNI`: mod_vlan_vid lvid, resubmit 10) -> table 10 (learn into 20, output patch-int) -> br-int.
 *
 * Sources: neutron/plugins/ml2/drivers/openvswitch/agent/openflow/native/br_tun.py
 * (`setup_default_table`: tables 0, 2, 10, 20, 22 defaults; `provision_local_vlan`: tables 3/4/6;
 * `install_unicast_to_tun`, `install_flood_to_tun`), neutron_lib ovs_constants (table numbers,
 * DEAD_VLAN_TAG 4095), ovs_neutron_agent.py `port_bound` (the br-int tag), and the real br-tun
 * of fixtures/gre-ovs. The chain before br-int is os-vif's `ovs` plugin with `hybrid_plug`.
 *
 * The lvid <-> segment check: the VNI table 3/4/6 maps to an lvid (inbound) must be the `tun_id`
 * table 22 and table 20 set for that lvid (outbound), and a VM port's tag must be an lvid some
 * segment maps to; every disagreement is a {@link DatapathFinding}.
 */
import type { BrTunState, OfFlow, OvsTunnelPort } from './ovs';
import { BR_TUN_TABLES, flowNextTables, flowOutputs, parseOfInt } from './ovs';
import type { HostLink, OvsBridge, OvsBridgePort } from './ovs-host';
import type { FullNodeSnapshot } from './snapshot';
import { compareText } from './util';

/** neutron_lib ovs_constants `DEAD_VLAN_TAG`: the tag of a br-int port the agent has not bound (or has unbound). */
export const DEAD_VLAN_TAG = 4095;

/** br-tun's table 0 and table 10 as they concern the patch port (from br-tun's flows). */
export interface BrTunPatchFlows {
  /** Table 0 `in_port=<ofport>` flows resubmitting to table 2 (PATCH_LV_TO_TUN): the patch port's ofports. */
  patchIn: number[];
  /** Where table 10 (LEARN_FROM_TUN) outputs frames from a tunnel after learning: the patch port's ofport. */
  learnOutputs: number[];
}

/** Read {@link BrTunPatchFlows} from br-tun's flows (`ovs-ofctl --no-names dump-flows br-tun`, parsed). */
export function brTunPatchFlows(flows: readonly OfFlow[]): BrTunPatchFlows {
  const patchIn = new Set<number>();
  const learnOutputs = new Set<number>();
  for (const f of flows) {
    if (f.table === BR_TUN_TABLES.LOCAL_SWITCHING && f.match.in_port !== undefined && flowNextTables(f.actions).includes(BR_TUN_TABLES.PATCH_LV_TO_TUN)) {
      const p = parseOfInt(f.match.in_port.replace(/^"(.*)"$/, '$1'));
      if (p !== null) patchIn.add(p);
    } else if (f.table === BR_TUN_TABLES.LEARN_FROM_TUN) {
      for (const o of flowOutputs(f.actions)) if (typeof o === 'number') learnOutputs.add(o);
    }
  }
  const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return { patchIn: sorted(patchIn), learnOutputs: sorted(learnOutputs) };
}

/** Input of {@link ovsDatapath}: the OVS parts of one host's snapshot. */
export interface OvsDatapathInput {
  /** Every OVS bridge with its ports (`ovs-vsctl show` + Interface ofports). */
  bridges: OvsBridge[];
  /** The hybrid chain's kernel links (tap / qbr / qvb / qvo); empty with `firewall_driver = noop` / `openvswitch`. */
  links: HostLink[];
  /** br-tun's tunnel ports (Interface table). */
  tunnelPorts: OvsTunnelPort[];
  /** br-tun's l2pop tables; null when unread. */
  brTun: BrTunState | null;
  /** br-tun tables 0 and 10 for the patch port; null when unread. */
  patch: BrTunPatchFlows | null;
  /** Integration bridge name (`[ovs] integration_bridge`, default `br-int`). */
  intBridge?: string;
  /** Tunnel bridge name (`[ovs] tunnel_bridge`, default `br-tun`). */
  tunBridge?: string;
}

/** One hop of a port's path, in frame order. */
export interface DatapathHop {
  /** Where the hop is: `kernel`, `br-int`, `br-tun`, `tunnel`. */
  at: 'kernel' | 'br-int' | 'br-tun' | 'tunnel';
  /** Device or port name (`tap...`, `qbr...`, `patch-int`), or `table N` on br-tun. */
  name: string;
  /** br-tun table number, for table hops. */
  table?: number;
  /** What the hop does to this port's frames, in field terms (`tag 3`, `dl_vlan=3 -> tun_id 0x289, output gre-0a001416`). */
  detail: string;
  /** false when the hop is missing or wrong (a finding names why). */
  ok: boolean;
}

/** Why a port's datapath is broken or inconsistent. */
export interface DatapathFinding {
  /**
   * - `port_dead_vlan`: the VM port is untagged or tagged 4095 (not bound by the agent: its frames are dropped by br-int);
   * - `lvid_unmapped`: no table 3/4/6 flow maps a segment to the port's lvid (frames from tunnels never reach it);
   * - `lvid_shared`: several segments map to one lvid in tables 3/4/6;
   * - `lvid_segment_mismatch`: table 20 / 22 for the lvid set a `tun_id` other than the VNI table 3/4/6 maps to it;
   * - `flood_port_unknown`: table 22 outputs to an ofport that is no tunnel port of br-tun;
   * - `patch_missing`: br-int has no patch port to br-tun, or br-tun's table 0 does not take frames from it;
   * - `hybrid_chain_broken`: a qvo without its qvb veth peer, a qvb on no qbr, or a qbr without the VM's tap.
   */
  kind: 'port_dead_vlan' | 'lvid_unmapped' | 'lvid_shared' | 'lvid_segment_mismatch' | 'flood_port_unknown' | 'patch_missing' | 'hybrid_chain_broken';
  /** One sentence with the rows that prove it. */
  message: string;
}

/** The datapath of one VM port on an OVS host. */
export interface OvsPortPath {
  /** The br-int port: `qvo<id>` (hybrid) or `tap<id>`. */
  port: string;
  /** The first 11 characters of the Neutron port id the names carry (`9f3cc92a-62`). */
  portIdPrefix: string;
  /** The VM's tap device. */
  tap: string;
  /** Hybrid chain devices, null when the tap is on br-int itself. */
  hybrid: { qbr: string | null; qvb: string | null; qvo: string } | null;
  /** The br-int tag (local VLAN); null when untagged. */
  lvid: number | null;
  /** The segment tables 3/4/6 map to the lvid (the first when several do); null when none. */
  segment: { tunnelType: string; vni: number } | null;
  /** Outbound hops (VM -> tunnels), then inbound (tunnels -> VM). */
  outbound: DatapathHop[];
  inbound: DatapathHop[];
  findings: DatapathFinding[];
}

/** The whole host: every VM port's path, sorted by port name. */
export interface OvsDatapath {
  ports: OvsPortPath[];
  /** br-int's patch port to br-tun and its peer, when present. */
  patch: { intPort: string; tunPort: string; tunOfport: number | null } | null;
}

const VM_PORT = /^(tap|qvo)(.+)$/;
const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * Build the datapath of every VM port of br-int (ports named `tap*` / `qvo*`), with findings.
 * Pure; never throws. A port's tag that no segment maps to, or a segment whose outbound `tun_id`
 * differs, is reported on each port of that lvid.
 */
export function ovsDatapath(input: OvsDatapathInput): OvsDatapath {
  const intName = input.intBridge ?? 'br-int';
  const tunName = input.tunBridge ?? 'br-tun';
  const brInt = input.bridges.find((b) => b.name === intName);
  const brTunBridge = input.bridges.find((b) => b.name === tunName);
  const tunPortOf = (p: OvsBridgePort) => p.type === 'patch' && p.peer !== null && brTunBridge?.ports.some((q) => q.name === p.peer && q.peer === p.name);
  const intPatch = brInt?.ports.find(tunPortOf) ?? null;
  const tunPatch = intPatch ? (brTunBridge?.ports.find((q) => q.name === intPatch.peer) ?? null) : null;
  const patch = intPatch && tunPatch ? { intPort: intPatch.name, tunPort: tunPatch.name, tunOfport: tunPatch.ofport } : null;

  const links = new Map(input.links.map((l) => [l.name, l]));
  const byOfport = new Map<number, OvsTunnelPort>();
  for (const t of input.tunnelPorts) if (t.ofport !== null) byOfport.set(t.ofport, t);
  const tunName_ = (o: number) => byOfport.get(o)?.name ?? `ofport ${o}`;
  const bt = input.brTun;
  const segmentsOf = (lvid: number) => (bt?.localVlans ?? []).filter((l) => l.lvid === lvid);

  const ports: OvsPortPath[] = [];
  for (const p of brInt?.ports ?? []) {
    const m = VM_PORT.exec(p.name);
    if (!m || p.type === 'patch' || p.type === 'internal') continue;
    const id = m[2]!;
    const findings: DatapathFinding[] = [];
    const outbound: DatapathHop[] = [];
    const tap = `tap${id}`;
    let hybrid: OvsPortPath['hybrid'] = null;
    if (m[1] === 'qvo') {
      const qvo = links.get(p.name);
      const qvbName = qvo?.peer ?? null;
      const qvb = qvbName ? links.get(qvbName) : undefined;
      const qbr = qvb?.master ?? null;
      const tapLink = links.get(tap);
      hybrid = { qbr, qvb: qvbName, qvo: p.name };
      outbound.push({
        at: 'kernel',
        name: tap,
        detail: tapLink ? `the VM's NIC, port of ${tapLink.master ?? 'no bridge'}` : 'not found in the kernel',
        ok: !!tapLink && tapLink.master === qbr && qbr !== null,
      });
      outbound.push({
        at: 'kernel',
        name: qbr ?? `qbr${id}`,
        detail: 'Linux bridge (iptables_hybrid firewall: security groups filter here)',
        ok: qbr !== null,
      });
      outbound.push({ at: 'kernel', name: `${qvbName ?? `qvb${id}`} = ${p.name}`, detail: 'veth pair', ok: qvbName !== null });
      if (!qvbName) findings.push({ kind: 'hybrid_chain_broken', message: `${p.name} on ${intName} has no veth peer in the kernel (expected qvb${id})` });
      else if (!qbr) findings.push({ kind: 'hybrid_chain_broken', message: `${qvbName}, veth peer of ${p.name}, is on no Linux bridge (expected qbr${id})` });
      else if (tapLink?.master !== qbr)
        findings.push({
          kind: 'hybrid_chain_broken',
          message: `${qbr} does not hold the VM's ${tap} (${tapLink ? `it is on ${tapLink.master ?? 'no bridge'}` : 'no such device'})`,
        });
    } else outbound.push({ at: 'kernel', name: tap, detail: `the VM's NIC, on ${intName} itself (no hybrid firewall)`, ok: true });

    const lvid = p.tag;
    const dead = lvid === null || lvid === DEAD_VLAN_TAG;
    outbound.push({ at: 'br-int', name: p.name, detail: `ofport ${p.ofport ?? '?'}, tag ${lvid ?? 'none'}${dead ? ' (dead VLAN: dropped)' : ''}`, ok: !dead });
    if (dead)
      findings.push({
        kind: 'port_dead_vlan',
        message: `${p.name} on ${intName} is ${lvid === null ? 'untagged' : `tagged ${DEAD_VLAN_TAG}`}: the agent has not bound it to a network`,
      });

    outbound.push({
      at: 'br-int',
      name: `${patch?.intPort ?? 'patch-tun'} = ${patch?.tunPort ?? 'patch-int'}`,
      detail: 'patch ports to br-tun (the frame keeps its lvid tag)',
      ok: patch !== null,
    });
    if (!patch) findings.push({ kind: 'patch_missing', message: `${intName} has no patch port whose peer is on ${tunName}` });
    const patchIn = patch && patch.tunOfport !== null && (input.patch?.patchIn ?? []).includes(patch.tunOfport);
    outbound.push({ at: 'br-tun', name: 'table 0', table: 0, detail: `in_port=${patch?.tunOfport ?? '?'} -> table 2`, ok: !!patchIn });
    if (patch && input.patch && !patchIn)
      findings.push({ kind: 'patch_missing', message: `${tunName} table 0 has no in_port=${patch.tunOfport ?? '?'} (${patch.tunPort}) -> resubmit(,2)` });
    outbound.push({ at: 'br-tun', name: 'table 2', table: 2, detail: 'unicast dl_dst -> table 20, multicast / broadcast -> table 22', ok: bt !== null });

    const segs = lvid === null ? [] : segmentsOf(lvid);
    const seg = segs[0] ?? null;
    if (!dead && segs.length === 0 && bt)
      findings.push({ kind: 'lvid_unmapped', message: `${p.name} is tagged ${lvid}, and no ${tunName} table 3/4/6 flow maps a segment to lvid ${lvid}` });
    if (segs.length > 1)
      findings.push({
        kind: 'lvid_shared',
        message: `lvid ${lvid} is the local VLAN of ${segs.map((s) => `${s.tunnelType} ${s.vni}`).join(' and ')} (tables 3/4/6)`,
      });

    const ucast = lvid === null ? [] : (bt?.unicast ?? []).filter((u) => u.lvid === lvid);
    const ucastBad = seg ? ucast.filter((u) => u.vni !== null && u.vni !== seg.vni) : [];
    outbound.push({
      at: 'br-tun',
      name: 'table 20',
      table: 20,
      detail: ucast.length
        ? ucast
            .map(
              (u) =>
                `${u.mac} -> ${u.vni === null ? '' : `tun_id ${hex(u.vni)}, `}${u.ofport === null ? '?' : tunName_(u.ofport)}${u.learned ? ' (learned)' : ''}`,
            )
            .join('; ')
        : `no unicast flow on dl_vlan=${lvid ?? '?'}: unknown unicast goes to table 22`,
      ok: ucastBad.length === 0,
    });
    for (const u of ucastBad)
      findings.push({
        kind: 'lvid_segment_mismatch',
        message: `table 20 ${u.mac} on lvid ${lvid} sets tun_id ${u.vni}, table ${tableOf(seg!.tunnelType)} maps ${seg!.tunnelType} ${seg!.vni} to lvid ${lvid}`,
      });

    const flood = lvid === null ? undefined : bt?.flood.find((f) => f.lvid === lvid);
    const floodBad = !!(flood && seg && flood.vni !== null && flood.vni !== seg.vni);
    outbound.push({
      at: 'br-tun',
      name: 'table 22',
      table: 22,
      detail: flood
        ? `dl_vlan=${lvid} -> strip_vlan, tun_id ${flood.vni === null ? '?' : hex(flood.vni)}, output ${flood.ofports.map(tunName_).join(', ') || 'nothing'}`
        : `no flood flow on dl_vlan=${lvid ?? '?'}: BUM is dropped (no remote port announced, or the flow is missing)`,
      ok: !!flood && !floodBad,
    });
    if (floodBad)
      findings.push({
        kind: 'lvid_segment_mismatch',
        message: `table 22 of lvid ${lvid} sets tun_id ${flood.vni}, table ${tableOf(seg.tunnelType)} maps ${seg.tunnelType} ${seg.vni} to lvid ${lvid}`,
      });
    for (const o of flood?.ofports ?? [])
      if (!byOfport.has(o))
        findings.push({ kind: 'flood_port_unknown', message: `table 22 of lvid ${lvid} outputs to ofport ${o}, no tunnel port of ${tunName}` });
    const outPorts = [...new Set([...(flood?.ofports ?? []), ...ucast.map((u) => u.ofport).filter((o): o is number => o !== null)])].sort((a, b) => a - b);
    for (const o of outPorts) {
      const t = byOfport.get(o);
      outbound.push({ at: 'tunnel', name: t?.name ?? `ofport ${o}`, detail: t ? `${t.type} to ${t.remoteIp}` : 'unknown ofport', ok: !!t });
    }

    const inbound: DatapathHop[] = [];
    if (seg) {
      const ins = input.tunnelPorts.filter((t) => t.type === seg.tunnelType && t.ofport !== null && (bt?.tunnelOfports ?? []).includes(t.ofport));
      inbound.push({
        at: 'tunnel',
        name: ins.map((t) => t.name).join(', ') || `no ${seg.tunnelType} port`,
        detail: `${seg.tunnelType} from ${ins.map((t) => t.remoteIp).join(', ') || 'nowhere'}`,
        ok: ins.length > 0,
      });
      inbound.push({
        at: 'br-tun',
        name: 'table 0',
        table: 0,
        detail: `in_port=${ins.map((t) => t.ofport).join('|') || '?'} -> table ${tableOf(seg.tunnelType)}`,
        ok: ins.length > 0,
      });
      inbound.push({
        at: 'br-tun',
        name: `table ${tableOf(seg.tunnelType)}`,
        table: tableOf(seg.tunnelType),
        detail: `tun_id=${hex(seg.vni)} -> mod_vlan_vid:${lvid}, table 10`,
        ok: segs.length === 1,
      });
      const learnOk = !!(patch && patch.tunOfport !== null && input.patch?.learnOutputs.includes(patch.tunOfport));
      inbound.push({ at: 'br-tun', name: 'table 10', table: 10, detail: `learn the source MAC into table 20, output ${patch?.tunPort ?? '?'}`, ok: learnOk });
      inbound.push({
        at: 'br-int',
        name: p.name,
        detail: `tag ${lvid} stripped towards ${hybrid ? `${hybrid.qvb ?? '?'} -> ${hybrid.qbr ?? '?'} -> ${tap}` : tap}`,
        ok: !dead,
      });
    }

    ports.push({
      port: p.name,
      portIdPrefix: id,
      tap,
      hybrid,
      lvid,
      segment: seg ? { tunnelType: seg.tunnelType, vni: seg.vni } : null,
      outbound,
      inbound,
      findings,
    });
  }
  ports.sort((a, b) => compareText(a.port, b.port));
  return { ports, patch };
}

function tableOf(tunnelType: string): number {
  return tunnelType === 'gre' ? BR_TUN_TABLES.GRE_TUN_TO_LV : tunnelType === 'geneve' ? BR_TUN_TABLES.GENEVE_TUN_TO_LV : BR_TUN_TABLES.VXLAN_TUN_TO_LV;
}

/**
 * The datapath of a full snapshot's OVS host; null for a Linux bridge host or a snapshot without
 * the `openvswitch.host` section (node agents that predate it).
 */
export function snapshotDatapath(snap: Pick<FullNodeSnapshot, 'openvswitch'>): OvsDatapath | null {
  const o = snap.openvswitch;
  if (!o?.host) return null;
  return ovsDatapath({ bridges: o.host.bridges, links: o.host.links ?? [], tunnelPorts: o.tunnelPorts, brTun: o.brTun, patch: o.host.patch });
}
