/**
 * Expected-vs-actual analysis on real captures and real kernel / br-tun snapshots from the lab
 * (fixtures/lab1..3, switch-noclean, faults, mixed, ovs-node, ovs-try), plus faults injected into
 * copies of real snapshots.
 */
import { describe, expect, it } from 'vitest';
import { ClusterModel, FLOOD_MAC, analyzeNodes, decodeMessage, snapshotsFromBundle, type NodeAnalysis } from '../../src';
import { FIXTURES, loadCapture, modelAt, snapshotTimes } from '../fixtures';
import { analyzeStep, bundleFilesOf, driftLines, editJson, foreignLines, itemLines, stepsOf } from './helpers';

const HOSTS = ['compute1', 'compute2', 'controller'];
const VTEP: Record<string, string> = { controller: '10.0.20.11', compute1: '10.0.20.12', compute2: '10.0.20.13', compute3: '10.0.20.14', ovs1: '10.0.20.21' };

type FdbJson = { mac: string; ifname: string; dst?: string; flags: string[]; state: string; master?: string }[];
type NeighJson = { dst: string; dev: string; lladdr: string; state: string[] }[];
type LinkJson = { linkinfo: { info_data: Record<string, unknown> } }[];

function expectClean(a: NodeAnalysis, hosts = HOSTS): void {
  for (const h of hosts) {
    expect({ host: h, drift: driftLines(a, h), foreign: foreignLines(a, h) }).toEqual({ host: h, drift: [], foreign: [] });
    for (const f of Object.values(a.hosts[h]!.flood)) expect({ host: h, excess: f.excess, missing: f.missing, actual: f.actual }).toEqual({ host: h, excess: [], missing: [], actual: f.ideal });
  }
  expect(a.findings).toEqual([]);
}

describe.each(['lab2', 'lab3'])('%s (l2pop on): zero drift on every host at every step', (lab) => {
  it.each(stepsOf(lab))('%s', (step) => {
    const a = analyzeStep(lab, step);
    expectClean(a);
    for (const h of HOSTS) {
      const m = a.hosts[h]!.mode;
      expect(m).toMatchObject({ agentType: 'linuxbridge', vtep: VTEP[h], l2pop: 'on', l2popSource: 'report_state' });
      if (step !== '0-agents-restarted') {
        expect(m.floodMode).toBe('unicast');
        expect(m.arpResponder).toBe(lab === 'lab3' ? 'on' : 'off');
        expect(m.udpPorts).toEqual([8472]);
      }
      // own VTEP skipped: never an ideal recipient of its own BUM
      for (const f of Object.values(a.hosts[h]!.flood)) expect(f.ideal).not.toContain(VTEP[h]);
    }
  });

  it('flood lists at 2-after-ping: every other VTEP, head-end replicated', () => {
    const a = analyzeStep(lab, '2-after-ping');
    const [f] = Object.values(a.hosts.controller!.flood);
    expect(f).toMatchObject({ vni: 649, actual: ['10.0.20.12', '10.0.20.13'], ideal: ['10.0.20.12', '10.0.20.13'], copies: 2 });
  });

  it('5-after-delete-compute2: compute2 keeps applying the network (network_map kept), the others stop flooding to it', () => {
    const a = analyzeStep(lab, '5-after-delete-compute2');
    expect(Object.values(a.hosts.compute2!.flood)[0]!.actual).toEqual(['10.0.20.11', '10.0.20.12']);
    expect(Object.values(a.hosts.controller!.flood)[0]!.actual).toEqual(['10.0.20.12']);
  });
});

