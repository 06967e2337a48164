import ini from 'ini';
import { describe, expect, it } from 'vitest';
import {
  agentTransportUrl,
  firstVmIp,
  labName,
  lbHostName,
  lbUnderlayIp,
  ovsUnderlayIp,
  parseHostModes,
  parseOnOff,
  readIniGre,
  readIniMode,
  renderAgentNeutronConf,
  renderLinuxbridgeIni,
  renderMl2Conf,
  renderOvsIni,
  renderServerConf,
  serverTransportUrl,
  setIniGre,
  setIniMode,
} from '../src/config';
import { checkHeartbeats, defaultHostMode, plannedHosts } from '../src/lab';

describe('server config (docs/lab.md#server)', () => {
  const conf = ini.parse(renderServerConf({ transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/', apiPort: 9696 }));
  it('enables the experimental linuxbridge driver (docs/lab.md#gotcha-1) and noauth on loopback', () => {
    expect(conf.experimental).toEqual({ linuxbridge: true });
    expect(conf.DEFAULT.auth_strategy).toBe('noauth');
    expect(conf.DEFAULT.bind_host).toBe('127.0.0.1');
    expect(conf.DEFAULT.bind_port).toBe('9696');
    expect(conf.DEFAULT.service_plugins).toBe('');
    expect(conf.DEFAULT.transport_url).toBe('rabbit://guest:guest@127.0.0.1:5672/');
  });
  it('uses the lab database on MariaDB', () => {
    expect(conf.database.connection).toMatch(/^mysql\+pymysql:\/\/l2scope_lab:l2scope_lab@127\.0\.0\.1:3306\/l2scope_lab_neutron$/);
  });
  it('ml2 loads linuxbridge, openvswitch and l2population with VXLAN tenant networks', () => {
    const ml2 = ini.parse(renderMl2Conf());
    expect(ml2.ml2.mechanism_drivers).toBe('linuxbridge,openvswitch,l2population');
    expect(ml2.ml2.tenant_network_types).toBe('vxlan');
    expect(ml2.l2pop.agent_boot_time).toBe('180');
  });
  it('ml2 loads the GRE type driver with its own key range (docs/lab.md#gre)', () => {
    const ml2 = ini.parse(renderMl2Conf());
    expect(ml2.ml2.type_drivers.split(',')).toEqual(['flat', 'vxlan', 'gre']);
    expect(ml2.ml2_type_gre.tunnel_id_ranges).toBe('1:16000');
  });
});

describe('agent config (docs/lab.md#agents, docs/lab.md#ovs-host)', () => {
  it('neutron.conf: host, loopback transport, root_helper env (docs/lab.md#gotcha-5)', () => {
    const c = ini.parse(renderAgentNeutronConf('compute1', 'rabbit://guest:guest@127.0.0.1:5672/'));
    expect(c.DEFAULT.host).toBe('compute1');
    expect(c.agent.root_helper).toBe('env');
    expect(c.agent.report_interval).toBe('30');
  });
  it('heartbeats (docs/lab.md#heartbeats): report_interval in the agent, agent_down_time in the server, checked as Neutron advises', () => {
    expect(ini.parse(renderAgentNeutronConf('compute1', 'rabbit://x/', 5)).agent.report_interval).toBe('5');
    const server = (agentDownTime?: number) => ini.parse(renderServerConf({ transportUrl: 'rabbit://x/', apiPort: 9696, agentDownTime })).DEFAULT;
    expect(server(20).agent_down_time).toBe('20');
    expect(server()).not.toHaveProperty('agent_down_time');
    expect(checkHeartbeats({ reportInterval: 5, agentDownTime: 10 })).toEqual({ reportInterval: 5, agentDownTime: 10 });
    expect(() => checkHeartbeats({ reportInterval: 6, agentDownTime: 10 })).toThrow(/at least twice/);
    expect(() => checkHeartbeats({ reportInterval: 0, agentDownTime: 10 })).toThrow(/--report-interval/);
    expect(() => checkHeartbeats({ reportInterval: 5, agentDownTime: Number.NaN })).toThrow(/--agent-down-time/);
  });
  it('linuxbridge_agent.ini holds the mode in [vxlan]', () => {
    const text = renderLinuxbridgeIni('10.0.20.12', { l2pop: true, arp: false });
    const c = ini.parse(text);
    expect(c.vxlan).toEqual({ enable_vxlan: true, local_ip: '10.0.20.12', vxlan_group: '224.0.0.1', l2_population: true, arp_responder: false });
    expect(c.securitygroup.firewall_driver).toBe('noop');
    expect(c.agent.polling_interval).toBe('2');
    expect(text).toContain('physical_interface_mappings = \n');
  });
  it('openvswitch_agent.ini: netdev datapath, VXLAN on the kernel port 8472, mode in [agent]', () => {
    const c = ini.parse(renderOvsIni('10.0.20.21', { l2pop: true, arp: true }));
    expect(c.ovs.datapath_type).toBe('netdev');
    expect(c.ovs.ovsdb_connection).toBe('tcp:127.0.0.1:6640');
    expect(c.agent.vxlan_udp_port).toBe('8472');
    expect(readIniMode(renderOvsIni('10.0.20.21', { l2pop: true, arp: true }), 'ovs')).toEqual({ l2pop: true, arp: true });
    expect(c.agent.tunnel_types).toBe('vxlan');
  });
  it('openvswitch_agent.ini with --gre: tunnel_types vxlan,gre (docs/lab.md#gre)', () => {
    expect(ini.parse(renderOvsIni('10.0.20.21', { l2pop: true, arp: false }, true)).agent.tunnel_types).toBe('vxlan,gre');
  });
  it("a host new to the lab follows the lab's mode: up --ovs-host on a Lab3 lab adds a Lab3 host", () => {
    const lab3 = { l2pop: true, arp: true };
    expect(defaultHostMode([{ mode: lab3 }, { mode: { ...lab3 } }])).toEqual(lab3);
    expect(defaultHostMode([{ mode: { l2pop: false, arp: false } }])).toEqual({ l2pop: false, arp: false });
    // a mixed lab, or none yet: Lab2
    expect(defaultHostMode([{ mode: lab3 }, { mode: { l2pop: true, arp: false } }])).toEqual({ l2pop: true, arp: false });
    expect(defaultHostMode([])).toEqual({ l2pop: true, arp: false });
  });
});

describe('GRE on a running lab (docs/lab.md#gre)', () => {
  it('setIniGre adds and drops gre in [agent] tunnel_types and leaves every other key, the mode included', () => {
    const before = renderOvsIni('10.0.20.21', { l2pop: true, arp: true });
    expect(readIniGre(before)).toBe(false);
    const added = setIniGre(before, true);
    expect(readIniGre(added)).toBe(true);
    expect(ini.parse(added).agent.tunnel_types).toBe('vxlan,gre');
    expect(added).toBe(renderOvsIni('10.0.20.21', { l2pop: true, arp: true }, true));
    expect({ ...ini.parse(added).agent, tunnel_types: 'vxlan' }).toEqual(ini.parse(before).agent);
    expect(ini.parse(added).ovs).toEqual(ini.parse(before).ovs);
    expect(readIniMode(added, 'ovs')).toEqual({ l2pop: true, arp: true });
    expect(setIniGre(added, false)).toBe(before);
  });
  it('readIniGre reads a hand-written list with spaces and any case, and no key as no GRE', () => {
    expect(readIniGre('[agent]\ntunnel_types = vxlan, GRE\n')).toBe(true);
    expect(readIniGre('[agent]\ntunnel_types = vxlan\n')).toBe(false);
    expect(readIniGre('[ovs]\nlocal_ip = 10.0.20.21\n')).toBe(false);
  });
});

describe('mode edits', () => {
  it('setIniMode changes only l2_population / arp_responder', () => {
    const before = renderLinuxbridgeIni('10.0.20.11', { l2pop: false, arp: false });
    const after = setIniMode(before, 'linuxbridge', { l2pop: true, arp: true });
    const a = ini.parse(after);
    const b = ini.parse(before);
    expect(a.vxlan.l2_population).toBe(true);
    expect(a.vxlan.arp_responder).toBe(true);
    expect({ ...a.vxlan, l2_population: false, arp_responder: false }).toEqual(b.vxlan);
    expect(a.agent).toEqual(b.agent);
    expect(readIniMode(after, 'linuxbridge')).toEqual({ l2pop: true, arp: true });
  });
  it('setIniMode on OVS edits [agent]', () => {
    const after = setIniMode(renderOvsIni('10.0.20.21', { l2pop: true, arp: false }), 'ovs', { l2pop: false, arp: false });
    expect(ini.parse(after).agent.l2_population).toBe(false);
    expect(ini.parse(after).ovs.local_ip).toBe('10.0.20.21');
  });
  it('readIniMode defaults missing keys to false (Neutron defaults)', () => {
    expect(readIniMode('[vxlan]\nlocal_ip = 1.2.3.4\n', 'linuxbridge')).toEqual({ l2pop: false, arp: false });
    expect(readIniMode('[vxlan]\nl2_population = True\n', 'linuxbridge')).toEqual({ l2pop: true, arp: false });
  });
  it('parses --host-mode and on|off', () => {
    expect(parseHostModes(['controller=l2pop,arp', 'compute1=l2pop', 'compute2=off', 'compute3='])).toEqual({
      controller: { l2pop: true, arp: true },
      compute1: { l2pop: true, arp: false },
      compute2: { l2pop: false, arp: false },
      compute3: { l2pop: false, arp: false },
    });
    expect(() => parseHostModes(['controller'])).toThrow(/H=l2pop,arp/);
    expect(() => parseHostModes(['controller=dvr'])).toThrow(/unknown flag "dvr"/);
    expect(parseOnOff('on')).toBe(true);
    expect(parseOnOff('OFF')).toBe(false);
    expect(() => parseOnOff('maybe')).toThrow(/on\|off/);
  });
  it('names the labs as docs/lab.md#labs does', () => {
    expect(labName({ l2pop: false, arp: false })).toBe('lab1');
    expect(labName({ l2pop: true, arp: false })).toBe('lab2');
    expect(labName({ l2pop: true, arp: true })).toBe('lab3');
  });
});

describe('layout (docs/lab.md#layout)', () => {
  it('names hosts and addresses', () => {
    expect([0, 1, 2].map(lbHostName)).toEqual(['controller', 'compute1', 'compute2']);
    expect([0, 1, 2].map(lbUnderlayIp)).toEqual(['10.0.20.11', '10.0.20.12', '10.0.20.13']);
    expect(ovsUnderlayIp(0)).toBe('10.0.20.21');
    expect(firstVmIp('10.0.20.13')).toBe('172.16.1.13');
    expect(firstVmIp('10.0.20.21', 'gre')).toBe('172.16.2.21');
    expect(() => lbUnderlayIp(9)).toThrow();
  });
  it('plans N Linux bridge hosts plus ovs1 .. ovsN', () => {
    expect(plannedHosts({ hosts: 3, ovsHosts: 1 }).map((h) => `${h.name}@${h.underlayIp}/${h.kind}`)).toEqual([
      'controller@10.0.20.11/linuxbridge',
      'compute1@10.0.20.12/linuxbridge',
      'compute2@10.0.20.13/linuxbridge',
      'ovs1@10.0.20.21/ovs',
    ]);
    expect(plannedHosts({ hosts: 2, ovsHosts: 2 }).map((h) => `${h.name}@${h.underlayIp}/${h.index}`)).toEqual([
      'controller@10.0.20.11/0',
      'compute1@10.0.20.12/1',
      'ovs1@10.0.20.21/10',
      'ovs2@10.0.20.22/11',
    ]);
    expect(() => plannedHosts({ hosts: 0, ovsHosts: 0 })).toThrow(/1\.\.9/);
    expect(() => plannedHosts({ hosts: 3, ovsHosts: 5 })).toThrow(/--ovs-hosts must be 0\.\.4/);
  });
  it('builds transport URLs: agents reach the broker through their own loopback relay', () => {
    expect(agentTransportUrl('amqp://guest:guest@127.0.0.1:5672/')).toBe('rabbit://guest:guest@127.0.0.1:5672/');
    expect(agentTransportUrl('amqp://u:p@10.1.2.3:5673/lab')).toBe('rabbit://u:p@127.0.0.1:5672/lab');
    expect(serverTransportUrl('amqp://u:p@10.1.2.3:5673/lab')).toBe('rabbit://u:p@10.1.2.3:5673/lab');
  });
});

describe('dashboard contract (l2scope.ts)', () => {
  it('finds the URL only in the "l2scope is up" line', async () => {
    const { dashboardUrlFrom } = await import('../src/l2scope');
    expect(dashboardUrlFrom('worker: live server on port 3001\n   - Local: http://localhost:3000\n')).toBeUndefined();
    expect(dashboardUrlFrom('\nl2scope is up: http://localhost:3000  (tapping the broker live; Ctrl-C stops)\n')).toBe('http://localhost:3000');
    const first =
      '\nl2scope is up: http://localhost:3000  (first start: user admin, password Ab3_x-Y — change it with npm run -s l2scope -- user passwd admin)\n';
    expect(dashboardUrlFrom(first)).toBe('http://localhost:3000');
    const { firstLoginFrom } = await import('../src/l2scope');
    expect(firstLoginFrom(first)).toBe('user admin, password Ab3_x-Y');
    expect(firstLoginFrom('\nl2scope is up: http://localhost:3000  (tapping the broker live; Ctrl-C stops)\n')).toBeUndefined();
  });
});
