/** Node-state parsers on the real outputs in fixtures/ (Linux bridge JSON, OVS flows and ovsdb, agent inis). */
import { describe, expect, it } from 'vitest';
import {
  decodeOvsdbValue,
  flowOutputs,
  hexToIpv4,
  hexToMac,
  parseAgentIni,
  parseBrTun,
  parseBridges,
  parseIni,
  parseOfctlFlows,
  parseOsloBool,
  parseOvsTunnelPorts,
  parseOvsVsctlShow,
  parseVxlanLinks,
  splitTopLevel,
  tunnelDstPort,
  vxlanGroupFor,
} from '../../src';
import { readFixture } from '../fixtures';

describe('parseIni (oslo.config syntax)', () => {
  it('reads sections, both separators, quotes, comments, continuation lines; last value wins', () => {
    const { doc, problems } = parseIni(
      [
        'top = 1',
        '[vxlan]',
        '# comment',
        '; other comment',
        'local_ip: 10.0.0.1',
        'vxlan_group = "239.1.1.1"',
        'l2_population = false',
        'l2_population = true',
        'multi = a',
        '  b',
        '',
        'x = y # not a comment',
        '[bad',
        'oops',
      ].join('\n'),
    );
    expect(doc.DEFAULT).toEqual({ top: '1' });
    expect(doc.vxlan).toEqual({ local_ip: '10.0.0.1', vxlan_group: '239.1.1.1', l2_population: 'true', multi: 'a\nb', x: 'y # not a comment' });
    expect(problems.map((p) => p.line)).toEqual([13, 14]);
  });

  it('oslo booleans', () => {
    expect(['True', 'yes', '1', 'ON'].map(parseOsloBool)).toEqual([true, true, true, true]);
    expect(['false', 'No', '0', 'off'].map(parseOsloBool)).toEqual([false, false, false, false]);
    expect(parseOsloBool('maybe')).toBeNull();
  });
});

describe('parseAgentIni', () => {
  it('a real linuxbridge_agent.ini of the lab (Lab3)', () => {
    const ini = parseAgentIni(readFixture('faults', '0-baseline', 'controller-agent.ini'));
    expect(ini).toEqual({
      type: 'linuxbridge',
      localIp: '10.0.20.11',
      l2population: true,
      arpResponder: true,
      arpResponderEffective: true,
      tunnelTypes: ['vxlan'],
      vxlanGroup: '224.0.0.1',
      multicastRanges: [],
      udpPortConfigured: null,
      udpPort: 8472,
      distributedRouting: null,
      invalid: [],
    });
  });

  it('a real openvswitch_agent.ini (fixtures/ovs-try): vxlan_udp_port 8472, responder on', () => {
    const ini = parseAgentIni(readFixture('ovs-try', 'openvswitch_agent.ini'));
    expect(ini).toMatchObject({
      type: 'openvswitch',
      localIp: '10.0.20.21',
      l2population: true,
      arpResponder: true,
      arpResponderEffective: true,
      tunnelTypes: ['vxlan'],
      udpPortConfigured: 8472,
      udpPort: 8472,
      distributedRouting: false,
    });
  });

  it('defaults and effective values: LB responder needs l2pop; OVS DVR forces the responder; OVS port 4789', () => {
    expect(parseAgentIni('[vxlan]\narp_responder = true\n')).toMatchObject({
      l2population: false,
      arpResponder: true,
      arpResponderEffective: false,
      vxlanGroup: '224.0.0.1',
      udpPort: 8472,
    });
    expect(parseAgentIni('[ovs]\nlocal_ip = 1.1.1.1\n[agent]\ntunnel_types = vxlan\nenable_distributed_routing = true\n')).toMatchObject({
      type: 'openvswitch',
      arpResponderEffective: true,
      udpPort: 4789,
      udpPortConfigured: null,
    });
    expect(parseAgentIni('[vxlan]\nl2_population = perhaps\nudp_dstport = 99999\n').invalid).toEqual([
      'vxlan.l2_population: perhaps',
      'vxlan.udp_dstport: 99999',
    ]);
    expect(() => parseAgentIni('[DEFAULT]\nhost = x\n')).toThrow(/agent type/);
  });

  it('later files override earlier ones (oslo --config-file order)', () => {
    expect(parseAgentIni(['[vxlan]\nl2_population = false\n', '[vxlan]\nl2_population = true\n']).l2population).toBe(true);
  });

  it('vxlanGroupFor mirrors get_vxlan_group: CIDR host bits, multicast_ranges first', () => {
    expect(vxlanGroupFor({ vxlanGroup: '224.0.0.1', multicastRanges: [] }, 649)).toBe('224.0.0.1');
    expect(vxlanGroupFor({ vxlanGroup: '239.0.0.0/8', multicastRanges: [] }, 649)).toBe('239.0.2.137');
    expect(vxlanGroupFor({ vxlanGroup: '239.0.0.0/24', multicastRanges: ['239.9.9.0/24:600:700'] }, 649)).toBe('239.9.9.137');
    expect(vxlanGroupFor({ vxlanGroup: null, multicastRanges: [] }, 649)).toBeNull();
  });
});