describe('lab1 (l2pop off): flood-and-learn with multicast group 224.0.0.1, no complaint about missing l2pop entries', () => {
  it.each(stepsOf('lab1'))('%s', (step) => {
    const a = analyzeStep('lab1', step);
    expect(a.findings).toEqual([]);
    for (const h of HOSTS) {
      const r = a.hosts[h]!;
      expect(r.mode).toMatchObject({ l2pop: 'off', l2popSource: 'report_state' });
      expect(r.drift.every((d) => d.class === 'learned_only')).toBe(true);
      if (step === '0-agents-restarted') continue;
      expect(r.mode).toMatchObject({ floodMode: 'multicast', vxlanGroups: ['224.0.0.1'], summary: 'flood-and-learn (multicast group 224.0.0.1)' });
      for (const f of Object.values(r.flood)) {
        expect(f.actual).toEqual(['224.0.0.1']);
        expect(f.missing).toEqual([]);
      }
    }
  });

  it('2-after-ping: the learned rows are reported as learned_only, with the VTEP they were learned from', () => {
    const a = analyzeStep('lab1', '2-after-ping');
    expect(driftLines(a, 'controller')).toEqual(['learned_only fa:16:3e:7c:17:cb 172.16.1.12 10.0.20.12', 'learned_only fa:16:3e:fe:61:a5 172.16.1.13 10.0.20.13']);
    expect(a.hosts.controller!.drift[0]!.evidence[0]).toEqual({ host: 'controller', source: 'linuxbridge.fdb', file: 'controller-bridge-fdb.json', text: 'fa:16:3e:7c:17:cb dev vxlan-649 dst 10.0.20.12 self' });
  });

  it('5-after-delete-compute2: the group still reaches compute2, which has no port left: excess', () => {
    const a = analyzeStep('lab1', '5-after-delete-compute2');
    expect(Object.values(a.hosts.controller!.flood)[0]).toMatchObject({ actual: ['224.0.0.1'], ideal: ['10.0.20.12'], reach: ['10.0.20.12', '10.0.20.13'], excess: ['10.0.20.13'], missing: [], copies: 1 });
  });
});

describe('switch-noclean (real): Lab1 -> Lab3 in place, then clean', () => {
  it('before: Lab1, no finding', () => {
    for (const step of ['1-lab1-ports-active', '2-lab1-after-ping']) {
      const a = analyzeStep('switch-noclean', step);
      expect(a.findings).toEqual([]);
      for (const h of HOSTS) expect(a.hosts[h]!.mode.summary).toBe('flood-and-learn (multicast group 224.0.0.1)');
    }
  });

  it.each(['3-inplace-switched', '4-inplace-after-ping'])('%s: half_switched_vxlan on every host; BUM leaves 1 + 2 times', (step) => {
    const a = analyzeStep('switch-noclean', step);
    expect(a.findings.map((f) => [f.kind, f.hosts])).toEqual([['half_switched_vxlan', HOSTS]]);
    const f = a.findings[0]!;
    expect(f.vni).toBe(649);
    expect(f.detail).toMatch(/controller: vxlan-649 still floods to multicast 224\.0\.0\.1 and also holds 2 l2pop flood entries: BUM leaves 3 times; 2 ARP responder entries on vxlan-649 without "proxy"/);
    expect(f.evidence.some((e) => e.host === 'compute1' && e.file === 'compute1-ip-link-vxlan.json' && /group 224\.0\.0\.1/.test(e.text) && !/proxy/.test(e.text))).toBe(true);
    expect(f.evidence.some((e) => e.source === 'linuxbridge.neigh')).toBe(true);
    for (const h of HOSTS) {
      const r = a.hosts[h]!;
      expect(r.mode.floodMode).toBe('multicast+unicast');
      expect(driftLines(a, h)).toEqual([]);
      const [fl] = Object.values(r.flood);
      expect(fl).toMatchObject({ excess: ['224.0.0.1'], missing: [], copies: 3 });
      expect(fl!.actual).toEqual(['10.0.20.11', '10.0.20.12', '10.0.20.13', '224.0.0.1'].filter((v) => v !== VTEP[h]));
    }
  });

  it.each(['5-clean-lab3', '6-clean-after-ping'])('%s: a clean switch clears it', (step) => {
    const a = analyzeStep('switch-noclean', step);
    expectClean(a);
    for (const h of HOSTS) expect(a.hosts[h]!.mode.summary).toBe('l2pop (head-end replication), ARP responder on');
  });
});

