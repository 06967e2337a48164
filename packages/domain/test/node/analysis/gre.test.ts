/**
 * GRE on Open vSwitch (docs/lab.md#gre), on real lab output (fixtures/gre-ovs): ovs1 and ovs2 run
 * `tunnel_types = vxlan,gre`, a VXLAN network and a GRE network share segmentation id 649. The
 * model is built from l2pop casts in the real captures' shape (`network_type: gre`) for the ports
 * the lab's API listed (fixtures/gre-ovs/ports.json), the held side from the captured br-tun.
 */
import { describe, expect, it } from 'vitest';
import {
  ClusterModel,
  ConvergenceTracker,
  type DecodedMessage,
  L2POP_FANOUT_EXCHANGE,
  analyzeNodes,
  decodeMessage,
  heldTunnelState,
  lvidChecks,
  parseBrTun,
  parseOfctlFlows,
  parseOvsTunnelPorts,
  segmentId,
  snapshotsFromBundle,
} from '../../../src';
import { readFixture } from '../../fixtures';
import { bundleFilesOf } from '../helpers';

const STEP = '1-gre-and-vxlan';
const VTEP: Record<string, string> = { controller: '10.0.20.11', compute1: '10.0.20.12', ovs1: '10.0.20.21', ovs2: '10.0.20.22' };
const FLOOD: [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];

interface ApiNetwork {
  id: string;
  name: string;
  'provider:network_type': string;
  'provider:segmentation_id': number;
}
interface ApiPort {
  network_id: string;
  mac_address: string;
  fixed_ips: { ip_address: string }[];
  'binding:host_id': string;
  device_owner: string;
}

const networks = JSON.parse(readFixture('gre-ovs', 'networks.json')) as ApiNetwork[];
const ports = (JSON.parse(readFixture('gre-ovs', 'ports.json')) as ApiPort[]).filter((p) => p.device_owner === 'compute:nova');
const gre = networks.find((n) => n['provider:network_type'] === 'gre')!;
const vxlan = networks.find((n) => n['provider:network_type'] === 'vxlan')!;

let seq = 0;
function decode(routingKey: string, exchange: string, msg: unknown): DecodedMessage {
  const r = decodeMessage({ exchange, routingKey, body: JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(msg) }) });
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

/** `report_state` of a host, as the OVS / Linux bridge agents send it. */
function report(host: string): DecodedMessage {
  const ovs = host.startsWith('ovs');
  return decode('q-reports-plugin', 'neutron', {
    method: 'report_state',
    args: {
      agent_state: {
        agent_state: {
          binary: ovs ? 'neutron-openvswitch-agent' : 'neutron-linuxbridge-agent',
          host,
          agent_type: ovs ? 'Open vSwitch agent' : 'Linux bridge agent',
          start_flag: false,
          configurations: { tunneling_ip: VTEP[host], l2_population: true, tunnel_types: ovs ? ['vxlan', 'gre'] : ['vxlan'], devices: 1 },
        },
      },
    },
  });
}

/** The fanout `add_fdb_entries` of every port of `net` (the server's `_get_agent_fdb` shape: flood entry, then [mac, ip]). */
function addFdb(net: ApiNetwork): DecodedMessage {
  const byVtep: Record<string, [string, string][]> = {};
  for (const p of ports.filter((x) => x.network_id === net.id)) {
    const v = VTEP[p['binding:host_id']]!;
    (byVtep[v] ??= [FLOOD]).push([p.mac_address, p.fixed_ips[0]!.ip_address]);
  }
  return decode('', L2POP_FANOUT_EXCHANGE, {
    method: 'add_fdb_entries',
    args: {
      fdb_entries: { [net.id]: { segment_id: net['provider:segmentation_id'], network_type: net['provider:network_type'], ports: byVtep } },
    },
  });
}

function model(nets: ApiNetwork[]): ClusterModel {
  const m = new ClusterModel();
  for (const h of Object.keys(VTEP)) m.apply(report(h), 1000, ++seq);
  for (const n of nets) m.apply(addFdb(n), 1000, ++seq);
  return m;
}