describe('parseVxlanLinks (ip -j -d link show type vxlan)', () => {
  it('Lab1: multicast group, no local, no proxy', () => {
    expect(parseVxlanLinks(readFixture('lab1', '2-after-ping', 'controller-ip-link-vxlan.json'))).toEqual([
      {
        name: 'vxlan-649',
        vni: 649,
        local: null,
        group: '224.0.0.1',
        remote: null,
        link: 'ul0',
        dstport: 8472,
        proxy: false,
        learning: true,
        external: false,
        master: 'brq7592da76-ae',
        up: true,
      },
    ]);
  });

  it('Lab3: local, proxy, no group', () => {
    const [d] = parseVxlanLinks(readFixture('lab3', '2-after-ping', 'controller-ip-link-vxlan.json'));
    expect(d).toMatchObject({ vni: 649, local: '10.0.20.11', group: null, proxy: true, dstport: 8472 });
  });

  it('no device: [] and empty output', () => {
    expect(parseVxlanLinks(readFixture('lab2', '0-agents-restarted', 'controller-ip-link-vxlan.json'))).toEqual([]);
    expect(parseVxlanLinks('')).toEqual([]);
  });

  it('a collect-metadata device (OVS kernel datapath) has no VNI; non-VXLAN links are skipped', () => {
    const text = JSON.stringify([
      { ifname: 'vxlan_sys_4789', flags: ['UP'], linkinfo: { info_kind: 'vxlan', info_data: { external: true, port: 4789, learning: false } } },
      { ifname: 'eth0', flags: ['UP'] },
    ]);
    expect(parseVxlanLinks(text)).toEqual([
      {
        name: 'vxlan_sys_4789',
        vni: null,
        local: null,
        group: null,
        remote: null,
        link: null,
        dstport: 4789,
        proxy: false,
        learning: false,
        external: true,
        master: null,
        up: true,
      },
    ]);
  });

  it('throws on malformed input', () => {
    expect(() => parseVxlanLinks('{')).toThrow();
    expect(() => parseVxlanLinks('[{"flags": []}]')).toThrow();
  });
});

describe('parseBridges (ip -j link show type bridge + bridge -j link show)', () => {
  it('the lab bridge with its tap and vxlan ports', () => {
    const b = parseBridges(
      readFixture('lab3', '2-after-ping', 'controller-ip-link-bridge.json'),
      readFixture('lab3', '2-after-ping', 'controller-bridge-link.json'),
    );
    expect(b).toEqual([
      {
        name: 'brq7592da76-ae',
        up: true,
        ports: [
          { name: 'tapd5a3d06d-65', state: 'forwarding' },
          { name: 'vxlan-649', state: 'forwarding' },
        ],
      },
    ]);
  });

  it('a bridge without ports (before any VM) and a port of an unlisted bridge', () => {
    expect(parseBridges(readFixture('lab1', '0-agents-restarted', 'controller-ip-link-bridge.json'), '[]')).toEqual([
      { name: 'brq7592da76-ae', up: true, ports: [] },
    ]);
    expect(parseBridges('[]', '[{"ifname":"tap1","master":"brqX","state":"disabled"}]')).toEqual([
      { name: 'brqX', up: false, ports: [{ name: 'tap1', state: 'disabled' }] },
    ]);
  });
});