describe('faults (real): injected by hand on a Lab3 kernel, flagged with the right class, cleared when undone', () => {
  const cases: [string, Record<string, string[]>][] = [
    ['1-fault-flood-deleted', { controller: [`missing_flood ${FLOOD_MAC} - 10.0.20.12`] }],
    ['3-fault-stale-mac', { compute1: ['stale_entry fa:16:3e:00:00:99 - 10.0.20.13'] }],
    ['5-fault-neigh-deleted', { controller: ['neigh_missing fa:16:3e:65:c3:74 172.16.1.12 -'] }],
    ['7-fault-wrong-vtep', { compute2: ['wrong_vtep fa:16:3e:8e:a8:0d 172.16.1.11 10.0.20.12'] }],
    ['9-fault-neigh-wrong-unicast-deleted', { compute1: ['missing_unicast fa:16:3e:f3:4d:52 172.16.1.13 10.0.20.13', 'neigh_stale fa:16:3e:00:00:98 172.16.1.13 -'] }],
    // l2pop on: a learned MAC Neutron never announced is a foreign MAC, not drift
    ['11-fault-learned-unknown-mac', { controller: ['foreign_mac fa:16:3e:00:00:77 - 10.0.20.13'] }],
  ];
  it.each(cases)('%s', (step, expected) => {
    const a = analyzeStep('faults', step);
    for (const h of HOSTS) expect({ h, d: itemLines(a, h) }).toEqual({ h, d: expected[h] ?? [] });
    expect(a.findings).toEqual([]);
  });

  it.each(['0-baseline', '2-undone-flood', '4-undone-stale-mac', '6-undone-neigh', '8-undone-wrong-vtep', '10-undone-neigh-unicast', '12-undone-learned'])('%s: clean', (step) => {
    expectClean(analyzeStep('faults', step));
  });

  it('details name the expectation', () => {
    const wrong = analyzeStep('faults', '7-fault-wrong-vtep').hosts.compute2!.drift[0]!;
    expect(wrong).toMatchObject({ expectedVtep: '10.0.20.11', dev: 'vxlan-649' });
    expect(wrong.evidence[0]!.text).toBe('fa:16:3e:8e:a8:0d dev vxlan-649 dst 10.0.20.12 self permanent');
    const neigh = analyzeStep('faults', '9-fault-neigh-wrong-unicast-deleted').hosts.compute1!.drift.find((d) => d.class === 'neigh_stale')!;
    expect(neigh.expectedMac).toBe('fa:16:3e:f3:4d:52');
    const flood = analyzeStep('faults', '1-fault-flood-deleted').hosts.controller!.flood;
    expect(Object.values(flood)[0]).toMatchObject({ actual: ['10.0.20.13'], missing: ['10.0.20.12'] });
  });
});

describe('mixed (real): controller Lab3, compute1 Lab2, compute2 Lab1', () => {
  it.each(['1-mixed-ports-active', '2-mixed-after-ping'])('%s: mixed_arp_responder and mixed_l2pop, hosts named', (step) => {
    const a = analyzeStep('mixed', step);
    expect(a.findings.map((f) => [f.kind, f.hosts])).toEqual([
      ['mixed_arp_responder', HOSTS],
      ['mixed_l2pop', HOSTS],
    ]);
    expect(a.findings[0]!.detail).toMatch(/^ARP responder on: controller; off: compute1, compute2\. The vxlan "proxy" on controller consumes every ARP packet/);
    expect(a.findings[1]!.detail).toMatch(/^l2_population on: compute1, controller; off: compute2\./);
    expect(a.findings[1]!.evidence.map((e) => `${e.host} ${e.source}`)).toEqual(['compute1 report_state', 'compute2 report_state', 'controller report_state']);
    expect(a.hosts.compute2!.mode.summary).toBe('flood-and-learn (multicast group 224.0.0.1)');
    // 224.0.0.1 is all-hosts: compute2's multicast BUM reaches the l2pop hosts too (the pings between them work)
    expect(Object.values(a.hosts.compute2!.flood)[0]).toMatchObject({ actual: ['224.0.0.1'], missing: [], excess: [] });
    for (const h of ['controller', 'compute1']) expect(driftLines(a, h)).toEqual([]);
  });

  it('3-arp-responder-off: only mixed_l2pop is left', () => {
    expect(analyzeStep('mixed', '3-arp-responder-off').findings.map((f) => f.kind)).toEqual(['mixed_l2pop']);
  });

  it.each(['5-all-lab2', '6-all-lab2-after-ping'])('%s: consistent Lab2, clean', (step) => {
    expectClean(analyzeStep('mixed', step));
  });
});

