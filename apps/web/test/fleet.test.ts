import { describe, expect, it } from 'vitest';
import type { HostNodeSummary, HostView } from '@l2scope/domain';
import { FLEET_COLOURS, buildFleet, groupCounts, groupHosts, hostColour, namePattern, vtepSubnet } from '../src/topology/fleet';
import { GROUP_GAP, fleetLayout, pointInBox } from '../src/topology/fleet-layout';
import { MatrixCell, neighbourhood, scopeSnapshot, vniMatrix } from '../src/topology/fleet-scope';
import { replay, stepTime } from './fixtures';

const lab3 = replay('lab3', stepTime('lab3', '1-ports-active')).model.snapshot();
const real = lab3.hosts.find((h) => h.id === 'compute1')!;
/** `n` copies of lab3's compute1 record, renamed and re-addressed (the shape neutron's report_state gives). */
const fleetOf = (n: number, name: (i: number) => string | null, vtep: (i: number) => string) =>
  Array.from({ length: n }, (_, i): HostView => ({ ...real, id: name(i) ?? `vtep:${vtep(i)}`, name: name(i), vtep: vtep(i) }));

describe('fleet grouping', () => {
  it('name pattern: the last run of digits', () => {
    expect(namePattern('compute-r12-0007')).toBe('compute-r12-*');
    expect(namePattern('compute-12.bench')).toBe('compute-*.bench');
    expect(namePattern('controller')).toBe('controller');
    expect(vtepSubnet('10.20.3.17')).toBe('10.20.3.0/24');
    expect(vtepSubnet('fd00::1')).toBeNull();
  });

  it('racks by name when the names split the fleet, else the VTEP /24', () => {
    const racks = fleetOf(
      120,
      (i) => `compute-r${Math.floor(i / 40)}-${i}`,
      (i) => `10.20.${i >> 8}.${i & 255}`,
    );
    const byName = groupHosts(racks);
    expect(byName.rule).toBe('name');
    expect([...byName.groups.keys()]).toEqual(['compute-r0-*', 'compute-r1-*', 'compute-r2-*']);
    // one pattern for all (compute-<n>.bench): grouped by VTEP subnet instead
    const flat = fleetOf(
      300,
      (i) => `compute-${i}.bench`,
      (i) => `10.20.${(i + 1) >> 8}.${(i + 1) & 255}`,
    );
    const bySubnet = groupHosts(flat);
    expect(bySubnet.rule).toBe('subnet');
    expect([...bySubnet.groups].map(([k, v]) => [k, v.length])).toEqual([
      ['10.20.0.0/24', 255],
      ['10.20.1.0/24', 45],
    ]);
    // every host its own pattern (no digits to strip): too many groups, subnet again
    expect(
      groupHosts(
        fleetOf(
          10,
          (i) => `host${'abcdefghij'[i]}`,
          (i) => `10.0.0.${i}`,
        ),
      ).rule,
    ).toBe('subnet');
  });

  it('a zone hook wins when it names any host', () => {
    const hosts = fleetOf(
      4,
      (i) => `compute-${i}`,
      (i) => `10.0.0.${i}`,
    );
    const g = groupHosts(hosts, (h) => (h === 'compute-0' ? 'az1' : null));
    expect(g.rule).toBe('zone');
    expect([...g.groups].map(([k, v]) => [k, v.length])).toEqual([
      ['az1', 1],
      ['no zone', 3],
    ]);
  });

  it('builds groups largest first, hosts in numeric order, with their state', () => {
    const hosts = fleetOf(
      90,
      (i) => `compute-r${i < 60 ? 1 : 2}-${i}`,
      (i) => `10.20.0.${i}`,
    );
    const summary = { driftTotal: 2, agent: { alive: false } } as unknown as HostNodeSummary;
    const fleet = buildFleet(hosts, { summaries: new Map([['compute-r1-3', summary]]), downAgents: new Set(['compute-r2-70']) });
    expect(fleet.groups.map((g) => [g.key, g.hosts.length])).toEqual([
      ['compute-r1-*', 60],
      ['compute-r2-*', 30],
    ]);
    expect(fleet.groups[0]!.hosts.slice(0, 3)).toEqual(['compute-r1-0', 'compute-r1-1', 'compute-r1-2']);
    const h3 = fleet.hosts.find((h) => h.id === 'compute-r1-3')!;
    expect(h3.state).toEqual({ drift: 2, down: true, l2pop: true, arpResponder: null });
    expect(fleet.hosts.find((h) => h.id === 'compute-r2-70')!.state.down).toBe(true);
    expect(groupCounts(fleet, 'compute-r1-*')).toEqual({ hosts: 60, drift: 1, down: 1, floodLearn: 0 });
    expect(groupCounts(fleet, 'compute-r2-*')).toEqual({ hosts: 30, drift: 0, down: 1, floodLearn: 0 });
  });
});

