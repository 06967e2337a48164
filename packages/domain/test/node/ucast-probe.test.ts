/**
 * The Linux bridge agent's unicast probe (`vxlan_ucast_supported`, issue 11 item 6) on a real
 * snapshot: fixtures/switch-noclean step `2-lab1-after-ping` (Lab1, l2_population off in
 * report_state), with compute1 caught while its agent restarts into l2pop mode, i.e. holding the
 * probe. HOW THE PROBE WAS MADE: by hand, from the shape neutron stable/zed gives it
 * (linuxbridge_neutron_agent.py `vxlan_ucast_supported` -> `ensure_vxlan(1)` with `vxlan_mode`
 * `VXLAN_NONE` and `l2_population = true`: `vxlan-1`, VNI 1, `local` = local_ip, `proxy` =
 * arp_responder, dstport 8472, no group, no bridge; then `bridge fdb append 00:00:00:00:00:00 dev
 * vxlan-1 dst 1.1.1.1`), added to compute1's real `ip -j -d link show type vxlan` and `bridge -j
 * fdb show` of that step. The lab's snapshot that caught it opened `half_switched_vxlan` on
 * "vni:1"; it is ignored now, and a device of another shape on an unknown VNI is named as such.
 */
import { describe, expect, it } from 'vitest';
import { type VxlanDevice, isUcastProbe, snapshotsFromBundle, ucastProbeNote } from '../../src';
import { analyzeStep, bundleFilesOf, editJson } from './helpers';

const SCENARIO = 'switch-noclean';
const STEP = '2-lab1-after-ping';

type Link = Record<string, unknown> & { ifname: string; linkinfo: { info_kind: string; info_data: Record<string, unknown> } };

/** The probe as `ip -j -d link show type vxlan` prints it on compute1 (VTEP 10.0.20.12, underlay ul0). */
function probeLink(over: Partial<Link> = {}, data: Record<string, unknown> = {}): Link {
  return {
    ifindex: 99,
    ifname: 'vxlan-1',
    flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
    mtu: 1450,
    operstate: 'UNKNOWN',
    address: '7a:3c:91:0e:55:01',
    ...over,
    linkinfo: {
      info_kind: 'vxlan',
      info_data: { id: 1, local: '10.0.20.12', link: 'ul0', port_range: { low: 0, high: 0 }, port: 8472, learning: true, proxy: true, ttl: 0, ...data },
    },
  };
}

/** The flood entry the probe appends. */
const PROBE_FDB = { mac: '00:00:00:00:00:00', ifname: 'vxlan-1', dst: '1.1.1.1', flags: ['self'], state: 'permanent' };

/** Add `links` and `fdb` rows to compute1's files of the step. */
const withDevice =
  (links: Link[], fdb: object[] = [PROBE_FDB]) =>
  (files: Record<string, string>) => {
    editJson<object[]>(files, 'compute1-ip-link-vxlan.json', (v) => [...v, ...links]);
    editJson<object[]>(files, 'compute1-bridge-fdb.json', (v) => [...v, ...fdb]);
  };