describe('ovs-node (real): 3 Linux bridge hosts + ovs1 (neutron-openvswitch-agent), br-tun parsed into the same model', () => {
  const LB = ['compute1', 'compute2', 'controller'];
  it.each(['1-lab2-ports-active', '2-lab2-after-ping', '3-lab3', '4-lab3-after-ping', '7-lab3-again', '10-ini-restored'])('%s: zero drift everywhere; ovs1 floods to the LB VTEPs', (step) => {
    const a = analyzeStep('ovs-node', step);
    const hosts = Object.keys(a.hosts);
    expectClean(a, hosts);
    const ovs = a.hosts.ovs1!;
    expect(ovs.mode).toMatchObject({ agentType: 'openvswitch', vtep: '10.0.20.21', l2pop: 'on', floodMode: 'unicast', udpPorts: [8472] });
    expect(Object.values(ovs.flood)[0]!.actual).toEqual(hosts.filter((h) => h !== 'ovs1').map((h) => VTEP[h]).sort());
    for (const h of LB) expect(Object.values(a.hosts[h]!.flood)[0]!.actual).toContain('10.0.20.21');
  });

  it('3-lab3: ovs1 ARP responder from report_state, table 21 checked entry by entry', () => {
    const a = analyzeStep('ovs-node', '3-lab3');
    expect(a.hosts.ovs1!.mode).toMatchObject({ arpResponder: 'on', arpResponderSource: 'report_state' });
    const broken = analyzeStep('ovs-node', '3-lab3', (files) => {
      files['ovs1-flows-br-tun.txt'] = files['ovs1-flows-br-tun.txt']!.split('\n').filter((l) => !/table=21, .*arp_tpa=172\.16\.1\.12 /.test(l)).join('\n');
    });
    expect(driftLines(broken, 'ovs1')).toEqual(['neigh_missing fa:16:3e:19:6f:5b 172.16.1.12 -']);
  });

  it.each(['5-mixed-arp-responder', '6-mixed-after-ping'])('%s: Linux bridge responder on, OVS off: mixed_arp_responder (gotcha 13)', (step) => {
    const a = analyzeStep('ovs-node', step);
    expect(a.findings.map((f) => [f.kind, f.hosts])).toEqual([['mixed_arp_responder', ['compute1', 'compute2', 'controller', 'ovs1']]]);
    expect(a.findings[0]!.detail).toMatch(/^ARP responder on: compute1, compute2, controller; off: ovs1\./);
    expect(a.findings[0]!.evidence.find((e) => e.host === 'ovs1')).toMatchObject({ source: 'openvswitch.brTun', file: 'ovs1-flows-br-tun.txt' });
  });

  it('8-udp-port-4789: the ini changed but the existing tunnel ports kept 8472: a note, no finding yet', () => {
    const a = analyzeStep('ovs-node', '8-udp-port-4789');
    expect(a.findings).toEqual([]);
    expect(a.hosts.ovs1!.mode.notes).toContain("the ini's UDP port is 4789 but the tunnel ports use 8472: existing tunnel ports keep their port, new ones get 4789");
  });

  it('9-compute3-joined: the new tunnel to compute3 uses 4789, compute3 listens on 8472: udp_port_mismatch', () => {
    const a = analyzeStep('ovs-node', '9-compute3-joined');
    expect(a.findings.map((f) => [f.kind, f.hosts])).toEqual([['udp_port_mismatch', ['compute3', 'ovs1']]]);
    expect(a.findings[0]!.detail).toMatch(/^ovs1 sends VXLAN to compute3 \(10\.0\.20\.14\) on UDP 4789, compute3 listens on 8472/);
    expect(a.findings[0]!.evidence.map((e) => e.text)).toContain('vxlan-0a00140e type=vxlan ofport=5 remote_ip=10.0.20.14 local_ip=10.0.20.21 dst_port=(default 4789)');
    expect(a.hosts.ovs1!.mode.udpPorts).toEqual([4789, 8472]);
  });

  it('faults injected into a copy of ovs1\'s br-tun: flood output removed, unicast moved, learned flow', () => {
    const a = analyzeStep('ovs-node', '2-lab2-after-ping', (files) => {
      files['ovs1-flows-br-tun.txt'] = files['ovs1-flows-br-tun.txt']!
        .replace(/(table=22, .*dl_vlan=1 actions=.*),output:4/, '$1')
        .replace(/(dl_dst=fa:16:3e:87:3e:7c actions=strip_vlan,load:0x289->NXM_NX_TUN_ID\[\]),output:2/, '$1,output:3')
        .concat(' cookie=0x1, duration=1s, table=20, n_packets=1, n_bytes=1, hard_timeout=300, idle_age=1, priority=1,vlan_tci=0x0001/0x0fff,dl_dst=fa:16:3e:00:00:55 actions=load:0->NXM_OF_VLAN_TCI[],load:0x289->NXM_NX_TUN_ID[],output:2\n');
    });
    expect(driftLines(a, 'ovs1')).toEqual(['missing_flood 00:00:00:00:00:00 - 10.0.20.11', 'wrong_vtep fa:16:3e:87:3e:7c 172.16.1.13 10.0.20.12']);
    expect(foreignLines(a, 'ovs1')).toEqual(['foreign_mac fa:16:3e:00:00:55 - 10.0.20.13']);
    expect(Object.values(a.hosts.ovs1!.flood)[0]).toMatchObject({ actual: ['10.0.20.12', '10.0.20.13'], missing: ['10.0.20.11'] });
  });
});