describe('fleet colours', () => {
  const s = { drift: null, down: false, l2pop: true, arpResponder: null };
  it('by drift, liveness and mode', () => {
    expect(hostColour(s, 'drift')).toBe(FLEET_COLOURS.noAgent);
    expect(hostColour({ ...s, drift: 0 }, 'drift')).toBe(FLEET_COLOURS.ok);
    expect(hostColour({ ...s, drift: 3 }, 'drift')).toBe(FLEET_COLOURS.drift);
    expect(hostColour({ ...s, down: true }, 'liveness')).toBe(FLEET_COLOURS.down);
    expect(hostColour(s, 'liveness')).toBe(FLEET_COLOURS.alive);
    expect(hostColour(s, 'mode')).toBe(FLEET_COLOURS.l2pop);
    expect(hostColour({ ...s, arpResponder: true }, 'mode')).toBe(FLEET_COLOURS.l2popArp);
    expect(hostColour({ ...s, l2pop: false }, 'mode')).toBe(FLEET_COLOURS.floodLearn);
    expect(hostColour({ ...s, l2pop: null }, 'mode')).toBe(FLEET_COLOURS.unknown);
  });
});

describe('fleet layout', () => {
  it('packs near-square group grids in rows, no overlap, deterministic', () => {
    const input = { groups: Array.from({ length: 25 }, (_, i) => ({ key: `g${i}`, count: 40 })), aspect: 2 };
    const a = fleetLayout(input);
    expect(fleetLayout(input)).toEqual(a);
    expect(a.boxes).toHaveLength(25);
    for (const b of a.boxes) expect([b.cols, b.width, b.height]).toEqual([7, 7, 6]);
    for (const [i, p] of a.boxes.entries()) {
      for (const q of a.boxes.slice(i + 1)) {
        const apart =
          p.x + p.width + GROUP_GAP <= q.x || q.x + q.width + GROUP_GAP <= p.x || p.y + p.height + GROUP_GAP <= q.y || q.y + q.height + GROUP_GAP <= p.y;
        expect(apart).toBe(true);
      }
    }
    // wider than high, as asked
    expect(a.width / a.height).toBeGreaterThan(1.2);
    expect(pointInBox(a.boxes[1]!, 8)).toEqual({ x: a.boxes[1]!.x + 1, y: a.boxes[1]!.y + 1 });
  });
});

describe('drill-down scope and matrix (lab3)', () => {
  it('a host neighbourhood: the host first, then hosts sharing its networks', () => {
    expect(neighbourhood(lab3, 'compute1', null)).toEqual(['compute1', 'compute2', 'controller']);
    expect(neighbourhood(lab3, 'compute1', null, 2)).toEqual(['compute1', 'compute2']);
    expect(neighbourhood(lab3, 'nope', null)).toEqual([]);
    const scoped = scopeSnapshot(lab3, ['compute1', 'controller']);
    expect(scoped.hosts.map((h) => h.id).sort()).toEqual(['compute1', 'controller']);
    expect(new Set(scoped.vteps.map((v) => v.vtep))).toEqual(new Set(['10.0.20.12', '10.0.20.11']));
  });

  it('the VNI x host matrix: VNI 649, ports and flood entry on every host', () => {
    const m = vniMatrix(lab3, ['controller', 'compute1', 'compute2']);
    expect(m.networks.map((n) => n.vni)).toEqual([649]);
    expect(m.hosts.map((h) => h.title)).toEqual(['controller', 'compute1', 'compute2']);
    expect([...m.cells]).toEqual([MatrixCell.Flood, MatrixCell.Flood, MatrixCell.Flood]);
    // a VTEP's entries without the flood entry: ports but no BUM to it
    const net = lab3.networks[0]!.id;
    const noFlood = { ...lab3, vteps: lab3.vteps.map((v) => (v.vtep === '10.0.20.12' && v.network === net ? { ...v, flood: false } : v)) };
    expect([...vniMatrix(noFlood, ['controller', 'compute1']).cells]).toEqual([MatrixCell.Flood, MatrixCell.NoFlood]);
  });
});
