/**
 * vxlan_device_mismatch (issue 11, item 1): a Linux bridge `vxlan-<VNI>` whose `local`, `dstport` or
 * `group` is not what the host's configuration gives it, on copies of real snapshots (fixtures/lab1..3,
 * ovs-node with the agents' ini files), and the rules of vxlan-config.ts one by one.
 */
import { describe, expect, it } from 'vitest';
import { type VxlanDevice, type VxlanHostConfig, vxlanDeviceMismatches } from '../../../src';
import { analyzeStep, editJson } from '../helpers';
import { HOSTS, type LinkJson } from './lab';

const dev = (over: Partial<VxlanDevice> = {}): VxlanDevice => ({
  name: 'vxlan-649',
  vni: 649,
  local: '10.0.20.12',
  group: null,
  remote: null,
  link: 'ul0',
  dstport: 8472,
  proxy: true,
  learning: true,
  external: false,
  master: 'brq7592da76-ae',
  up: true,
  ...over,
});
const cfg = (over: Partial<VxlanHostConfig> = {}): VxlanHostConfig => ({
  vtep: { ip: '10.0.20.12', source: 'report_state' },
  l2pop: true,
  udpPort: { port: 8472, configured: false },
  groups: { vxlanGroup: '224.0.0.1', multicastRanges: [] },
  ...over,
});

describe('vxlan_device_mismatch on real snapshots', () => {
  it("a device whose local is not the host's VTEP: the finding with its evidence, although the FDB shows zero drift", () => {
    const a = analyzeStep('lab3', '2-after-ping', (files) =>
      editJson<LinkJson>(files, 'compute1-ip-link-vxlan.json', (links) => {
        links[0]!.linkinfo.info_data.local = '10.0.20.99';
      }),
    );
    // the agent filled FDB and neighbours completely: no drift anywhere
    for (const h of HOSTS) expect({ h, drift: a.hosts[h]!.drift }).toEqual({ h, drift: [] });
    expect(a.findings.map((f) => [f.kind, f.hosts])).toEqual([['vxlan_device_mismatch', ['compute1']]]);
    const f = a.findings[0]!;
    expect(f.detail).toMatch(/^compute1: error: vxlan-649 local 10\.0\.20\.99, expected 10\.0\.20\.12 \(report_state tunneling_ip\): .*TX errors/);
    expect(f.detail).toMatch(/stop the agent, delete vxlan-649, start the agent/);
    expect(f.evidence.map((e) => [e.host, e.source, e.text])).toEqual([
      ['compute1', 'linuxbridge.vxlan', expect.stringMatching(/^vxlan-649: vxlan id 649 local 10\.0\.20\.99 dev ul0 dstport 8472 proxy/)],
      ['compute1', 'report_state', 'tunneling_ip=10.0.20.12'],
      ['compute1', 'linuxbridge.vxlan', 'vxlan-649 local 10.0.20.99, expected 10.0.20.12 (report_state tunneling_ip): error'],
    ]);
    expect(f.evidence[0]!.file).toBe('compute1-ip-link-vxlan.json');
  });

  it('a device on another UDP port than its ini gives: dstport error, with the ini line as evidence', () => {
    const a = analyzeStep('ovs-node', '1-lab2-ports-active', (files) =>
      editJson<LinkJson>(files, 'compute2-ip-link-vxlan.json', (links) => {
        links[0]!.linkinfo.info_data.port = 4789;
      }),
    );
    const f = a.findings.find((x) => x.kind === 'vxlan_device_mismatch')!;
    expect(f.hosts).toEqual(['compute2']);
    expect(f.evidence.map((e) => [e.source, e.text]).slice(1)).toEqual([
      ['agent.ini', '[vxlan] udp_dstport unset (kernel default 8472)'],
      ['linuxbridge.vxlan', 'vxlan-649 dstport 4789, expected 8472 (ini udp_dstport unset: kernel default): error'],
    ]);
  });

  it.each([
    ['lab1', '2-after-ping'],
    ['lab2', '2-after-ping'],
    ['lab3', '4-after-ip-change'],
    ['ovs-node', '1-lab2-ports-active'],
  ])('%s %s as recorded: no vxlan_device_mismatch', (scenario, step) => {
    const a = analyzeStep(scenario, step);
    expect(a.findings.filter((f) => f.kind === 'vxlan_device_mismatch')).toEqual([]);
  });
});

describe('vxlanDeviceMismatches (ensure_vxlan, stable/zed)', () => {
  it('a device as the agent makes it: nothing, in either mode', () => {
    expect(vxlanDeviceMismatches(dev(), cfg())).toEqual([]);
    expect(vxlanDeviceMismatches(dev({ local: null, group: '224.0.0.1', proxy: false }), cfg({ l2pop: false }))).toEqual([]);
  });

  it('local: another address is an error (also in multicast mode); none with l2pop is a warning; with a group it is half_switched_vxlan, not this', () => {
    expect(vxlanDeviceMismatches(dev({ local: '10.0.20.99' }), cfg()).map((m) => [m.field, m.held, m.expected, m.severity])).toEqual([
      ['local', '10.0.20.99', '10.0.20.12', 'error'],
    ]);
    expect(vxlanDeviceMismatches(dev({ local: '10.0.20.99', group: '224.0.0.1' }), cfg({ l2pop: false })).map((m) => m.field)).toEqual(['local']);
    expect(vxlanDeviceMismatches(dev({ local: null }), cfg()).map((m) => [m.field, m.held, m.severity])).toEqual([['local', null, 'warning']]);
    expect(vxlanDeviceMismatches(dev({ local: null, group: '224.0.0.1' }), cfg())).toEqual([]);
  });

  it('the VTEP: report_state first, else the ini; unknown VTEP, port or groups: not compared', () => {
    expect(vxlanDeviceMismatches(dev({ local: '10.0.20.99' }), cfg({ vtep: { ip: '10.0.20.12', source: 'ini' } }))[0]!.basis).toBe('ini local_ip');
    expect(vxlanDeviceMismatches(dev({ local: '10.0.20.99', dstport: 4789 }), cfg({ vtep: null, udpPort: null }))).toEqual([]);
  });

  it('dstport: against udp_dstport, or the kernel default 8472 when unset', () => {
    expect(vxlanDeviceMismatches(dev({ dstport: 4789 }), cfg()).map((m) => [m.field, m.held, m.expected, m.basis])).toEqual([
      ['dstport', '4789', '8472', 'ini udp_dstport unset: kernel default'],
    ]);
    expect(vxlanDeviceMismatches(dev({ dstport: 8472 }), cfg({ udpPort: { port: 4789, configured: true } }))[0]!.basis).toBe('ini udp_dstport');
  });

  it('group: with l2pop off, against get_vxlan_group(VNI) (a CIDR maps the VNI onto its host bits)', () => {
    const off = cfg({ l2pop: false, groups: { vxlanGroup: '239.0.0.0/8', multicastRanges: [] } });
    expect(vxlanDeviceMismatches(dev({ local: null, group: '239.0.2.137' }), off)).toEqual([]);
    expect(vxlanDeviceMismatches(dev({ local: null, group: '224.0.0.1' }), off).map((m) => [m.field, m.held, m.expected])).toEqual([
      ['group', '224.0.0.1', '239.0.2.137'],
    ]);
  });

  it('skips collect-metadata devices', () => {
    expect(vxlanDeviceMismatches(dev({ vni: null, external: true, local: '1.2.3.4' }), cfg())).toEqual([]);
  });
});
