import { describe, expect, it } from 'vitest';
import { modelFromSnapshot } from '../src/state/model';
import { CARD, LARGE_HOSTS, buildTopology, cardHeight } from '../src/topology/graph';
import { layoutHosts, packInOrder } from '../src/topology/layout';
import { tunnelGeometry } from '../src/topology/geometry';
import { replay, stepTime } from './fixtures';

const opts = { selectedNetwork: null, selectedHost: null };

describe('topology from the lab3 capture', () => {
  const active = modelFromSnapshot(replay('lab3', stepTime('lab3', '1-ports-active')).model.snapshot());
  const g = buildTopology(active, opts);

  it('has the three Linux bridge hosts with their VTEPs, l2pop on', () => {
    expect(g.hosts.map((h) => [h.id, h.vtep, h.agentKind, h.l2pop])).toEqual([
      ['compute1', '10.0.20.12', 'linuxbridge', 'on'],
      ['compute2', '10.0.20.13', 'linuxbridge', 'on'],
      ['controller', '10.0.20.11', 'linuxbridge', 'on'],
    ]);
  });

  it('each host has brq<net[:11]> with vxlan-649 and its VM port', () => {
    for (const h of g.hosts) {
      expect(h.bridges).toHaveLength(1);
      const b = h.bridges[0]!;
      expect(b.vni).toBe(649);
      expect(b.vxlan).toBe('vxlan-649');
      expect(b.bridge).toBe(`brq${b.network.slice(0, 11)}`);
      expect(b.ports).toHaveLength(1);
      expect(b.ports[0]!.mac).toMatch(/^fa:16:3e:/);
      expect(b.ports[0]!.ips[0]).toMatch(/^172\.16\.1\./);
      expect(h.height).toBe(cardHeight(h.bridges, 0, false));
    }
    expect(g.hosts.find((h) => h.id === 'controller')!.bridges[0]!.ports[0]!.mac).toBe('fa:16:3e:f1:e6:0b');
  });

  it('a full mesh of flood and unicast entries (one MAC each)', () => {
    const flood = g.edges.filter((e) => e.kind === 'flood');
    const unicast = g.edges.filter((e) => e.kind === 'unicast');
    expect(flood).toHaveLength(6);
    expect(unicast).toHaveLength(6);
    expect(unicast.every((e) => e.macs === 1)).toBe(true);
    const net = g.hosts[0]!.bridges[0]!.network;
    expect(flood.map((e) => e.id)).toContain(`flood-${net}-10.0.20.11-10.0.20.12`);
    expect(flood.map((e) => e.id)).toContain(`flood-${net}-10.0.20.12-10.0.20.11`);
  });

  it('after compute2 lost its port: it still floods to the others (network_map kept), nobody floods to it', () => {
    const m = modelFromSnapshot(replay('lab3', stepTime('lab3', '5-after-delete-compute2')).model.snapshot());
    const e = buildTopology(m, opts).edges.filter((x) => x.kind === 'flood');
    expect(e.some((x) => x.source === 'compute2')).toBe(true);
    expect(e.some((x) => x.target === 'compute2')).toBe(false);
  });

  it('the network picker dims other networks and hosts outside the network', () => {
    const net = g.hosts[0]!.bridges[0]!.network;
    const sel = buildTopology(active, { selectedNetwork: net, selectedHost: null });
    expect(sel.hosts.every((h) => !h.dimmed && h.bridges[0]!.highlighted)).toBe(true);
    expect(sel.edges.every((x) => !x.dimmed)).toBe(true);
    const other = buildTopology(active, { selectedNetwork: 'other', selectedHost: null });
    expect(other.hosts.every((h) => h.dimmed)).toBe(true);
    expect(other.edges.every((x) => x.dimmed)).toBe(true);
  });

  it('lays the cards out without overlaps', async () => {
    const pos = await layoutHosts(g.hosts);
    expect(pos.size).toBe(3);
    expectNoOverlap(g.hosts.map((h) => ({ ...pos.get(h.id)!, width: h.width, height: h.height })));
    // first host on top
    const first = pos.get(g.hosts[0]!.id)!;
    for (const h of g.hosts.slice(1)) expect(pos.get(h.id)!.y).toBeGreaterThan(first.y);
  });

  it('lays four cards or more out with ELK (stress), without overlaps', async () => {
    // the lab's three cards and a copy of one: past the ring layout (RING_MAX), through ELK
    const four = [...g.hosts, { ...g.hosts[0]!, id: `${g.hosts[0]!.id}-copy` }];
    const pos = await layoutHosts(four);
    expect(pos.size).toBe(4);
    expectNoOverlap(four.map((h) => ({ ...pos.get(h.id)!, width: h.width, height: h.height })));
  });
});