describe('ovs-ofctl dump-flows br-tun (fixtures/ovs-try/ovs1-flows-br-tun.txt)', () => {
  const text = readFixture('ovs-try', 'ovs1-flows-br-tun.txt');

  it('parses every flow line; the header is skipped', () => {
    const { flows, errors } = parseOfctlFlows(text);
    expect(errors).toEqual([]);
    expect(flows).toHaveLength(text.trim().split('\n').length - 1);
    const learn = flows.find((f) => f.table === 10)!;
    expect(learn.actions).toHaveLength(2);
    expect(learn.actions[0]).toMatch(/^learn\(table=20,hard_timeout=300,.*output:OXM_OF_IN_PORT\[\]\)$/);
    expect(learn.actions[1]).toBe('output:1');
    const t21 = flows.find((f) => f.table === 21 && f.match.arp_tpa === '172.16.1.11')!;
    expect(t21).toMatchObject({ priority: 1, match: { arp: '', dl_vlan: '1', arp_tpa: '172.16.1.11' }, hardTimeout: null, nPackets: 0 });
  });

  it('br-tun: VNI 649 -> lvid 1 (t4), unicast (t20), responder (t21 MAC/IP from NXM loads), flood (t22), tunnel ofports (t0)', () => {
    const bt = parseBrTun(parseOfctlFlows(text).flows);
    expect(bt.localVlans).toEqual([{ tunnelType: 'vxlan', vni: 649, lvid: 1 }]);
    expect(bt.unicast).toEqual([
      { lvid: 1, mac: 'fa:16:3e:6e:06:0d', ofport: 4, vni: 649, learned: false },
      { lvid: 1, mac: 'fa:16:3e:8a:04:88', ofport: 2, vni: 649, learned: false },
      { lvid: 1, mac: 'fa:16:3e:90:eb:89', ofport: 3, vni: 649, learned: false },
    ]);
    expect(bt.responder).toEqual([
      { lvid: 1, ip: '172.16.1.11', mac: 'fa:16:3e:8a:04:88' },
      { lvid: 1, ip: '172.16.1.12', mac: 'fa:16:3e:6e:06:0d' },
      { lvid: 1, ip: '172.16.1.13', mac: 'fa:16:3e:90:eb:89' },
    ]);
    expect(bt.flood).toEqual([{ lvid: 1, vni: 649, ofports: [2, 3, 4] }]);
    expect(bt.tunnelOfports).toEqual([2, 3, 4]);
    expect(bt.arpResponderEnabled).toBe(true);
  });

  it('table 21 loads: ARP_SHA and ARP_SPA hex agree with the match', () => {
    expect(hexToMac('0xfa163e8a0488')).toBe('fa:16:3e:8a:04:88');
    expect(hexToIpv4('0xac10010b')).toBe('172.16.1.11');
  });

  it('a real Lab2 br-tun (fixtures/ovs-node) has no table 2 -> 21 flow: responder off', () => {
    const bt = parseBrTun(parseOfctlFlows(readFixture('ovs-node', '1-lab2-ports-active', 'ovs1-flows-br-tun.txt')).flows);
    expect(bt.arpResponderEnabled).toBe(false);
    expect(bt.responder).toEqual([]);
    expect(bt.flood).toEqual([{ lvid: 1, vni: 649, ofports: [2, 3, 4] }]);
  });

  it('OpenFlow 1.3 rendering, learned flows, port names', () => {
    const of13 = [
      'OFPST_FLOW reply (OF1.3) (xid=0x2):',
      ' cookie=0x1, duration=1s, table=4, n_packets=0, n_bytes=0, priority=1,tun_id=0x3e8 actions=push_vlan:0x8100,set_field:4103->vlan_vid,goto_table:10',
      ' cookie=0x1, duration=1s, table=20, n_packets=0, n_bytes=0, priority=2,dl_vlan=7,dl_dst=fa:16:3e:00:00:01 actions=pop_vlan,set_field:0x3e8->tun_id,output:"vxlan-0a000002"',
      ' cookie=0x1, duration=1s, table=20, n_packets=3, n_bytes=9, hard_timeout=300, idle_age=1, hard_age=1, priority=1,vlan_tci=0x0007/0x0fff,dl_dst=fa:16:3e:00:00:09 actions=load:0->NXM_OF_VLAN_TCI[],load:0x3e8->NXM_NX_TUN_ID[],output:5',
      ' cookie=0x1, duration=1s, table=21, n_packets=0, n_bytes=0, priority=1,arp,dl_vlan=7,arp_tpa=10.1.0.5 actions=set_field:2->arp_op,move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],set_field:fa:16:3e:00:00:01->arp_sha,set_field:10.1.0.5->arp_spa,IN_PORT',
      ' cookie=0x1, duration=1s, table=22, n_packets=0, n_bytes=0, priority=1,vlan_tci=0x1007/0x1fff actions=pop_vlan,set_field:0x3e8->tun_id,output:"vxlan-0a000002",output:5',
      ' cookie=0x1, duration=1s, table=0, n_packets=0, n_bytes=0, priority=1,in_port="vxlan-0a000002" actions=goto_table:4',
    ].join('\n');
    const bt = parseBrTun(parseOfctlFlows(of13).flows, { 'vxlan-0a000002': 3 });
    expect(bt.localVlans).toEqual([{ tunnelType: 'vxlan', vni: 1000, lvid: 7 }]);
    expect(bt.unicast).toEqual([
      { lvid: 7, mac: 'fa:16:3e:00:00:01', ofport: 3, vni: 1000, learned: false },
      { lvid: 7, mac: 'fa:16:3e:00:00:09', ofport: 5, vni: 1000, learned: true },
    ]);
    expect(bt.responder).toEqual([{ lvid: 7, ip: '10.1.0.5', mac: 'fa:16:3e:00:00:01' }]);
    expect(bt.flood).toEqual([{ lvid: 7, vni: 1000, ofports: [3, 5] }]);
    expect(bt.tunnelOfports).toEqual([3]);
  });

  it('splits actions at top-level commas only; reports unreadable lines', () => {
    expect(splitTopLevel('learn(a=1,b=2),output:1,x[0..3]')).toEqual(['learn(a=1,b=2)', 'output:1', 'x[0..3]']);
    expect(flowOutputs(['output:2', 'output:"p1"', 'strip_vlan'])).toEqual([2, 'p1']);
    expect(parseOfctlFlows('NXST_FLOW reply (xid=0x4):\n garbage line\n').errors).toEqual([{ line: 2, error: 'no "actions=" in "garbage line"' }]);
  });
});

