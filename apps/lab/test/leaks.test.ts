/**
 * The test:lab leak watch's tcpdump filter and decoder (test-lab/leaks.ts) on a real capture of a
 * host frame crossing a tunnel (<repo>/fixtures/leak: a bridge's IGMPv3 report, then a VM's ICMP).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { FOREIGN_INNER_SOURCE_FILTER, isNeutronMac, parseLeakedFrames } from '../test-lab/leaks';

const PCAP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/leak/ul-compute1.pcap');

describe('leak watch (test:lab)', () => {
  it('tcpdump keeps only the VXLAN packet whose inner source is not Neutron, decoded with its protocol', async () => {
    const all = await execa('tcpdump', ['-r', PCAP, '-nn', '-e', '-tt']);
    expect(parseLeakedFrames('compute1', all.stdout).map((f) => f.mac)).toEqual(['ee:81:56:60:e1:0b', 'fa:16:3e:e5:d0:48']);
    const leaked = await execa('tcpdump', ['-r', PCAP, '-nn', '-e', '-tt', FOREIGN_INNER_SOURCE_FILTER]);
    const frames = parseLeakedFrames('compute1', leaked.stdout);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ host: 'compute1', from: '10.0.20.12', to: '10.0.20.11', mac: 'ee:81:56:60:e1:0b', at: '2026-12-04T16:51:59.994Z' });
    expect(frames[0]!.inner).toContain('0.0.0.0 > 224.0.0.22: igmp v3 report');
  });

  it("knows Neutron's MACs (base_mac fa:16:3e)", () => {
    expect(isNeutronMac('FA:16:3E:01:02:03')).toBe(true);
    expect(isNeutronMac('fa:16:3f:01:02:03')).toBe(false);
    expect(isNeutronMac('66:d9:dc:5c:9f:8b')).toBe(false);
  });
});