describe('ovs-try (real, no ofports): ovs1\'s flood list from table 22 = the three Linux bridge VTEPs', () => {
  it('flood list matched set-wise; no drift', () => {
    const files = bundleFilesOf('ovs-try', '.');
    const bundle = { 'ovs1-flows-br-tun.txt': files['ovs1-flows-br-tun.txt']!, 'ovs1-ovs-vsctl-show.txt': files['ovs1-ovs-vsctl-show.txt']!, 'ovs1-agent.ini': files['openvswitch_agent.ini']! };
    const a = analyzeNodes({ model: modelAt(loadCapture('ovs-try')), snapshots: snapshotsFromBundle(bundle).snapshots });
    const ovs = a.hosts.ovs1!;
    expect(Object.values(ovs.flood)).toEqual([expect.objectContaining({ vni: 649, actual: ['10.0.20.11', '10.0.20.12', '10.0.20.13'], ideal: ['10.0.20.11', '10.0.20.12', '10.0.20.13'], excess: [], missing: [], copies: 3 })]);
    expect(ovs.drift).toEqual([]);
    expect(ovs.mode.notes.join('\n')).toMatch(/matched as a set/);
    // the Linux bridge hosts have no JSON snapshot in ovs-try: listed from report_state only
    expect(a.hosts.controller).toMatchObject({ snapshot: null, drift: [], flood: {} });
  });
});

