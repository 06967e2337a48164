/**
 * Expected-vs-actual analysis on real captures and real kernel / br-tun snapshots from the lab
 * (fixtures/lab1..3, switch-noclean, faults, mixed, ovs-node, ovs-try): every scenario end to end
 * (held state, mode, drift, flood lists, findings).
 */
import { describe, expect, it } from 'vitest';
import { FLOOD_MAC, analyzeNodes, snapshotsFromBundle } from '../../../src';
import { loadCapture, modelAt } from '../../fixtures';
import { analyzeStep, bundleFilesOf, driftLines, foreignLines, itemLines, stepsOf } from '../helpers';
import { HOSTS, VTEP, expectClean } from './lab';

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
    expect(driftLines(a, 'controller')).toEqual([
      'learned_only fa:16:3e:7c:17:cb 172.16.1.12 10.0.20.12',
      'learned_only fa:16:3e:fe:61:a5 172.16.1.13 10.0.20.13',
    ]);
    expect(a.hosts.controller!.drift[0]!.evidence[0]).toEqual({
      host: 'controller',
      source: 'linuxbridge.fdb',
      file: 'controller-bridge-fdb.json',
      text: 'fa:16:3e:7c:17:cb dev vxlan-649 dst 10.0.20.12 self',
    });
  });

  it('5-after-delete-compute2: the group still reaches compute2, which has no port left: excess', () => {
    const a = analyzeStep('lab1', '5-after-delete-compute2');
    expect(Object.values(a.hosts.controller!.flood)[0]).toMatchObject({
      actual: ['224.0.0.1'],
      ideal: ['10.0.20.12'],
      reach: ['10.0.20.12', '10.0.20.13'],
      excess: ['10.0.20.13'],
      missing: [],
      copies: 1,
    });
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
    expect(f.detail).toMatch(
      /controller: vxlan-649 still floods to multicast 224\.0\.0\.1 and also holds 2 l2pop flood entries: BUM leaves 3 times; 2 ARP responder entries on vxlan-649 without "proxy"/,
    );
    expect(
      f.evidence.some((e) => e.host === 'compute1' && e.file === 'compute1-ip-link-vxlan.json' && /group 224\.0\.0\.1/.test(e.text) && !/proxy/.test(e.text)),
    ).toBe(true);
    expect(f.evidence.some((e) => e.source === 'linuxbridge.neigh')).toBe(true);
    for (const h of HOSTS) {
      const r = a.hosts[h]!;
      expect(r.mode.floodMode).toBe('multicast+unicast');
      expect(r.mode.summary).toBe('vxlan-649: half-switched: multicast group 224.0.0.1 and 2 l2pop flood entries');
      expect(r.mode.networks.map((n) => n.floodMode)).toEqual(['multicast+unicast']);
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
    [
      '9-fault-neigh-wrong-unicast-deleted',
      { compute1: ['missing_unicast fa:16:3e:f3:4d:52 172.16.1.13 10.0.20.13', 'neigh_stale fa:16:3e:00:00:98 172.16.1.13 -'] },
    ],
    // l2pop on: a learned MAC Neutron never announced is a foreign MAC, not drift
    ['11-fault-learned-unknown-mac', { controller: ['foreign_mac fa:16:3e:00:00:77 - 10.0.20.13'] }],
  ];
  it.each(cases)('%s', (step, expected) => {
    const a = analyzeStep('faults', step);
    for (const h of HOSTS) expect({ h, d: itemLines(a, h) }).toEqual({ h, d: expected[h] ?? [] });
    expect(a.findings).toEqual([]);
  });

  it.each(['0-baseline', '2-undone-flood', '4-undone-stale-mac', '6-undone-neigh', '8-undone-wrong-vtep', '10-undone-neigh-unicast', '12-undone-learned'])(
    '%s: clean',
    (step) => {
      expectClean(analyzeStep('faults', step));
    },
  );

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
  it.each(['1-lab2-ports-active', '2-lab2-after-ping', '3-lab3', '4-lab3-after-ping', '7-lab3-again', '10-ini-restored'])(
    '%s: zero drift everywhere; ovs1 floods to the LB VTEPs',
    (step) => {
      const a = analyzeStep('ovs-node', step);
      const hosts = Object.keys(a.hosts);
      expectClean(a, hosts);
      const ovs = a.hosts.ovs1!;
      expect(ovs.mode).toMatchObject({ agentType: 'openvswitch', vtep: '10.0.20.21', l2pop: 'on', floodMode: 'unicast', udpPorts: [8472] });
      expect(Object.values(ovs.flood)[0]!.actual).toEqual(
        hosts
          .filter((h) => h !== 'ovs1')
          .map((h) => VTEP[h])
          .sort(),
      );
      for (const h of LB) expect(Object.values(a.hosts[h]!.flood)[0]!.actual).toContain('10.0.20.21');
    },
  );

  it('3-lab3: ovs1 ARP responder from report_state, table 21 checked entry by entry', () => {
    const a = analyzeStep('ovs-node', '3-lab3');
    expect(a.hosts.ovs1!.mode).toMatchObject({ arpResponder: 'on', arpResponderSource: 'report_state' });
    const broken = analyzeStep('ovs-node', '3-lab3', (files) => {
      files['ovs1-flows-br-tun.txt'] = files['ovs1-flows-br-tun.txt']!.split('\n')
        .filter((l) => !/table=21, .*arp_tpa=172\.16\.1\.12 /.test(l))
        .join('\n');
    });
    expect(driftLines(broken, 'ovs1')).toEqual(['neigh_missing fa:16:3e:19:6f:5b 172.16.1.12 -']);
  });

  it.each(['5-mixed-arp-responder', '6-mixed-after-ping'])('%s: Linux bridge responder on, OVS off: mixed_arp_responder (docs/lab.md#gotcha-13)', (step) => {
    const a = analyzeStep('ovs-node', step);
    expect(a.findings.map((f) => [f.kind, f.hosts])).toEqual([['mixed_arp_responder', ['compute1', 'compute2', 'controller', 'ovs1']]]);
    expect(a.findings[0]!.detail).toMatch(/^ARP responder on: compute1, compute2, controller; off: ovs1\./);
    expect(a.findings[0]!.evidence.find((e) => e.host === 'ovs1')).toMatchObject({ source: 'openvswitch.brTun', file: 'ovs1-flows-br-tun.txt' });
  });

  it('8-udp-port-4789: the ini changed but the existing tunnel ports kept 8472: a note, no finding yet', () => {
    const a = analyzeStep('ovs-node', '8-udp-port-4789');
    expect(a.findings).toEqual([]);
    expect(a.hosts.ovs1!.mode.notes).toContain(
      "the ini's UDP port is 4789 but the tunnel ports use 8472: existing tunnel ports keep their port, new ones get 4789",
    );
  });

  it('9-compute3-joined: the new tunnel to compute3 uses 4789, compute3 listens on 8472: udp_port_mismatch', () => {
    const a = analyzeStep('ovs-node', '9-compute3-joined');
    expect(a.findings.map((f) => [f.kind, f.hosts])).toEqual([['udp_port_mismatch', ['compute3', 'ovs1']]]);
    expect(a.findings[0]!.detail).toMatch(/^ovs1 sends VXLAN to compute3 \(10\.0\.20\.14\) on UDP 4789, compute3 listens on 8472/);
    expect(a.findings[0]!.evidence.map((e) => e.text)).toContain(
      'vxlan-0a00140e type=vxlan ofport=5 remote_ip=10.0.20.14 local_ip=10.0.20.21 dst_port=(default 4789)',
    );
    expect(a.hosts.ovs1!.mode.udpPorts).toEqual([4789, 8472]);
  });

  it("faults injected into a copy of ovs1's br-tun: flood output removed, unicast moved, learned flow", () => {
    const a = analyzeStep('ovs-node', '2-lab2-after-ping', (files) => {
      files['ovs1-flows-br-tun.txt'] = files['ovs1-flows-br-tun.txt']!.replace(/(table=22, .*dl_vlan=1 actions=.*),output:4/, '$1')
        .replace(/(dl_dst=fa:16:3e:87:3e:7c actions=strip_vlan,load:0x289->NXM_NX_TUN_ID\[\]),output:2/, '$1,output:3')
        .concat(
          ' cookie=0x1, duration=1s, table=20, n_packets=1, n_bytes=1, hard_timeout=300, idle_age=1, priority=1,vlan_tci=0x0001/0x0fff,dl_dst=fa:16:3e:00:00:55 actions=load:0->NXM_OF_VLAN_TCI[],load:0x289->NXM_NX_TUN_ID[],output:2\n',
        );
    });
    expect(driftLines(a, 'ovs1')).toEqual(['missing_flood 00:00:00:00:00:00 - 10.0.20.11', 'wrong_vtep fa:16:3e:87:3e:7c 172.16.1.13 10.0.20.12']);
    expect(foreignLines(a, 'ovs1')).toEqual(['foreign_mac fa:16:3e:00:00:55 - 10.0.20.13']);
    expect(Object.values(a.hosts.ovs1!.flood)[0]).toMatchObject({ actual: ['10.0.20.12', '10.0.20.13'], missing: ['10.0.20.11'] });
  });
});