function analyze(nets: ApiNetwork[], edit?: (files: Record<string, string>) => void) {
  const files = bundleFilesOf('gre-ovs', STEP);
  edit?.(files);
  const { snapshots, errors } = snapshotsFromBundle(files, { takenAt: 2000 });
  expect(errors).toEqual([]);
  return { a: analyzeNodes({ model: model(nets), snapshots }), snapshots };
}

const ovs1Flows = () => parseBrTun(parseOfctlFlows(bundleFilesOf('gre-ovs', STEP)['ovs1-flows-br-tun.txt']!).flows);

describe('GRE on Open vSwitch (real br-tun of fixtures/gre-ovs)', () => {
  it('the lab made a GRE and a VXLAN network with the same segmentation id', () => {
    expect(gre['provider:segmentation_id']).toBe(vxlan['provider:segmentation_id']);
    expect(
      ports
        .filter((p) => p.network_id === gre.id)
        .map((p) => p['binding:host_id'])
        .sort(),
    ).toEqual(['ovs1', 'ovs2']);
  });

  it('reads table 3 (GRE key -> lvid) apart from table 4, and gre-<hex> tunnel ports', () => {
    const bt = ovs1Flows();
    const g = bt.localVlans.filter((l) => l.tunnelType === 'gre');
    const v = bt.localVlans.filter((l) => l.tunnelType === 'vxlan');
    expect(g.map((l) => l.vni)).toEqual([gre['provider:segmentation_id']]);
    expect(v.map((l) => l.vni)).toEqual([vxlan['provider:segmentation_id']]);
    expect(g[0]!.lvid).not.toBe(v[0]!.lvid);
    const tun = parseOvsTunnelPorts(bundleFilesOf('gre-ovs', STEP)['ovs1-ovs-vsctl.json']!);
    const grePorts = tun.filter((p) => p.type === 'gre');
    expect(grePorts.map((p) => `${p.name} ${p.remoteIp} ${p.dstPort}`)).toEqual(['gre-0a001416 10.0.20.22 null']);
    expect(bt.tunnelOfports).toContain(grePorts[0]!.ofport);
    expect(bt.flood.find((f) => f.lvid === g[0]!.lvid)?.ofports).toEqual([grePorts[0]!.ofport]);
  });

  it('models the network types from the casts and holds each network under its own id, zero drift', () => {
    const { a, snapshots } = analyze([vxlan, gre]);
    const m = model([vxlan, gre]);
    expect(Object.fromEntries(m.networkViews().map((n) => [n.id, `${n.networkType}:${n.vni}`]))).toEqual({
      [vxlan.id]: `vxlan:${vxlan['provider:segmentation_id']}`,
      [gre.id]: `gre:${gre['provider:segmentation_id']}`,
    });
    for (const h of ['ovs1', 'ovs2']) {
      expect({ h, drift: a.hosts[h]!.drift }).toEqual({ h, drift: [] });
      const other = h === 'ovs1' ? VTEP.ovs2 : VTEP.ovs1;
      expect(a.hosts[h]!.flood[gre.id]).toMatchObject({ ideal: [other], actual: [other], missing: [], excess: [] });
      const nets = a.hosts[h]!.mode.networks.map((n) => `${n.network} ${n.tunnelType} ${n.vni}`).sort();
      // ovs2 has no VXLAN VM: OVS reclaims a local VLAN with its last port, only the GRE one is left
      expect(nets).toEqual(h === 'ovs1' ? [`${gre.id} gre 649`, `${vxlan.id} vxlan 649`].sort() : [`${gre.id} gre 649`]);
      expect(a.hosts[h]!.mode.notes).toEqual([]);
    }
    const held = heldTunnelState(snapshots.find((s) => s.host === 'ovs1')!);
    // without the model: each segment under its own key
    expect(held.map((x) => `${x.network} ${x.tunnelType}`).sort()).toEqual(['gre:649 gre', 'vni:649 vxlan']);
    expect(segmentId('gre', 649)).toBe('gre:649');
  });

  it("catches ovs1's deleted table 22 flood flow of the GRE network as missing_flood on that network only", () => {
    const lvid = ovs1Flows().localVlans.find((l) => l.tunnelType === 'gre')!.lvid;
    const { a } = analyze([vxlan, gre], (files) => {
      const lines = files['ovs1-flows-br-tun.txt']!.split('\n');
      const kept = lines.filter((l) => !(l.includes('table=22') && l.includes(`dl_vlan=${lvid} `)));
      expect(kept.length).toBe(lines.length - 1);
      files['ovs1-flows-br-tun.txt'] = kept.join('\n');
    });
    expect(a.hosts.ovs1!.drift.map((d) => `${d.class} ${d.network} ${d.vtep}`)).toEqual([`missing_flood ${gre.id} ${VTEP.ovs2}`]);
    expect(a.hosts.ovs2!.drift).toEqual([]);
  });

  it('a GRE network the model does not know is named gre:<key>, never taken for the VXLAN network of that number', () => {
    const { a } = analyze([vxlan]);
    expect(Object.keys(a.hosts.ovs1!.flood).sort()).toEqual([vxlan.id, 'gre:649'].sort());
    expect(a.hosts.ovs1!.drift.filter((d) => d.network === vxlan.id)).toEqual([]);
  });

  it('checks lvid <-> segment: a flow setting another key or leaving by a port of another type is a note', () => {
    const bt = ovs1Flows();
    const lv = bt.localVlans.find((l) => l.tunnelType === 'gre')!;
    const tun = parseOvsTunnelPorts(bundleFilesOf('gre-ovs', STEP)['ovs1-ovs-vsctl.json']!);
    const byOfport = new Map(tun.map((p) => [p.ofport!, p]));
    const vx = tun.find((p) => p.type === 'vxlan')!;
    const greP = tun.find((p) => p.type === 'gre')!;
    expect(lvidChecks(lv, 'table 3', 'table 22 flood', lv.vni, [greP.ofport!], byOfport)).toEqual([]);
    expect(lvidChecks(lv, 'table 3', 'table 22 flood', lv.vni + 1, [vx.ofport!], byOfport)).toEqual([
      `table 22 flood of lvid ${lv.lvid} sets tun_id ${lv.vni + 1}, table 3 maps gre ${lv.vni} to lvid ${lv.lvid}`,
      `table 22 flood of lvid ${lv.lvid} (gre) outputs to ${vx.name}, a vxlan port`,
    ]);
  });

  it('convergence keys an entry by segment: a GRE cast is never taken as held by the VXLAN network of the same number', () => {
    const snap = snapshotsFromBundle(bundleFilesOf('gre-ovs', STEP), { takenAt: 2000 }).snapshots.find((x) => x.host === 'ovs1')!;
    const m = model([vxlan, gre]);
    const tracker = new ConvergenceTracker();
    tracker.observe(snap, new Map([[vxlan['provider:segmentation_id'], vxlan.id]]));
    const floodTo = (net: ApiNetwork, vtep: string) => {
      const d = decode('', L2POP_FANOUT_EXCHANGE, {
        method: 'add_fdb_entries',
        args: {
          fdb_entries: { [net.id]: { segment_id: net['provider:segmentation_id'], network_type: net['provider:network_type'], ports: { [vtep]: [FLOOD] } } },
        },
      });
      if (d.kind !== 'fdb') throw new Error(d.kind);
      return d;
    };
    const ovs1 = () => tracker.stats().find((x) => x.host === 'ovs1')!;
    // ovs1 floods VXLAN 649 to the Linux bridge VTEPs, GRE 649 only to ovs2
    expect(m.memberships('ovs1').sort()).toEqual([vxlan.id, gre.id].sort());
    tracker.expect(floodTo(gre, VTEP.controller!), 3000, 1, () => ['ovs1']);
    expect([ovs1().pending, ovs1().alreadyHeld ?? 0]).toEqual([1, 0]);
    tracker.expect(floodTo(gre, VTEP.ovs2!), 3000, 2, () => ['ovs1']);
    expect([ovs1().pending, ovs1().alreadyHeld]).toEqual([1, 1]);
    tracker.expect(floodTo(vxlan, VTEP.controller!), 3000, 3, () => ['ovs1']);
    expect([ovs1().pending, ovs1().alreadyHeld]).toEqual([1, 2]);
  });
});