describe('faults injected into copies of real snapshots', () => {
  it('missing_flood / stale_entry / wrong_vtep (lab2, controller)', () => {
    const a = analyzeStep('lab2', '2-after-ping', (files) =>
      editJson<FdbJson>(files, 'controller-bridge-fdb.json', (rows) => {
        const out = rows.filter((r) => !(r.mac === FLOOD_MAC && r.dst === '10.0.20.13'));
        out.push({ mac: 'fa:16:3e:aa:aa:aa', ifname: 'vxlan-649', dst: '10.0.20.12', flags: ['self'], state: 'permanent' });
        for (const r of out) if (r.mac === 'fa:16:3e:b4:2c:fc' && r.dst) r.dst = '10.0.20.12';
        return out;
      }),
    );
    expect(driftLines(a, 'controller')).toEqual([`missing_flood ${FLOOD_MAC} - 10.0.20.13`, 'stale_entry fa:16:3e:aa:aa:aa - 10.0.20.12', 'wrong_vtep fa:16:3e:b4:2c:fc 172.16.1.13 10.0.20.12']);
    expect(driftLines(a, 'compute1')).toEqual([]);
  });

  it('a flood entry to a VTEP with no ports left is stale (wasted BUM), and excess in the flood list', () => {
    const a = analyzeStep('lab2', '5-after-delete-compute2', (files) =>
      editJson<FdbJson>(files, 'controller-bridge-fdb.json', (rows) => [...rows, { mac: FLOOD_MAC, ifname: 'vxlan-649', dst: '10.0.20.13', flags: ['self'], state: 'permanent' }]),
    );
    expect(driftLines(a, 'controller')).toEqual([`stale_entry ${FLOOD_MAC} - 10.0.20.13`]);
    expect(Object.values(a.hosts.controller!.flood)[0]).toMatchObject({ excess: ['10.0.20.13'], copies: 2 });
  });

  it('learned rows with l2pop on: a foreign MAC (not drift) for an unknown MAC; missing_unicast when it replaced an l2pop entry', () => {
    const a = analyzeStep('lab2', '2-after-ping', (files) =>
      editJson<FdbJson>(files, 'compute1-bridge-fdb.json', (rows) => {
        for (const r of rows) if (r.mac === 'fa:16:3e:dd:6f:d2' && r.dst) r.state = '';
        rows.push({ mac: 'fa:16:3e:00:00:42', ifname: 'vxlan-649', dst: '10.0.20.13', flags: ['self'], state: '' });
      }),
    );
    expect(driftLines(a, 'compute1')).toEqual(['missing_unicast fa:16:3e:dd:6f:d2 172.16.1.11 10.0.20.11']);
    expect(foreignLines(a, 'compute1')).toEqual(['foreign_mac fa:16:3e:00:00:42 - 10.0.20.13']);
    expect(a.hosts.compute1!.foreignMacs[0]).toMatchObject({ network: a.hosts.compute1!.drift[0]!.network, dev: 'vxlan-649', evidence: [{ source: 'linuxbridge.fdb' }] });
    expect(a.hosts.compute1!.drift[0]!.detail).toMatch(/reached only through a learned row dst 10\.0\.20\.11/);
  });

  it('neigh_missing / neigh_stale (lab3, compute2)', () => {
    const a = analyzeStep('lab3', '2-after-ping', (files) =>
      editJson<NeighJson>(files, 'compute2-ip-neigh.json', (rows) => {
        const out = rows.filter((r) => r.dst !== '172.16.1.11');
        for (const r of out) if (r.dst === '172.16.1.12') r.lladdr = 'fa:16:3e:00:00:01';
        out.push({ dst: '172.16.1.99', dev: 'vxlan-649', lladdr: 'fa:16:3e:00:00:02', state: ['PERMANENT'] });
        return out;
      }),
    );
    expect(driftLines(a, 'compute2')).toEqual(['neigh_missing fa:16:3e:f1:e6:0b 172.16.1.11 -', 'neigh_stale fa:16:3e:00:00:01 172.16.1.12 -', 'neigh_stale fa:16:3e:00:00:02 172.16.1.99 -']);
    expect(a.hosts.compute2!.drift[1]).toMatchObject({ expectedMac: 'fa:16:3e:82:2d:00', evidence: [{ file: 'compute2-ip-neigh.json', text: '172.16.1.12 dev vxlan-649 lladdr fa:16:3e:00:00:01 PERMANENT' }] });
  });

  it('no neighbour checks without the ARP responder (lab2: PERMANENT rows are not expected, nor missing)', () => {
    const a = analyzeStep('lab2', '2-after-ping');
    expect(a.hosts.controller!.mode.arpResponder).toBe('off');
    expect(driftLines(a, 'controller')).toEqual([]);
  });

  it('half_switched_vxlan: group still set next to l2pop rows; responder entries without proxy', () => {
    const a = analyzeStep('lab3', '2-after-ping', (files) => {
      editJson<LinkJson>(files, 'compute1-ip-link-vxlan.json', (links) => {
        links[0]!.linkinfo.info_data.group = '224.0.0.1';
      });
      editJson<LinkJson>(files, 'compute2-ip-link-vxlan.json', (links) => {
        delete links[0]!.linkinfo.info_data.proxy;
      });
    });
    const half = a.findings.filter((f) => f.kind === 'half_switched_vxlan');
    expect(half.map((f) => f.hosts)).toEqual([['compute1', 'compute2']]);
    expect(half[0]!.detail).toMatch(/compute1: vxlan-649 still floods to multicast 224\.0\.0\.1 and also holds 2 l2pop flood entries: BUM leaves 3 times/);
    expect(half[0]!.detail).toMatch(/compute2: 2 ARP responder entries on vxlan-649 without "proxy"/);
    expect(Object.values(a.hosts.compute1!.flood)[0]).toMatchObject({ excess: ['224.0.0.1'], copies: 3 });
  });

  it('mixed_arp_responder when one host\'s device has no proxy (mode from the kernel)', () => {
    const a = analyzeStep('lab3', '1-ports-active', (files) => {
      editJson<LinkJson>(files, 'compute2-ip-link-vxlan.json', (links) => {
        delete links[0]!.linkinfo.info_data.proxy;
      });
      editJson<NeighJson>(files, 'compute2-ip-neigh.json', (rows) => rows.filter((r) => r.dev !== 'vxlan-649'));
    });
    expect(a.findings.map((f) => [f.kind, f.hosts])).toEqual([['mixed_arp_responder', HOSTS]]);
    expect(a.findings[0]!.detail).toMatch(/^ARP responder on: compute1, controller; off: compute2\./);
  });

  it('udp_port_mismatch when one device uses another port', () => {
    const a = analyzeStep('lab2', '1-ports-active', (files) =>
      editJson<LinkJson>(files, 'controller-ip-link-vxlan.json', (links) => {
        links[0]!.linkinfo.info_data.port = 4789;
      }),
    );
    const f = a.findings.find((x) => x.kind === 'udp_port_mismatch')!;
    expect(f.hosts).toEqual(HOSTS);
    expect(f.detail).toMatch(/controller sends VXLAN to compute1 \(10\.0\.20\.12\) on UDP 4789, compute1 listens on 8472/);
    expect(f.detail).toMatch(/compute1 sends VXLAN to controller \(10\.0\.20\.11\) on UDP 8472, controller listens on 4789/);
  });
});

