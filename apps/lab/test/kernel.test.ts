/**
 * The kernel expectation against the real captures in <repo>/fixtures (docs/lab.md#labs): a host's
 * FDB / neighbours / vxlan device at step 1-ports-active, compared with what expectedKernel
 * derives from the three VM ports.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBridgeFdb, parseIpNeigh } from '@l2scope/domain';
import { describe, expect, it } from 'vitest';
import type { NeutronPort } from '../src/api';
import { compareKernel, expectedKernel, vxlanInfo, type HostKernel } from '../src/kernel';
import { formatPing } from '../src/report';
import { parsePingSummary } from '../src/ping';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');
const read = (...p: string[]) => readFileSync(path.join(FIX, ...p), 'utf8');
const HOSTS = { controller: { underlayIp: '10.0.20.11' }, compute1: { underlayIp: '10.0.20.12' }, compute2: { underlayIp: '10.0.20.13' } };
const DEV = 'vxlan-649';

function ports(lab: string, step: string): NeutronPort[] {
  return Object.keys(HOSTS).map((host, i) => {
    const eth0 = (JSON.parse(read(lab, step, `vm-${host}-ip-addr.json`)) as { address: string; addr_info: { local: string }[] }[])[0]!;
    return {
      id: `port-${i}`,
      name: `vm-${host}`,
      network_id: 'net',
      mac_address: eth0.address,
      status: 'ACTIVE',
      device_id: 'd',
      device_owner: 'compute:nova',
      'binding:host_id': host,
      fixed_ips: [{ subnet_id: 's', ip_address: eth0.addr_info[0]!.local }],
    };
  });
}

function kernel(lab: string, step: string, host: string): HostKernel {
  return {
    host,
    dev: DEV,
    vxlan: vxlanInfo((JSON.parse(read(lab, step, `${host}-ip-link-vxlan.json`)) as unknown[])[0]),
    fdb: parseBridgeFdb(read(lab, step, `${host}-bridge-fdb.json`)).filter((r) => r.dev === DEV),
    neigh: parseIpNeigh(read(lab, step, `${host}-ip-neigh.json`)).filter((r) => r.dev === DEV),
    fdbText: [],
    vxlanText: null,
    neighText: [],
  };
}

describe('vxlanInfo', () => {
  it('reads id, local, proxy, port, dev from ip -j -d link', () => {
    expect(vxlanInfo((JSON.parse(read('lab3', '1-ports-active', 'controller-ip-link-vxlan.json')) as unknown[])[0])).toEqual({
      vni: 649,
      group: null,
      local: '10.0.20.11',
      proxy: true,
      learning: true,
      dstport: 8472,
      link: 'ul0',
    });
    expect(vxlanInfo((JSON.parse(read('lab1', '1-ports-active', 'controller-ip-link-vxlan.json')) as unknown[])[0]).group).toBe('224.0.0.1');
  });
});

describe.each([
  ['lab1', { l2pop: false, arp: false }],
  ['lab2', { l2pop: true, arp: false }],
  ['lab3', { l2pop: true, arp: true }],
])('%s captures match the expectation for their mode', (lab, mode) => {
  it.each(['1-ports-active', '2-after-ping'])('%s', (step) => {
    const p = ports(lab, step);
    for (const host of Object.keys(HOSTS)) {
      const exp = expectedKernel(host, mode, HOSTS, p)!;
      expect({ host, diffs: compareKernel(exp, kernel(lab, step, host)) }).toEqual({ host, diffs: [] });
    }
  });
});

describe('mismatches are named', () => {
  it('a lab3 expectation against the lab2 kernel misses proxy and neighbours', () => {
    const exp = expectedKernel('controller', { l2pop: true, arp: true }, HOSTS, ports('lab2', '1-ports-active'))!;
    const diffs = compareKernel(exp, kernel('lab2', '1-ports-active', 'controller'));
    expect(diffs.some((d) => d.includes('proxy off (expected on)'))).toBe(true);
    expect(diffs.filter((d) => d.includes('missing neigh')).length).toBe(2);
  });
  it('the half-switched (in-place lab1 -> lab3) device keeps its group and multicast head', () => {
    const k = kernel('lab1', '1-ports-active', 'controller');
    const exp = expectedKernel('controller', { l2pop: true, arp: true }, HOSTS, ports('lab1', '1-ports-active'))!;
    const diffs = compareKernel(exp, k);
    expect(diffs).toContain('controller: vxlan-649 group 224.0.0.1 (expected none)');
    expect(diffs).toContain('controller: stale multicast flood head 00:00:00:00:00:00 dst 224.0.0.1');
  });
  it('a device whose local, dstport or dev is not what ensure_vxlan gives (issue 11): each named, although its FDB and neighbours are complete', () => {
    const k = kernel('lab3', '1-ports-active', 'compute1');
    k.vxlan = { ...k.vxlan!, local: '10.0.20.99', dstport: 4789, link: 'eth9' };
    const exp = expectedKernel('compute1', { l2pop: true, arp: true }, HOSTS, ports('lab3', '1-ports-active'))!;
    expect(compareKernel(exp, k)).toEqual([
      'compute1: vxlan-649 local 10.0.20.99 (expected 10.0.20.12)',
      'compute1: vxlan-649 dstport 4789 (expected 8472)',
      'compute1: vxlan-649 dev eth9 (expected ul0)',
    ]);
  });
  it('a host without an ACTIVE port has nothing to check', () => {
    const p = ports('lab2', '1-ports-active').filter((x) => x['binding:host_id'] !== 'compute2');
    expect(expectedKernel('compute2', { l2pop: true, arp: false }, HOSTS, p)).toBeNull();
    expect(expectedKernel('controller', { l2pop: true, arp: false }, HOSTS, p)!.fdb).toHaveLength(2);
  });
});

describe('ping summary', () => {
  it('parses iputils output and formats the matrix', () => {
    const out = '3 packets transmitted, 2 received, 33.3333% packet loss, time 403ms\nrtt min/avg/max/mdev = 0.101/0.250/0.400/0.150 ms\n';
    expect(parsePingSummary(out)).toEqual({ sent: 3, received: 2, avgMs: 0.25 });
    expect(parsePingSummary('4 packets transmitted, 0 received, 100% packet loss')).toEqual({ sent: 4, received: 0, avgMs: null });
    const lines = formatPing([
      { from: 'vm-a', to: 'vm-b', toIp: '172.16.1.12', ok: true, received: 3, sent: 3, avgMs: 0.1 },
      { from: 'vm-b', to: 'vm-a', toIp: '172.16.1.11', ok: false, received: 0, sent: 4, avgMs: null },
    ]);
    expect(lines.at(-1)).toBe('1/2 ok');
    expect(lines[1]).toContain('FAIL');
  });
});
