/**
 * br-tun's cookies and the `stale_tunnel_port` finding, on the real ovs-node capture (3 Linux
 * bridge hosts + ovs1 running neutron-openvswitch-agent, l2pop on): ovs1's own tunnel ports are all
 * needed; a full-mesh port left towards a VTEP without ports on its networks (added to a copy of
 * the real `ovs-vsctl` output, as flood-and-learn leaves it) is reported with its evidence.
 */
import { describe, expect, it } from 'vitest';
import { buildNodeSnapshot, cookieCounts, normalizeCookie, parseBrTun, parseNodeSnapshot, parseOfctlFlows } from '../../../src';
import { staleTunnelFinding } from '../../../src/node/analysis/stale-tunnels';
import { analyzeStep, bundleFilesOf, editJson } from '../helpers';

const STEP = '3-lab3';
const COOKIE = '0xb54118ffebb289f4';

/** A VXLAN tunnel port row of `ovs-vsctl --format=json list Interface` towards `remote`. */
const tunnelRow = (name: string, ofport: number, remote: string) => [
  name,
  ofport,
  'vxlan',
  [
    'map',
    [
      ['dst_port', '8472'],
      ['in_key', 'flow'],
      ['local_ip', '10.0.20.21'],
      ['out_key', 'flow'],
      ['remote_ip', remote],
    ],
  ],
];

const withStalePort = (files: Record<string, string>) =>
  editJson<{ data: unknown[] }>(files, 'ovs1-ovs-vsctl.json', (t) => {
    t.data.push(tunnelRow('vxlan-0a000016', 9, '10.0.20.22'));
  });

describe('br-tun cookies', () => {
  it('the real br-tun of ovs1 carries one cookie on every flow; a second cookie is counted apart', () => {
    const text = bundleFilesOf('ovs-node', STEP)['ovs1-flows-br-tun.txt']!;
    const { flows } = parseOfctlFlows(text);
    const bt = parseBrTun(flows);
    expect(bt.cookies).toEqual([{ cookie: COOKIE, flows: flows.length }]);
    const old = `${text}\n cookie=0x00AB, duration=9.1s, table=0, n_packets=0, n_bytes=0, priority=1,in_port=7 actions=resubmit(,4)\n`;
    expect(parseBrTun(parseOfctlFlows(old).flows).cookies).toEqual([
      { cookie: COOKIE, flows: flows.length },
      { cookie: '0xab', flows: 1 },
    ]);
    expect([normalizeCookie('0x0'), normalizeCookie('171'), normalizeCookie('cookie'), normalizeCookie(`0x1${'0'.repeat(16)}`)]).toEqual([
      '0x0',
      '0xab',
      null,
      null,
    ]);
    expect(cookieCounts([{ cookie: null }, { cookie: '0x1' }])).toEqual([{ cookie: '0x1', flows: 1 }]);
  });

  it('the snapshot carries them and validates; a snapshot without them (an older node agent) still validates', () => {
    const files = bundleFilesOf('ovs-node', STEP);
    const snap = buildNodeSnapshot({
      host: 'ovs1',
      instance: 'i',
      seq: 1,
      takenAt: 0,
      agentType: 'openvswitch',
      raw: { ovsVsctl: files['ovs1-ovs-vsctl.json'], flowsBrTun: files['ovs1-flows-br-tun.txt'] },
    });
    expect(snap.openvswitch!.brTun!.cookies).toEqual([{ cookie: COOKIE, flows: expect.any(Number) as number }]);
    expect(parseNodeSnapshot(JSON.parse(JSON.stringify(snap)))).toEqual(snap);
    const { cookies: _, ...older } = snap.openvswitch!.brTun!;
    expect(() => parseNodeSnapshot({ ...snap, openvswitch: { ...snap.openvswitch, brTun: older } })).not.toThrow();
    expect(() => parseNodeSnapshot({ ...snap, openvswitch: { ...snap.openvswitch, brTun: { ...older, cookies: [{ cookie: 'x', flows: 1 }] } } })).toThrow();
  });
});

describe('stale_tunnel_port', () => {
  it("ovs1's real tunnel ports all lead to VTEPs with ports on its network: none", () => {
    const a = analyzeStep('ovs-node', STEP);
    expect(a.findings.filter((f) => f.kind === 'stale_tunnel_port')).toEqual([]);
  });

  it('a port towards a VTEP without ports on its networks is reported with the ovs-vsctl row and the flows that do not use it', () => {
    const a = analyzeStep('ovs-node', STEP, withStalePort);
    const stale = a.findings.filter((f) => f.kind === 'stale_tunnel_port');
    console.log(stale.map((f) => `${f.network}: ${f.detail}\n  ${f.evidence.map((e) => `${e.file}: ${e.text}`).join('\n  ')}`).join('\n'));
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ network: 'br-tun:ovs1', vni: null, hosts: ['ovs1'] });
    expect(stale[0]!.detail).toMatch(
      /^ovs1 runs l2pop, yet br-tun holds 1 tunnel port to VTEPs no l2pop entry of its networks needs: vxlan-0a000016 -> 10.0.20.22 \(no flow uses them\)/,
    );
    expect(stale[0]!.evidence.map((e) => [e.file, e.text])).toEqual([
      ['ovs1-ovs-vsctl.json', 'vxlan-0a000016 type=vxlan ofport=9 remote_ip=10.0.20.22 local_ip=10.0.20.21 dst_port=8472'],
      ['ovs1-flows-br-tun.txt', 'table=0 in_port=9: absent; table 20/22 output:9: absent'],
    ]);
    // the cross-host findings are unchanged, the host-wide one comes after them
    expect(a.findings.at(-1)).toBe(stale[0]);
  });

  it('not reported while l2pop is off (the full mesh is how flood-and-learn works), nor when a held network is unknown to the model', () => {
    const files = bundleFilesOf('ovs-node', STEP);
    withStalePort(files);
    const snap = buildNodeSnapshot({
      host: 'ovs1',
      instance: 'i',
      seq: 1,
      takenAt: 0,
      agentType: 'openvswitch',
      raw: { ovsVsctl: files['ovs1-ovs-vsctl.json'], flowsBrTun: files['ovs1-flows-br-tun.txt'] },
    });
    const base = { host: 'ovs1', vtep: '10.0.20.21', snap, needed: new Set(['10.0.20.11', '10.0.20.12', '10.0.20.13']), complete: true };
    expect(staleTunnelFinding({ ...base, l2pop: true })?.hosts).toEqual(['ovs1']);
    expect(staleTunnelFinding({ ...base, l2pop: false })).toBeNull();
    expect(staleTunnelFinding({ ...base, l2pop: null })).toBeNull();
    expect(staleTunnelFinding({ ...base, l2pop: true, complete: false })).toBeNull();
    // a port still used by a flow says so
    const used = staleTunnelFinding({ ...base, l2pop: true, needed: new Set(['10.0.20.11', '10.0.20.12']) });
    expect(used?.detail).toMatch(/holds 2 tunnel ports .*: vxlan-0a000016 -> 10\.0\.20\.22, vxlan-0a00140d -> 10\.0\.20\.13 \(1 still used by a flow\)/);
  });
});
