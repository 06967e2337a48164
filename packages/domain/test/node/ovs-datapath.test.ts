/**
 * An OVS host's datapath (ovs-host.ts, ovs-datapath.ts) on real lab output: fixtures/gre-ovs
 * (ovs1: a VXLAN and a GRE network, both segmentation id 649, taps on br-int, `firewall_driver =
 * noop`) and fixtures/gre-hybrid (the same lab with `firewall_driver = iptables_hybrid`: ovs1's VMs
 * plugged tap -> qbr -> qvb / qvo -> br-int, its `ip -j -d link show` beside br-int and br-tun).
 */
import { describe, expect, it } from 'vitest';
import {
  type FullNodeSnapshot,
  OVS_HOST_LIMITS,
  parseHybridLinks,
  parseNodeSnapshot,
  parseOvsVsctlBridges,
  snapshotDatapath,
  snapshotsFromBundle,
} from '../../src';
import { bundleFilesOf } from './helpers';

function ovsSnapshot(host: string, edit?: (files: Record<string, string>) => void): FullNodeSnapshot {
  const files = bundleFilesOf('gre-ovs', '1-gre-and-vxlan');
  edit?.(files);
  const snap = snapshotsFromBundle(files, { takenAt: 0 }).snapshots.find((s) => s.host === host);
  if (!snap) throw new Error(`no ${host} in the bundle`);
  return snap;
}

const hops = (h: { name: string; detail: string; ok: boolean }[]) => h.map((x) => `${x.ok ? 'ok ' : 'BAD'} ${x.name}: ${x.detail}`);

describe('ovs-vsctl show: bridges, tags, patch peers', () => {
  it('reads br-int ports with their lvid and the patch pair, ofports from the Interface table', () => {
    const snap = ovsSnapshot('ovs1');
    const host = snap.openvswitch!.host!;
    const brInt = host.bridges.find((b) => b.name === 'br-int')!;
    expect(brInt.ports).toEqual([
      { name: 'br-int', tag: null, type: 'internal', ofport: 65534, peer: null },
      { name: 'patch-tun', tag: null, type: 'patch', ofport: 1, peer: 'patch-int' },
      { name: 'tap1d015803-95', tag: 4, type: '', ofport: 5, peer: null },
      { name: 'tap9f3cc92a-62', tag: 3, type: '', ofport: 4, peer: null },
    ]);
    expect(host.bridges.map((b) => b.name)).toEqual(['br-int', 'br-phy', 'br-tun']);
    expect(host.patch).toEqual({ patchIn: [1], learnOutputs: [1] });
    // the section survives validation as a node agent would send it
    expect(parseNodeSnapshot(JSON.parse(JSON.stringify(snap)))).toEqual(snap);
  });
});