describe('the unicast probe device of a starting Linux bridge agent', () => {
  it('is left out of the analysis: the same result as without it, and a note on the host', () => {
    const plain = analyzeStep(SCENARIO, STEP);
    const probed = analyzeStep(SCENARIO, STEP, withDevice([probeLink()]));
    expect(plain.findings).toEqual([]);
    expect(probed.findings).toEqual([]);
    const c1 = probed.hosts.compute1!;
    expect(Object.keys(c1.flood)).toEqual(Object.keys(plain.hosts.compute1!.flood));
    expect(c1.drift).toEqual(plain.hosts.compute1!.drift);
    expect(c1.mode.notes.filter((n) => !plain.hosts.compute1!.mode.notes.includes(n))).toEqual([
      "vxlan-1: the Linux bridge agent's unicast probe (vxlan_ucast_supported: created at agent start, deleted ~50 ms later, VNI 1 of no network), not analysed",
    ]);
    expect({ ...probed.hosts, compute1: { ...c1, mode: { ...c1.mode, notes: plain.hosts.compute1!.mode.notes } } }).toEqual(plain.hosts);
  });

  it('a device on an unknown VNI that is not the probe still opens its finding, which says the network is unknown', () => {
    // the probe's shape, enslaved to a bridge: not ensure_vxlan alone, so not the probe
    const a = analyzeStep(SCENARIO, STEP, withDevice([probeLink({ master: 'brq0123456789a' })]));
    expect(a.findings.map((f) => [f.kind, f.network, f.vni, f.hosts])).toEqual([['half_switched_vxlan', 'vni:1', 1, ['compute1']]]);
    expect(a.findings[0]!.detail).toMatch(
      /^Network unknown to l2scope \(VNI 1: no Neutron network with this VNI has been seen; .*\)\. compute1: l2_population is off but vxlan-1 has no multicast group/,
    );
    // the remedy is not only "the ini was switched": a device no agent manages is deleted by hand
    expect(a.findings[0]!.detail).toMatch(
      /If no Neutron network uses this VNI, vxlan-1 is a leftover no agent manages .*: delete it \(ip link delete vxlan-1\)/,
    );
    expect(a.hosts.compute1!.mode.notes.some((n) => n.includes('unicast probe'))).toBe(false);
  });

  it('findings on networks the model knows do not carry the unknown-network text', () => {
    const a = analyzeStep(SCENARIO, '3-inplace-switched');
    expect(a.findings.map((f) => f.kind)).toEqual(['half_switched_vxlan']);
    expect(a.findings[0]!.detail).not.toMatch(/unknown/i);
    expect(a.findings[0]!.detail).toMatch(/The agent's ini was switched without recreating vxlan-\d+ \(ensure_vxlan never changes an existing device\)/);
    expect(a.findings[0]!.detail).not.toMatch(/leftover/);
  });
});

describe('isUcastProbe: the exact shape of vxlan_ucast_supported', () => {
  /** compute1's Linux bridge section of the step with `links` added, and its devices by name. */
  function section(links: Link[], fdb: object[] = [PROBE_FDB]) {
    const files = bundleFilesOf(SCENARIO, STEP);
    withDevice(links, fdb)(files);
    const lb = snapshotsFromBundle(files, { takenAt: 0 }).snapshots.find((s) => s.host === 'compute1')!.linuxbridge!;
    const dev = (name: string) => lb.vxlan.find((d) => d.name === name)!;
    return { lb, dev };
  }
  const unknown = () => false;

  it('vxlan-1, VNI 1, no group, no bridge, only the 1.1.1.1 flood entry: the probe', () => {
    const { lb, dev } = section([probeLink()]);
    expect(isUcastProbe(dev('vxlan-1'), lb, unknown)).toBe(true);
    expect(isUcastProbe(dev('vxlan-649'), lb, unknown)).toBe(false);
    expect(ucastProbeNote(dev('vxlan-1'))).toContain('VNI 1');
  });

  it('not the probe: a VNI the model knows, a group, a bridge, another dst, a name that is not vxlan-<VNI>', () => {
    const probe = section([probeLink()]);
    expect(isUcastProbe(probe.dev('vxlan-1'), probe.lb, (vni) => vni === 1)).toBe(false);
    const grouped = section([probeLink({}, { group: '224.0.0.1' })]);
    expect(isUcastProbe(grouped.dev('vxlan-1'), grouped.lb, unknown)).toBe(false);
    const bridged = section([probeLink({ master: 'brq0123456789a' })]);
    expect(isUcastProbe(bridged.dev('vxlan-1'), bridged.lb, unknown)).toBe(false);
    const rows = section([probeLink()], [PROBE_FDB, { ...PROBE_FDB, dst: '10.0.20.11' }]);
    expect(isUcastProbe(rows.dev('vxlan-1'), rows.lb, unknown)).toBe(false);
    const named = section([probeLink({ ifname: 'vxlan-one' })]);
    expect(isUcastProbe(named.dev('vxlan-one'), named.lb, unknown)).toBe(false);
  });

  it('VNI 2 only when vxlan-1 exists (the agent takes the lowest free VNI)', () => {
    const taken = section(
      [probeLink({ ifname: 'vxlan-1', master: 'brq0123456789a' }), probeLink({ ifname: 'vxlan-2', ifindex: 100 }, { id: 2 })],
      [{ ...PROBE_FDB, ifname: 'vxlan-2' }],
    );
    expect(isUcastProbe(taken.dev('vxlan-2'), taken.lb, unknown)).toBe(true);
    const free = section([probeLink({ ifname: 'vxlan-2' }, { id: 2 })], [{ ...PROBE_FDB, ifname: 'vxlan-2' }]);
    expect(isUcastProbe(free.dev('vxlan-2'), free.lb, unknown)).toBe(false);
  });

  it('a device without a VNI (collect-metadata) is never the probe', () => {
    const d: VxlanDevice = {
      name: 'vxlan-1',
      vni: null,
      local: null,
      group: null,
      remote: null,
      link: null,
      dstport: null,
      proxy: false,
      learning: null,
      external: true,
      master: null,
      up: true,
    };
    expect(isUcastProbe(d, { vxlan: [d], fdb: [], neigh: [] }, unknown)).toBe(false);
  });
});
