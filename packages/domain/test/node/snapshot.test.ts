/** NodeSnapshot: building from raw outputs, validation, limits, deltas; support bundles. */
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_META_SCHEMA,
  NODE_COMMANDS,
  NODE_SNAPSHOT_LIMITS,
  NODE_SNAPSHOT_SCHEMA,
  NodeDeltaMismatch,
  applyNodeDelta,
  buildNodeSnapshot,
  bundleFiles,
  diffNodeSnapshots,
  fullNodeSnapshotSchema,
  parseNodeSnapshot,
  readBundle,
  snapshotsFromBundle,
  type FullNodeSnapshot,
  type RawNodeOutputs,
} from '../../src';
import { bundleFilesOf } from './helpers';

function rawOf(scenario: string, step: string, host: string): RawNodeOutputs {
  const b = readBundle(bundleFilesOf(scenario, step));
  return b.hosts[host]!.raw;
}

const T0 = Date.parse('2026-11-22T00:24:26.815Z');

describe('buildNodeSnapshot', () => {
  it("Linux bridge (lab3): compact (only the VXLAN devices' own FDB rows and neighbours), valid against the schema", () => {
    const s = buildNodeSnapshot({ host: 'controller', instance: 'i1', seq: 1, takenAt: T0, raw: rawOf('lab3', '2-after-ping', 'controller') });
    expect(() => parseNodeSnapshot(JSON.parse(JSON.stringify(s)))).not.toThrow();
    expect(s).toMatchObject({
      schema: NODE_SNAPSHOT_SCHEMA,
      kind: 'full',
      host: 'controller',
      seq: 1,
      takenAt: '2026-11-22T00:24:26.815Z',
      agent: { type: 'linuxbridge', ini: null },
      openvswitch: null,
      truncated: [],
      errors: [],
    });
    const lb = s.linuxbridge!;
    expect(lb.fdb.map((r) => `${r.mac} dst ${r.dst} ${r.state}`).sort()).toEqual([
      '00:00:00:00:00:00 dst 10.0.20.12 permanent',
      '00:00:00:00:00:00 dst 10.0.20.13 permanent',
      'fa:16:3e:82:2d:00 dst 10.0.20.12 permanent',
      'fa:16:3e:aa:b5:55 dst 10.0.20.13 permanent',
    ]);
    expect(lb.neigh.map((n) => `${n.ip} ${n.mac}`).sort()).toEqual(['172.16.1.12 fa:16:3e:82:2d:00', '172.16.1.13 fa:16:3e:aa:b5:55']);
    expect(lb.vxlan.map((d) => [d.name, d.vni, d.proxy])).toEqual([['vxlan-649', 649, true]]);
    expect(lb.bridges.map((b) => b.ports.map((p) => p.name))).toEqual([['tapd5a3d06d-65', 'vxlan-649']]);
  });

  it('Open vSwitch (ovs-node): tunnel ports and br-tun with ofports resolved; ini parsed', () => {
    const s = buildNodeSnapshot({ host: 'ovs1', instance: 'i1', seq: 1, takenAt: T0, raw: rawOf('ovs-node', '3-lab3', 'ovs1') });
    expect(s.agent.type).toBe('openvswitch');
    expect(s.agent.ini).toMatchObject({ type: 'openvswitch', l2population: true, arpResponder: true, udpPort: 8472 });
    expect(s.linuxbridge).toBeNull();
    expect(s.openvswitch!.tunnelPorts.map((p) => `${p.name}=${p.ofport}`)).toEqual(['vxlan-0a00140b=4', 'vxlan-0a00140c=3', 'vxlan-0a00140d=2']);
    expect(s.openvswitch!.brTun!.flood).toEqual([{ lvid: 1, vni: 649, ofports: [2, 3, 4] }]);
    expect(s.openvswitch!.brTun!.arpResponderEnabled).toBe(true);
    expect(() => fullNodeSnapshotSchema.parse(s)).not.toThrow();
  });

  it('falls back to `ovs-vsctl show` when there is no JSON (fixtures/ovs-try)', () => {
    const files = bundleFilesOf('ovs-try', '.');
    const s = buildNodeSnapshot({
      host: 'ovs1',
      instance: 'i',
      seq: 1,
      takenAt: 0,
      raw: { flowsBrTun: files['ovs1-flows-br-tun.txt'], ovsVsctlShow: files['ovs1-ovs-vsctl-show.txt'], agentIni: files['openvswitch_agent.ini'] },
    });
    expect(s.openvswitch!.tunnelPorts.map((p) => [p.remoteIp, p.ofport])).toEqual([
      ['10.0.20.11', null],
      ['10.0.20.12', null],
      ['10.0.20.13', null],
    ]);
    expect(s.openvswitch!.brTun!.unicast).toHaveLength(3);
  });

  it('a failing parser leaves its section empty and reports it; never throws', () => {
    const s = buildNodeSnapshot({
      host: 'h',
      instance: 'i',
      seq: 1,
      takenAt: 0,
      raw: { bridgeFdb: '{not json', ipLinkVxlan: '[]', agentIni: '[DEFAULT]\nhost=h\n' },
      errors: [{ source: 'ipNeigh', message: 'ip: exit 1' }],
    });
    expect(s.linuxbridge!.fdb).toEqual([]);
    expect(s.agent.ini).toBeNull();
    expect(s.errors.map((e) => e.source)).toEqual(['ipNeigh', 'agentIni', 'bridgeFdb']);
  });

  it('truncates over-limit sections and says so; the schema refuses over-limit lists', () => {
    const rows = Array.from({ length: NODE_SNAPSHOT_LIMITS.fdb + 5 }, (_, i) => ({
      mac: `fa:16:3e:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      ifname: 'vxlan-1',
      dst: '10.0.0.2',
      flags: ['self'],
      state: 'permanent',
    }));
    const s = buildNodeSnapshot({ host: 'h', instance: 'i', seq: 1, takenAt: 0, agentType: 'linuxbridge', raw: { bridgeFdb: JSON.stringify(rows) } });
    expect(s.linuxbridge!.fdb).toHaveLength(NODE_SNAPSHOT_LIMITS.fdb);
    expect(s.truncated).toEqual(['linuxbridge.fdb']);
    const over = { ...s, linuxbridge: { ...s.linuxbridge!, fdb: [...s.linuxbridge!.fdb, s.linuxbridge!.fdb[0]!] } };
    expect(() => parseNodeSnapshot(over)).toThrow();
  });

  it('the schema refuses another version', () => {
    const s = buildNodeSnapshot({ host: 'h', instance: 'i', seq: 1, takenAt: 0, raw: {} });
    expect(() => parseNodeSnapshot({ ...s, schema: 'l2scope.node-snapshot/2' })).toThrow();
  });
});

describe('deltas: applyNodeDelta(prev, diffNodeSnapshots(prev, next)) == next', () => {
  const at = (step: string, seq: number): FullNodeSnapshot =>
    buildNodeSnapshot({ host: 'controller', instance: 'i1', seq, takenAt: T0 + seq * 1000, raw: rawOf('lab2', step, 'controller') });

  it.each([
    ['1-ports-active', '2-after-ping'],
    ['2-after-ping', '5-after-delete-compute2'],
    ['0-agents-restarted', '1-ports-active'],
  ])('%s -> %s', (a, b) => {
    const prev = at(a, 1);
    const next = at(b, 2);
    const delta = diffNodeSnapshots(prev, next);
    expect(() => parseNodeSnapshot(JSON.parse(JSON.stringify(delta)))).not.toThrow();
    expect(applyNodeDelta(prev, delta)).toEqual(next);
  });

  it('only changed sections travel; an unchanged host sends a heartbeat delta', () => {
    const prev = at('5-after-delete-compute2', 1);
    const next = at('5-after-delete-compute2', 2);
    const delta = diffNodeSnapshots(prev, next);
    expect(Object.keys(delta).sort()).toEqual(['baseSeq', 'errors', 'host', 'instance', 'kind', 'schema', 'seq', 'takenAt', 'truncated']);
    expect(applyNodeDelta(prev, delta)).toEqual(next);
    // controller keeps its VM, device and bridge: only the FDB changed (compute2's entries removed)
    const moved = diffNodeSnapshots(at('1-ports-active', 1), at('5-after-delete-compute2', 2));
    expect(Object.keys(moved.linuxbridge!)).toEqual(['fdb']);
    expect(moved.agent).toBeUndefined();
  });

  it('switching agent type drops the old part', () => {
    const lb = at('1-ports-active', 1);
    const ovs = { ...buildNodeSnapshot({ host: 'controller', instance: 'i1', seq: 2, takenAt: T0, raw: rawOf('ovs-node', '3-lab3', 'ovs1') }) };
    const d = diffNodeSnapshots(lb, ovs);
    expect(d.linuxbridge).toBeNull();
    expect(applyNodeDelta(lb, d)).toEqual(ovs);
  });

  it('refuses a delta on the wrong base', () => {
    const prev = at('1-ports-active', 1);
    const delta = diffNodeSnapshots(prev, at('2-after-ping', 2));
    expect(() => applyNodeDelta(at('1-ports-active', 3), delta)).toThrow(NodeDeltaMismatch);
    expect(() => applyNodeDelta({ ...prev, instance: 'other' }, delta)).toThrow(/instance/);
    expect(() => applyNodeDelta({ ...prev, host: 'x' }, delta)).toThrow(/host/);
  });
});

describe('support bundles', () => {
  it('a fixtures snapshot directory: three hosts; vm-* and text files ignored', () => {
    const b = readBundle(bundleFilesOf('lab1', '2-after-ping'));
    expect(Object.keys(b.hosts)).toEqual(['compute1', 'compute2', 'controller']);
    expect(Object.keys(b.hosts.controller!.raw).sort()).toEqual(['bridgeFdb', 'bridgeLink', 'ipLinkBridge', 'ipLinkDetails', 'ipLinkVxlan', 'ipNeigh']);
    expect(b.ignored).toContain('vm-controller-ip-neigh.json');
    expect(b.ignored).toContain('controller-bridge-fdb.txt');
    expect(b.errors).toEqual([]);
  });

  it('bundleFiles -> readBundle -> snapshots round trip, with the meta file', () => {
    const raw = rawOf('ovs-node', '5-mixed-arp-responder', 'ovs1');
    const files = {
      ...bundleFiles('ovs1', raw, { takenAt: T0, agentType: 'openvswitch' }),
      ...bundleFiles('compute-1.example', rawOf('lab2', '1-ports-active', 'compute1')),
    };
    expect(Object.keys(files).sort()).toEqual([
      'compute-1.example-bridge-fdb.json',
      'compute-1.example-bridge-link.json',
      'compute-1.example-ip-link-bridge.json',
      'compute-1.example-ip-link-vxlan.json',
      'compute-1.example-ip-link.json',
      'compute-1.example-ip-neigh.json',
      'compute-1.example-meta.json',
      'ovs1-agent.ini',
      'ovs1-flows-br-tun.txt',
      'ovs1-meta.json',
      'ovs1-ovs-vsctl.json',
    ]);
    expect(JSON.parse(files['ovs1-meta.json']!)).toEqual({
      schema: BUNDLE_META_SCHEMA,
      host: 'ovs1',
      takenAt: '2026-11-22T00:24:26.815Z',
      agentType: 'openvswitch',
    });
    const back = readBundle(files);
    expect(back.hosts.ovs1!.raw).toEqual(raw);
    const { snapshots } = snapshotsFromBundle(files, { takenAt: 5 });
    expect(snapshots.map((s) => [s.host, s.agent.type, s.takenAt])).toEqual([
      ['compute-1.example', 'linuxbridge', new Date(5).toISOString()],
      ['ovs1', 'openvswitch', '2026-11-22T00:24:26.815Z'],
    ]);
  });

  it('the documented commands', () => {
    expect(NODE_COMMANDS.ovsVsctl.join(' ')).toBe('ovs-vsctl --format=json --columns=name,ofport,type,options list Interface');
    expect(NODE_COMMANDS.ipLinkVxlan.join(' ')).toBe('ip -j -d link show type vxlan');
  });
});
