/**
 * `lab status` / `lab kernel`'s tunnel port lines on the real capture of two OVS hosts running
 * `tunnel_types = vxlan,gre` (fixtures/gre-ovs, docs/lab.md#gre): GRE ports are listed beside the
 * VXLAN ones, each with its peer VTEP and ofport, VXLAN with its UDP port.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatTunnelPorts } from '../src/report';

const FIX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/gre-ovs/1-gre-and-vxlan');
const read = (f: string) => readFileSync(path.join(FIX, f), 'utf8');

describe('formatTunnelPorts', () => {
  it("lists ovs1's GRE port to ovs2 next to its VXLAN port to the controller, and no other interface", () => {
    expect(formatTunnelPorts(read('ovs1-ovs-vsctl.json'))).toEqual([
      'gre-0a001416 gre -> 10.0.20.22 ofport 7',
      'vxlan-0a00140b vxlan -> 10.0.20.11:8472 ofport 6',
    ]);
  });

  it("lists ovs2's only tunnel port: GRE to ovs1 (ovs2 has no VXLAN VM)", () => {
    expect(formatTunnelPorts(read('ovs2-ovs-vsctl.json'))).toEqual(['gre-0a001415 gre -> 10.0.20.21 ofport 6']);
  });

  it('says so when there is no tunnel port, or when the text is not ovs-vsctl JSON', () => {
    expect(formatTunnelPorts('{"data":[["br-tun",65534,"internal",["map",[]]]],"headings":["name","ofport","type","options"]}')).toEqual(['no tunnel port']);
    expect(formatTunnelPorts('ovs-vsctl: unix:/x: database connection failed')[0]).toMatch(/^tunnel ports unreadable: /);
  });
});
