/** Cross-host findings on faults injected into copies of real snapshots (fixtures/lab2, lab3). */
import { describe, expect, it } from 'vitest';
import { analyzeStep, editJson } from '../helpers';
import { HOSTS, type LinkJson, type NeighJson } from './lab';

describe('faults injected into copies of real snapshots', () => {
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

  it("mixed_arp_responder when one host's device has no proxy (mode from the kernel)", () => {
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
