/** `lab up --hybrid` (docs/lab.md#hybrid): the OVS agent ini's firewall and the hybrid plug's device names. */
import ini from 'ini';
import { describe, expect, it } from 'vitest';
import { hybridNames, linuxBridgeNames } from '@l2scope/domain';
import { ovsSecurityGroup, readIniMode, renderOvsIni, setIniGre, setIniMode } from '../src/config';

const PORT = '9f3cc92a-6229-4e8e-9a3c-1f2b3c4d5e6f';

describe('the hybrid firewall of OVS hosts (docs/lab.md#hybrid)', () => {
  it('openvswitch_agent.ini with --hybrid: security groups on, firewall_driver iptables_hybrid; without it: off, noop', () => {
    const hybrid = ini.parse(renderOvsIni('10.0.20.21', { l2pop: true, arp: false }, true, false, true));
    expect(hybrid.securitygroup).toEqual({ enable_security_group: true, firewall_driver: 'iptables_hybrid' });
    expect(ini.parse(renderOvsIni('10.0.20.21', { l2pop: true, arp: false }, true)).securitygroup).toEqual({
      enable_security_group: false,
      firewall_driver: 'noop',
    });
    expect(ovsSecurityGroup(true).firewall_driver).toBe('iptables_hybrid');
  });

  it('lab mode and the --gre switch keep the hybrid firewall', () => {
    const text = renderOvsIni('10.0.20.21', { l2pop: true, arp: false }, false, false, true);
    const switched = setIniGre(setIniMode(text, 'ovs', { l2pop: true, arp: true }), true);
    expect(readIniMode(switched, 'ovs')).toEqual({ l2pop: true, arp: true });
    expect(ini.parse(switched).securitygroup).toEqual({ enable_security_group: true, firewall_driver: 'iptables_hybrid' });
  });

  it("names the hybrid plug's devices as os-vif does: prefix + the port id's first 11 characters (14 in all)", () => {
    expect(hybridNames.bridge(PORT)).toBe('qbr9f3cc92a-62');
    expect(hybridNames.qvb(PORT)).toBe('qvb9f3cc92a-62');
    expect(hybridNames.qvo(PORT)).toBe('qvo9f3cc92a-62');
    expect(linuxBridgeNames.tap(PORT)).toBe('tap9f3cc92a-62');
    for (const n of [hybridNames.bridge(PORT), hybridNames.qvb(PORT), hybridNames.qvo(PORT)]) expect(n).toHaveLength(14);
  });
});