describe('ovsDatapath on fixtures/gre-ovs ovs1 (noop firewall: taps on br-int)', () => {
  it('draws the GRE port from its tap to gre-0a001416 and back, lvid 4 <-> GRE key 0x289', () => {
    const dp = snapshotDatapath(ovsSnapshot('ovs1'))!;
    expect(dp.patch).toEqual({ intPort: 'patch-tun', tunPort: 'patch-int', tunOfport: 1 });
    const gre = dp.ports.find((p) => p.lvid === 4)!;
    expect(gre.port).toBe('tap1d015803-95');
    expect(gre.hybrid).toBeNull();
    expect(gre.segment).toEqual({ tunnelType: 'gre', vni: 649 });
    expect(gre.findings).toEqual([]);
    expect(hops(gre.outbound)).toEqual([
      "ok  tap1d015803-95: the VM's NIC, on br-int itself (no hybrid firewall)",
      'ok  tap1d015803-95: ofport 5, tag 4',
      'ok  patch-tun = patch-int: patch ports to br-tun (the frame keeps its lvid tag)',
      'ok  table 0: in_port=1 -> table 2',
      'ok  table 2: unicast dl_dst -> table 20, multicast / broadcast -> table 22',
      'ok  table 20: fa:16:3e:8e:25:a0 -> tun_id 0x289, gre-0a001416',
      'ok  table 22: dl_vlan=4 -> strip_vlan, tun_id 0x289, output gre-0a001416',
      'ok  gre-0a001416: gre to 10.0.20.22',
    ]);
    expect(hops(gre.inbound)).toEqual([
      'ok  gre-0a001416: gre from 10.0.20.22',
      'ok  table 0: in_port=7 -> table 3',
      'ok  table 3: tun_id=0x289 -> mod_vlan_vid:4, table 10',
      'ok  table 10: learn the source MAC into table 20, output patch-int',
      'ok  tap1d015803-95: tag 4 stripped towards tap1d015803-95',
    ]);
    const vx = dp.ports.find((p) => p.lvid === 3)!;
    expect(vx.segment).toEqual({ tunnelType: 'vxlan', vni: 649 });
    expect(vx.outbound.at(-1)!.name).toBe('vxlan-0a00140b');
    expect(vx.findings).toEqual([]);
  });

  it('finds a table 22 whose tun_id disagrees with table 3 for the lvid', () => {
    const dp = snapshotDatapath(
      ovsSnapshot('ovs1', (f) => {
        f['ovs1-flows-br-tun.txt'] = f['ovs1-flows-br-tun.txt']!.replace(
          'priority=1,dl_vlan=4 actions=strip_vlan,load:0x289->',
          'priority=1,dl_vlan=4 actions=strip_vlan,load:0x28a->',
        );
      }),
    )!;
    const gre = dp.ports.find((p) => p.lvid === 4)!;
    expect(gre.findings).toEqual([{ kind: 'lvid_segment_mismatch', message: 'table 22 of lvid 4 sets tun_id 650, table 3 maps gre 649 to lvid 4' }]);
    expect(gre.outbound.find((h) => h.name === 'table 22')!.ok).toBe(false);
  });

  it('finds a port tagged with an lvid no segment maps to, and a dead-VLAN port', () => {
    const dp = snapshotDatapath(
      ovsSnapshot('ovs1', (f) => {
        f['ovs1-ovs-vsctl-show.txt'] = f['ovs1-ovs-vsctl-show.txt']!.replace('tag: 4', 'tag: 7').replace('tag: 3', 'tag: 4095');
      }),
    )!;
    expect(dp.ports.map((p) => [p.port, p.findings.map((f) => f.kind)])).toEqual([
      ['tap1d015803-95', ['lvid_unmapped']],
      ['tap9f3cc92a-62', ['port_dead_vlan']],
    ]);
    expect(dp.ports[0]!.inbound).toEqual([]);
  });
});