describe('model semantics', () => {
  it('idempotent: every message applied twice gives the same analysis', () => {
    const at = snapshotTimes('lab3').get('4-after-ip-change')!;
    const twice = new ClusterModel();
    let seq = 0;
    for (const r of loadCapture('lab3')) {
      if (r.ts.getTime() > at) break;
      const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
      if (!d.ok) continue;
      twice.apply(d.message, r.ts.getTime(), ++seq);
      twice.apply(d.message, r.ts.getTime(), ++seq);
    }
    const { snapshots } = snapshotsFromBundle(bundleFilesOf('lab3', '4-after-ip-change'), { takenAt: at });
    expect(analyzeNodes({ model: twice, snapshots })).toEqual(analyzeStep('lab3', '4-after-ip-change'));
  });

  it('a ModelSnapshot gives the same result as the live model', () => {
    const at = snapshotTimes('lab2').get('2-after-ping')!;
    const model = modelAt(loadCapture('lab2'), at);
    const { snapshots } = snapshotsFromBundle(bundleFilesOf('lab2', '2-after-ping'), { takenAt: at });
    expect(analyzeNodes({ model: model.snapshot(), snapshots })).toEqual(analyzeNodes({ model, snapshots }));
  });

  it('without report_state, l2pop comes from the ini; without both, from the kernel', () => {
    const at = snapshotTimes('faults').get('0-baseline')!;
    const noReports = loadCapture('faults').filter((r) => r.routingKey !== 'q-reports-plugin');
    const files = bundleFilesOf('faults', '0-baseline');
    const withIni = analyzeNodes({ model: modelAt(noReports, at), snapshots: snapshotsFromBundle(files).snapshots });
    expect(withIni.hosts.controller!.mode).toMatchObject({ l2pop: 'on', l2popSource: 'ini', arpResponder: 'on', arpResponderSource: 'ini', vtep: '10.0.20.11' });
    expect(driftLines(withIni, 'controller')).toEqual([]);
    const bare = Object.fromEntries(Object.entries(files).filter(([f]) => !f.endsWith('-agent.ini')));
    const kernelOnly = analyzeNodes({ model: modelAt(noReports, at), snapshots: snapshotsFromBundle(bare).snapshots });
    expect(kernelOnly.hosts.controller!.mode).toMatchObject({ l2pop: 'on', l2popSource: 'kernel', arpResponderSource: 'vxlan_proxy' });
  });

  it('a host the model knows but without a snapshot is listed, not evaluated', () => {
    const at = snapshotTimes('lab2').get('2-after-ping')!;
    const files = Object.fromEntries(Object.entries(bundleFilesOf('lab2', '2-after-ping')).filter(([f]) => f.startsWith('controller-')));
    const a = analyzeNodes({ model: modelAt(loadCapture('lab2'), at), snapshots: snapshotsFromBundle(files).snapshots });
    expect(Object.keys(a.hosts)).toEqual(HOSTS);
    expect(a.hosts.compute1).toMatchObject({ snapshot: null, drift: [], flood: {}, mode: { l2pop: 'on', notes: ['no node snapshot: drift and flood lists not evaluated'] } });
  });

  it('fixtures root is where the tests read', () => {
    expect(FIXTURES).toMatch(/fixtures$/);
  });
});