describe("ovs-try (real, no ofports): ovs1's flood list from table 22 = the three Linux bridge VTEPs", () => {
  it('flood list matched set-wise; no drift', () => {
    const files = bundleFilesOf('ovs-try', '.');
    const bundle = {
      'ovs1-flows-br-tun.txt': files['ovs1-flows-br-tun.txt']!,
      'ovs1-ovs-vsctl-show.txt': files['ovs1-ovs-vsctl-show.txt']!,
      'ovs1-agent.ini': files['openvswitch_agent.ini']!,
    };
    const a = analyzeNodes({ model: modelAt(loadCapture('ovs-try')), snapshots: snapshotsFromBundle(bundle).snapshots });
    const ovs = a.hosts.ovs1!;
    expect(Object.values(ovs.flood)).toEqual([
      expect.objectContaining({
        vni: 649,
        actual: ['10.0.20.11', '10.0.20.12', '10.0.20.13'],
        ideal: ['10.0.20.11', '10.0.20.12', '10.0.20.13'],
        excess: [],
        missing: [],
        copies: 3,
      }),
    ]);
    expect(ovs.drift).toEqual([]);
    expect(ovs.mode.notes.join('\n')).toMatch(/matched as a set/);
    // the Linux bridge hosts have no JSON snapshot in ovs-try: listed from report_state only
    expect(a.hosts.controller).toMatchObject({ snapshot: null, drift: [], flood: {} });
  });
});