describe('ovs-vsctl', () => {
  it('--format=json list Interface (fixtures/ovs-node): tunnel ports only, ofports per bridge are not confused', () => {
    const ports = parseOvsTunnelPorts(readFixture('ovs-node', '9-compute3-joined', 'ovs1-ovs-vsctl.json'));
    expect(ports).toEqual([
      { name: 'vxlan-0a00140b', ofport: 4, type: 'vxlan', remoteIp: '10.0.20.11', localIp: '10.0.20.21', dstPort: 8472 },
      { name: 'vxlan-0a00140c', ofport: 3, type: 'vxlan', remoteIp: '10.0.20.12', localIp: '10.0.20.21', dstPort: 8472 },
      { name: 'vxlan-0a00140d', ofport: 2, type: 'vxlan', remoteIp: '10.0.20.13', localIp: '10.0.20.21', dstPort: 8472 },
      // created after vxlan_udp_port was set to 4789: ovs_lib.add_tunnel_port omits dst_port for 4789
      { name: 'vxlan-0a00140e', ofport: 5, type: 'vxlan', remoteIp: '10.0.20.14', localIp: '10.0.20.21', dstPort: null },
    ]);
    expect(tunnelDstPort(ports[3]!)).toBe(4789);
  });

  it('OVSDB JSON values: sets, maps, uuids', () => {
    expect(decodeOvsdbValue(['set', []])).toBeNull();
    expect(decodeOvsdbValue(['set', [1]])).toBe(1);
    expect(decodeOvsdbValue(['set', [1, 2]])).toEqual([1, 2]);
    expect(decodeOvsdbValue(['map', [['a', 'b']]])).toEqual({ a: 'b' });
    expect(decodeOvsdbValue(['uuid', 'u-1'])).toBe('u-1');
  });

  it('OVSDB JSON values nested 100,000 sets deep decode as null instead of overflowing the stack', () => {
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = ['set', [v, 2]];
    expect(() => decodeOvsdbValue(v)).not.toThrow();
    expect(decodeOvsdbValue(['set', [['set', [['set', [1, 2]], 3]], 4]])).toEqual([[[1, 2], 3], 4]);
  });

  it('ovs-vsctl show (fixtures/ovs-try): tunnel ports without ofports', () => {
    expect(parseOvsVsctlShow(readFixture('ovs-try', 'ovs1-ovs-vsctl-show.txt'))).toEqual([
      { name: 'vxlan-0a00140b', ofport: null, type: 'vxlan', remoteIp: '10.0.20.11', localIp: '10.0.20.21', dstPort: 8472 },
      { name: 'vxlan-0a00140c', ofport: null, type: 'vxlan', remoteIp: '10.0.20.12', localIp: '10.0.20.21', dstPort: 8472 },
      { name: 'vxlan-0a00140d', ofport: null, type: 'vxlan', remoteIp: '10.0.20.13', localIp: '10.0.20.21', dstPort: 8472 },
    ]);
  });
});