describe('scale', () => {
  it('collapses ports, needs a network to draw edges, and packs 1000 cards without overlap', async () => {
    const hosts = Array.from({ length: 1000 }, (_, i) => {
      const vtep = `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      return {
        id: `h${i}`,
        name: `h${i}`,
        vtep,
        agentType: 'Open vSwitch agent',
        binary: 'neutron-openvswitch-agent',
        l2population: true,
        arpResponder: true,
        distributedRouting: false,
        tunnelTypes: ['vxlan'],
        devices: 3,
        startedAt: 0,
        lastReportAt: 0,
        networks: { [`net-${i % 20}`]: { joinedAt: 0, directedAt: null } },
      };
    });
    const networks = Array.from({ length: 20 }, (_, i) => ({ id: `net-${i}`, vni: 1000 + i, networkType: 'vxlan', firstSeenAt: 0 }));
    const vteps = hosts.map((h, i) => ({
      network: `net-${i % 20}`,
      vtep: h.vtep,
      flood: true,
      macs: [`fa:16:3e:00:${String(i % 100).padStart(2, '0')}:01`],
      neigh: {},
      updatedAt: 0,
    }));
    const model = modelFromSnapshot({ seq: 1, hosts, networks, vteps });
    const g = buildTopology(model, opts);
    expect(g.large).toBe(hosts.length > LARGE_HOSTS);
    expect(g.edges).toEqual([]);
    expect(g.edgeNotice).toMatch(/pick a network/);
    expect(g.hosts[0]!.bridges[0]!.collapsed).toBe(true);
    expect(g.hosts[0]!.bridges[0]!.bridge).toBe('br-tun');
    const sel = buildTopology(model, { selectedNetwork: 'net-3', selectedHost: null });
    // 50 members: a dense mesh (flood edges only), 50*49 > budget -> none until a host is picked
    expect(sel.edges.length).toBe(0);
    expect(sel.edgeNotice).toMatch(/select a host/);
    const withHost = buildTopology(model, { selectedNetwork: 'net-3', selectedHost: 'h3' });
    expect(withHost.edges.length).toBe(2 * 49);
    expect(withHost.edges.every((e) => e.kind === 'flood')).toBe(true);
    const t = Date.now();
    const pos = await layoutHosts(g.hosts);
    expect(Date.now() - t).toBeLessThan(5_000);
    expectNoOverlap(g.hosts.map((h) => ({ ...pos.get(h.id)!, width: h.width, height: h.height })));
    // a picked network: its members on top, nobody overlapping
    const picked = await layoutHosts(sel.hosts);
    expectNoOverlap(sel.hosts.map((h) => ({ ...picked.get(h.id)!, width: h.width, height: h.height })));
    const lowestMember = Math.max(...sel.hosts.filter((h) => !h.dimmed).map((h) => picked.get(h.id)!.y));
    const highestOther = Math.min(...sel.hosts.filter((h) => h.dimmed).map((h) => picked.get(h.id)!.y));
    expect(lowestMember).toBeLessThan(highestOther);
    // a drill-down: 40 cards packed in rows in the given order, the first top left, none overlapping
    const drill = g.hosts.slice(0, 40);
    const order = drill.map((h) => h.id).reverse();
    const packed = packInOrder(drill, order, 1.7);
    expect(packed.size).toBe(40);
    expectNoOverlap(drill.map((h) => ({ ...packed.get(h.id)!, width: h.width, height: h.height })));
    expect(packed.get(order[0]!)).toEqual({ x: 0, y: 0 });
    const rowMajor = order.map((id) => packed.get(id)!);
    for (let i = 1; i < rowMajor.length; i++) {
      const [a, b] = [rowMajor[i - 1]!, rowMajor[i]!];
      expect(b.y > a.y || (b.y === a.y && b.x > a.x), `card ${i} after card ${i - 1}`).toBe(true);
    }
    const xs = [...packed.values()].map((p) => p.x);
    const ys = [...packed.values()].map((p) => p.y);
    const wide = Math.max(...xs) + drill[0]!.width - Math.min(...xs);
    const tall = Math.max(...ys) + drill[0]!.height - Math.min(...ys);
    expect(wide / tall).toBeGreaterThan(0.8); // rows, not one column
    expect(wide / tall).toBeLessThan(3.5); // nor one row
  });
});

describe('edge geometry', () => {
  it('starts and ends on the card borders, opposite directions on opposite sides', () => {
    const a = { x: 0, y: 0, width: 100, height: 50 };
    const b = { x: 300, y: 0, width: 100, height: 50 };
    const ab = tunnelGeometry(a, b, 20)!;
    const ba = tunnelGeometry(b, a, 20)!;
    expect(ab.path.startsWith('M 104.0')).toBe(true);
    expect(Math.sign(ab.label.y - 25)).toBe(-Math.sign(ba.label.y - 25));
    expect(tunnelGeometry(a, a, 20)).toBeNull();
    expect(CARD.width).toBeGreaterThan(0);
  });
});

function expectNoOverlap(rects: { x: number; y: number; width: number; height: number }[]) {
  const sorted = [...rects].sort((p, q) => p.x - q.x);
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    for (let j = i + 1; j < sorted.length && sorted[j]!.x < a.x + a.width; j++) {
      const b = sorted[j]!;
      const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
      expect(overlap, `${JSON.stringify(a)} overlaps ${JSON.stringify(b)}`).toBe(false);
    }
  }
}