describe('the hybrid chain on fixtures/gre-hybrid ovs1 (iptables_hybrid: tap -> qbr -> qvb = qvo -> br-int)', () => {
  const hybridSnapshot = (edit?: (files: Record<string, string>) => void): FullNodeSnapshot => {
    const files = bundleFilesOf('gre-hybrid', '1-hybrid');
    edit?.(files);
    return snapshotsFromBundle(files, { takenAt: 0 }).snapshots.find((s) => s.host === 'ovs1')!;
  };
  const text = bundleFilesOf('gre-hybrid', '1-hybrid')['ovs1-ip-link.json']!;

  it("keeps tap / qbr / qvb / qvo links with masters and veth peers (the lab's tap is a veth to the VM namespace)", () => {
    const links = parseHybridLinks(text);
    expect(links.filter((l) => l.name.endsWith('79f93f88-7a'))).toEqual([
      { name: 'qbr79f93f88-7a', kind: 'bridge', master: null, peer: null, up: true },
      { name: 'qvb79f93f88-7a', kind: 'veth', master: 'qbr79f93f88-7a', peer: 'qvo79f93f88-7a', up: true },
      { name: 'qvo79f93f88-7a', kind: 'veth', master: null, peer: 'qvb79f93f88-7a', up: true },
      { name: 'tap79f93f88-7a', kind: 'veth', master: 'qbr79f93f88-7a', peer: null, up: true },
    ]);
    // lo, ul0, br-phy, br-int, br-tun, ovs-netdev are not the chain's
    expect(links.map((l) => l.name.slice(0, 3)).sort()).toEqual(['qbr', 'qbr', 'qvb', 'qvb', 'qvo', 'qvo', 'tap', 'tap']);
  });

  it("draws the GRE VM's path: tap -> qbr -> qvb = qvo (tag 2) -> br-tun table 22 -> gre-0a001416, and back", () => {
    const dp = snapshotDatapath(hybridSnapshot())!;
    expect(dp.ports.map((p) => [p.port, p.lvid, p.segment])).toEqual([
      ['qvo4ef489f4-3f', 1, { tunnelType: 'vxlan', vni: 649 }],
      ['qvo79f93f88-7a', 2, { tunnelType: 'gre', vni: 649 }],
    ]);
    const gre = dp.ports[1]!;
    expect(gre.tap).toBe('tap79f93f88-7a');
    expect(gre.hybrid).toEqual({ qbr: 'qbr79f93f88-7a', qvb: 'qvb79f93f88-7a', qvo: 'qvo79f93f88-7a' });
    expect(gre.findings).toEqual([]);
    expect(hops(gre.outbound)).toEqual([
      "ok  tap79f93f88-7a: the VM's NIC, port of qbr79f93f88-7a",
      'ok  qbr79f93f88-7a: Linux bridge (iptables_hybrid firewall: security groups filter here)',
      'ok  qvb79f93f88-7a = qvo79f93f88-7a: veth pair',
      'ok  qvo79f93f88-7a: ofport 3, tag 2',
      'ok  patch-tun = patch-int: patch ports to br-tun (the frame keeps its lvid tag)',
      'ok  table 0: in_port=1 -> table 2',
      'ok  table 2: unicast dl_dst -> table 20, multicast / broadcast -> table 22',
      'ok  table 20: fa:16:3e:8f:76:9b -> tun_id 0x289, gre-0a001416; fa:16:3e:8f:76:9b -> tun_id 0x289, gre-0a001416 (learned)',
      'ok  table 22: dl_vlan=2 -> strip_vlan, tun_id 0x289, output gre-0a001416',
      'ok  gre-0a001416: gre to 10.0.20.22',
    ]);
    expect(hops(gre.inbound).at(-1)).toBe('ok  qvo79f93f88-7a: tag 2 stripped towards qvb79f93f88-7a -> qbr79f93f88-7a -> tap79f93f88-7a');
    expect(dp.ports[0]!.findings).toEqual([]);
  });

  it('finds a qvb that left its qbr', () => {
    const links = (JSON.parse(text) as { ifname: string; master?: string }[]).map((l) => (l.ifname === 'qvb79f93f88-7a' ? { ...l, master: undefined } : l));
    const dp = snapshotDatapath(
      hybridSnapshot((f) => {
        f['ovs1-ip-link.json'] = JSON.stringify(links);
      }),
    )!;
    expect(dp.ports.map((p) => p.findings)).toEqual([
      [],
      [{ kind: 'hybrid_chain_broken', message: 'qvb79f93f88-7a, veth peer of qvo79f93f88-7a, is on no Linux bridge (expected qbr79f93f88-7a)' }],
    ]);
  });
});

describe('bounds', () => {
  it('a bridge without ports is kept', () => {
    expect(parseOvsVsctlBridges('x\n    Bridge br-empty\n        fail_mode: secure\n')).toEqual([{ name: 'br-empty', ports: [] }]);
  });

  it('more bridges or links than the limits are cut, and the snapshot says so', () => {
    const show = Array.from(
      { length: OVS_HOST_LIMITS.bridges + 5 },
      (_, i) => `    Bridge br-${i}\n        Port p${i}\n            tag: 1\n            Interface p${i}`,
    ).join('\n');
    const links = JSON.stringify(
      Array.from({ length: OVS_HOST_LIMITS.links + 5 }, (_, i) => ({ ifname: `qvo${i}`, flags: ['UP'], linkinfo: { info_kind: 'veth' } })),
    );
    const snap = ovsSnapshot('ovs1', (f) => {
      f['ovs1-ovs-vsctl-show.txt'] = show;
      f['ovs1-ip-link.json'] = links;
    });
    expect(snap.openvswitch!.host!.bridges).toHaveLength(OVS_HOST_LIMITS.bridges);
    expect(snap.openvswitch!.host!.links).toHaveLength(OVS_HOST_LIMITS.links);
    expect(snap.truncated).toEqual(expect.arrayContaining(['openvswitch.host.bridges', 'openvswitch.host.links']));
    expect(() => parseNodeSnapshot(JSON.parse(JSON.stringify(snap)))).not.toThrow();
  });

  it('hostile ip-link JSON is an error of its source, not a crash', () => {
    const snap = ovsSnapshot('ovs1', (f) => {
      f['ovs1-ip-link.json'] = '[{"ifname": 5}]';
    });
    expect(snap.openvswitch!.host!.links).toBeNull();
    expect(snap.errors.map((e) => e.source)).toContain('ipLinkDetails');
  });
});
