/**
 * An OVS host's datapath (ovs-host.ts, ovs-datapath.ts) on real lab output: fixtures/gre-ovs
 * (ovs1: a VXLAN and a GRE network, both segmentation id 649, taps on br-int, `firewall_driver =
 * noop`) and fixtures/hybrid-chain (a qbr / qvb / qvo chain's `ip -j -d link show`).
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
import { readFixture } from '../fixtures';
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

describe('the hybrid chain (fixtures/hybrid-chain)', () => {
  const text = readFixture('hybrid-chain', 'ip-link.json');
  it('keeps tap / qbr / qvb / qvo links with masters and veth peers', () => {
    expect(parseHybridLinks(text)).toEqual([
      { name: 'qbr1d015803-95', kind: 'bridge', master: null, peer: null, up: true },
      { name: 'qvb1d015803-95', kind: 'veth', master: 'qbr1d015803-95', peer: 'qvo1d015803-95', up: true },
      { name: 'qvo1d015803-95', kind: 'veth', master: null, peer: 'qvb1d015803-95', up: true },
      { name: 'tap1d015803-95', kind: 'tun', master: 'qbr1d015803-95', peer: null, up: true },
    ]);
  });

  it('draws tap -> qbr -> qvb = qvo -> br-int when br-int holds the qvo end', () => {
    const dp = snapshotDatapath(
      ovsSnapshot('ovs1', (f) => {
        f['ovs1-ovs-vsctl-show.txt'] = f['ovs1-ovs-vsctl-show.txt']!.replaceAll('tap1d015803-95', 'qvo1d015803-95');
        f['ovs1-ip-link.json'] = text;
      }),
    )!;
    const p = dp.ports.find((x) => x.port === 'qvo1d015803-95')!;
    expect(p.hybrid).toEqual({ qbr: 'qbr1d015803-95', qvb: 'qvb1d015803-95', qvo: 'qvo1d015803-95' });
    expect(p.findings).toEqual([]);
    expect(hops(p.outbound).slice(0, 4)).toEqual([
      "ok  tap1d015803-95: the VM's NIC, port of qbr1d015803-95",
      'ok  qbr1d015803-95: Linux bridge (iptables_hybrid firewall: security groups filter here)',
      'ok  qvb1d015803-95 = qvo1d015803-95: veth pair',
      'ok  qvo1d015803-95: ofport ?, tag 4',
    ]);
  });

  it('finds a qvb that left its qbr', () => {
    const links = (JSON.parse(text) as { ifname: string; master?: string }[]).map((l) => (l.ifname.startsWith('qvb') ? { ...l, master: undefined } : l));
    const dp = snapshotDatapath(
      ovsSnapshot('ovs1', (f) => {
        f['ovs1-ovs-vsctl-show.txt'] = f['ovs1-ovs-vsctl-show.txt']!.replaceAll('tap1d015803-95', 'qvo1d015803-95');
        f['ovs1-ip-link.json'] = JSON.stringify(links);
      }),
    )!;
    expect(dp.ports.find((x) => x.port === 'qvo1d015803-95')!.findings).toEqual([
      { kind: 'hybrid_chain_broken', message: 'qvb1d015803-95, veth peer of qvo1d015803-95, is on no Linux bridge (expected qbr1d015803-95)' },
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
