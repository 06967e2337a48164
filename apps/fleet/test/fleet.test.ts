/**
 * The generator: the same seed gives the same bytes, the counts are the ones asked for, every
 * body decodes with the domain's decoder, and the casts follow l2pop's rules (a host's first port
 * of a network brings it one full FDB; flood entries first; a restart storm is P x (1 + H)).
 */
import { describe, expect, it } from 'vitest';
import {
  type BumReport,
  ClusterModel,
  type FdbMessage,
  type FullNodeSnapshot,
  NODE_EXCHANGE,
  analyzeNodes,
  decodeMessage,
  nodeAgentUser,
  parseBumReport,
  parseNodeRoutingKey,
  parseNodeSnapshot,
} from '@l2scope/domain';
import {
  FLOODING_ENTRY,
  type FleetMessage,
  NeutronSimulation,
  NodeSimulation,
  deliveries,
  fleetSchedule,
  generateFleet,
  loadTemplates,
  staleMacOf,
  stormHosts,
} from '../src';
import type { Fleet, ScheduleOptions } from '../src';

const templates = loadTemplates();
const T0 = Date.parse('2026-12-01T00:00:00Z');
const run = (fleet: Fleet, opts: Partial<ScheduleOptions> = {}) => {
  const sim = new NeutronSimulation(fleet, templates, opts.seed ?? 7, T0, { duplicates: opts.duplicates ?? true });
  const messages = [...fleetSchedule(fleet, templates, { seed: 7, startMs: T0, ...opts }, sim)];
  return { sim, messages };
};
const fdb = (m: FleetMessage) => {
  const r = decodeMessage({ exchange: m.exchange, routingKey: m.routingKey, body: m.body });
  if (!r.ok) throw new Error(`undecodable: ${JSON.stringify(r.error)}`);
  return r.message as FdbMessage;
};

describe('fleet generation', () => {
  it('gives the same bytes for the same seed, other bytes for another', () => {
    const opts = { durationS: 120, churnPerS: 2, storm: 2, stormAtS: 30, dead: 3 };
    const a = run(generateFleet({ seed: 7, hosts: 30, networks: 12, ports: 200 }), opts).messages;
    const b = run(generateFleet({ seed: 7, hosts: 30, networks: 12, ports: 200 }), opts).messages;
    const c = run(generateFleet({ seed: 8, hosts: 30, networks: 12, ports: 200 }), { ...opts, seed: 8 }).messages;
    const bytes = (ms: FleetMessage[]) => ms.map((m) => `${m.at} ${m.exchange} ${m.routingKey} ${m.body}`).join('\n');
    expect(a.length).toBeGreaterThan(1000);
    expect(bytes(b)).toBe(bytes(a));
    expect(bytes(c)).not.toBe(bytes(a));
  });

  it('has the hosts, networks and ports asked for, every network with a port', () => {
    const fleet = generateFleet({ seed: 1, hosts: 1000, networks: 2000, ports: 10_000 });
    expect([fleet.hosts.length, fleet.networks.length, fleet.ports.length]).toEqual([1000, 2000, 10_000]);
    expect(new Set(fleet.hosts.map((h) => h.vtep)).size).toBe(1000);
    expect(new Set(fleet.networks.map((n) => n.id)).size).toBe(2000);
    expect(new Set(fleet.ports.map((p) => p.mac)).size).toBe(10_000);
    expect(new Set(fleet.ports.map((p) => p.network)).size).toBe(2000);
    const ovs = fleet.hosts.filter((h) => h.agent === 'openvswitch').length;
    expect(ovs).toBeGreaterThan(400);
    expect(ovs).toBeLessThan(600);
    expect(() => generateFleet({ seed: 1, hosts: 0, networks: 1, ports: 1 })).toThrow(/hosts/);
  });

  it('every body decodes with the domain decoder, none undecodable', () => {
    const fleet = generateFleet({ seed: 3, hosts: 40, networks: 15, ports: 300 });
    const { messages } = run(fleet, { durationS: 300, churnPerS: 5, storm: 3, stormAtS: 60 });
    const methods = new Map<string, number>();
    for (const m of messages) {
      const r = decodeMessage({ exchange: m.exchange, routingKey: m.routingKey, body: m.body });
      expect(r.ok, `${m.method} ${m.routingKey}`).toBe(true);
      if (r.ok) {
        expect(r.message.method).toBe(m.method);
        expect(r.message.target).toBe(m.kind === 'directed' ? m.host : m.kind === 'fanout' ? 'fanout' : null);
      }
      methods.set(m.method, (methods.get(m.method) ?? 0) + 1);
    }
    expect([...methods.keys()].sort()).toEqual(['add_fdb_entries', 'remove_fdb_entries', 'report_state', 'update_fdb_entries']);
  });

  it('reports every host at the start, then every interval with jitter, none from dead agents', () => {
    const fleet = generateFleet({ seed: 5, hosts: 50, networks: 5, ports: 50 });
    const { messages } = run(fleet, { durationS: 95, reportIntervalS: 30, reportJitterS: 2, dead: 4 });
    const reports = new Map<string, number[]>();
    for (const m of messages) if (m.kind === 'report') reports.set(m.host!, [...(reports.get(m.host!) ?? []), m.at]);
    expect(reports.size).toBe(50);
    const counts = [...reports.values()].map((ts) => ts.length);
    expect(counts.filter((n) => n === 1)).toHaveLength(4); // the dead: their first report only
    for (const ts of reports.values()) {
      if (ts.length === 1) continue;
      expect(ts[0]).toBe(T0);
      expect(ts.length).toBeGreaterThanOrEqual(3);
      for (let i = 2; i < ts.length; i++) expect(Math.abs(ts[i]! - ts[i - 1]! - 30_000)).toBeLessThanOrEqual(2000);
    }
    const first = messages.filter((m) => m.kind === 'report').slice(0, 50);
    expect(first.every((m) => m.body.includes('\\"start_flag\\": true'))).toBe(true);
    expect(messages.filter((m) => m.kind === 'report' && m.at > T0).some((m) => m.body.includes('start_flag'))).toBe(false);
  });
});

describe('l2pop semantics', () => {
  it('gives each host exactly one full FDB per network on its first port there (none to the first host of a network)', () => {
    const fleet = generateFleet({ seed: 11, hosts: 25, networks: 8, ports: 200 });
    const { messages } = run(fleet, { duplicates: false });
    const directed = new Map<string, number>();
    const seen = new Map<string, Set<string>>(); // network -> VTEPs told so far by fanout
    for (const m of messages) {
      if (m.kind === 'report') continue;
      const d = fdb(m);
      const network = d.entries[0]!.network;
      if (m.kind === 'directed') {
        const key = `${network} ${m.host}`;
        directed.set(key, (directed.get(key) ?? 0) + 1);
        // the full FDB: every other VTEP with ports so far, each with its flood entry first
        const vteps = [...new Set(d.entries.map((e) => e.vtep))];
        expect(new Set(vteps)).toEqual(seen.get(network));
        for (const v of vteps) expect(d.entries.find((e) => e.vtep === v)!.flood).toBe(true);
      } else {
        const vtep = d.entries[0]!.vtep;
        if (!seen.has(network)) seen.set(network, new Set());
        // the flood entry comes first, exactly on the VTEP's first port of the network
        expect(d.entries[0]!.flood).toBe(!seen.get(network)!.has(vtep));
        seen.get(network)!.add(vtep);
      }
    }
    const members = new Map<string, number[]>();
    for (const p of fleet.ports) {
      const id = fleet.networks[p.network]!.id;
      if (!members.has(id)) members.set(id, []);
      if (!members.get(id)!.includes(p.host)) members.get(id)!.push(p.host);
    }
    let expected = 0;
    for (const [id, hosts] of members)
      for (const [i, h] of hosts.entries()) {
        expect(directed.get(`${id} ${fleet.hosts[h]!.name}`) ?? 0).toBe(i === 0 ? 0 : 1);
        expected += i === 0 ? 0 : 1;
      }
    expect([...directed.values()].reduce((a, b) => a + b, 0)).toBe(expected);
  });

  it('sends every port-up cast twice (new _unique_id, same request id), removes and chg_ip once', () => {
    const fleet = generateFleet({ seed: 2, hosts: 10, networks: 3, ports: 30 });
    const { messages } = run(fleet, { durationS: 200, churnPerS: 3 });
    const adds = messages.filter((m) => m.method === 'add_fdb_entries');
    const byArgs = new Map<string, string[]>();
    const requestIds = new Set<string>();
    for (const m of adds) {
      const inner = JSON.parse((JSON.parse(m.body) as { 'oslo.message': string })['oslo.message']) as {
        args: unknown;
        _unique_id: string;
        _context_request_id: string;
      };
      requestIds.add(inner._context_request_id);
      const k = `${m.at} ${m.routingKey} ${JSON.stringify(inner.args)}`;
      byArgs.set(k, [...(byArgs.get(k) ?? []), inner._unique_id]);
    }
    for (const ids of byArgs.values()) {
      expect(ids.length % 2).toBe(0);
      expect(new Set(ids).size).toBe(ids.length);
    }
    expect(requestIds.size).toBe(1); // the driver's rpc_ctx, made once at server start
    expect(messages.filter((m) => m.method === 'remove_fdb_entries').length).toBeGreaterThan(0);
    expect(messages.filter((m) => m.method === 'update_fdb_entries').length).toBeGreaterThan(0);
  });

  it('removes a port with its flood entry first when it was the last of its host on the network', () => {
    const fleet = generateFleet({ seed: 4, hosts: 6, networks: 2, ports: 12 });
    const { messages, sim } = run(fleet, { durationS: 600, churnPerS: 4, duplicates: false });
    const count = new Map<string, number>(); // "network vtep" -> active ports, as the fanout casts tell it
    let lastRemoves = 0;
    for (const m of messages) {
      if (m.kind !== 'fanout' || m.method === 'update_fdb_entries') continue;
      const d = fdb(m);
      expect(d.entries.filter((e) => !e.flood)).toHaveLength(1);
      const k = `${d.entries[0]!.network} ${d.entries[0]!.vtep}`;
      const before = count.get(k) ?? 0;
      expect(d.entries[0]!.flood).toBe(m.method === 'add_fdb_entries' ? before === 0 : before === 1);
      if (m.method === 'remove_fdb_entries' && before === 1) lastRemoves++;
      count.set(k, before + (m.method === 'add_fdb_entries' ? 1 : -1));
    }
    expect(lastRemoves).toBeGreaterThan(0);
    // the simulation's state is what the casts told
    const told = new Map(sim.told().map((t) => [`${t.network} ${t.vtep}`, t.macs.length]));
    expect(told).toEqual(new Map([...count].filter(([, n]) => n > 0)));
  });

  it('an OVS agent restart storm is P x (1 + H) deliveries (x2 duplicated), a full FDB per port', () => {
    // few networks, many ports: every network spans several hosts, so every port's full FDB is sent
    const fleet = generateFleet({ seed: 9, hosts: 30, networks: 3, ports: 600 });
    const storm = stormHosts(fleet, 4);
    const before = run(fleet).messages.length;
    const { messages, sim } = run(fleet, { storm: 4 });
    const stormMessages = messages.slice(before);
    const P = storm.reduce((n, h) => n + sim.portsOfHost(h).length, 0);
    const H = fleet.hosts.length;
    expect(P).toBeGreaterThan(50);
    const reports = stormMessages.filter((m) => m.kind === 'report');
    expect(reports.map((m) => m.host)).toEqual(storm.map((h) => fleet.hosts[h]!.name));
    expect(reports.every((m) => m.body.includes('\\"start_flag\\": true'))).toBe(true);
    const casts = stormMessages.filter((m) => m.kind !== 'report');
    expect(casts.filter((m) => m.kind === 'directed')).toHaveLength(2 * P);
    expect(casts.filter((m) => m.kind === 'fanout')).toHaveLength(2 * P);
    expect(casts.reduce((n, m) => n + deliveries(fleet, m), 0)).toBe(2 * P * (1 + H));
    for (const m of casts.filter((c) => c.kind === 'fanout')) expect(fdb(m).entries[0]!.mac).toBe(FLOODING_ENTRY[0]);
  });
});

describe('node agents (--nodes)', () => {
  const nodeRun = (fleet: Fleet, opts: Partial<ScheduleOptions> = {}) => {
    const sim = new NeutronSimulation(fleet, templates, opts.seed ?? 7, T0, { duplicates: opts.duplicates ?? true });
    const node = new NodeSimulation(sim, opts.seed ?? 7);
    const messages = [...fleetSchedule(fleet, templates, { seed: 7, startMs: T0, ...opts }, sim, node)];
    return { sim, node, messages };
  };
  /** The model as the worker folds the server's messages, and the latest full snapshot per host. */
  const fold = (messages: FleetMessage[]) => {
    const model = new ClusterModel();
    const latest = new Map<string, FullNodeSnapshot>();
    let seq = 0;
    for (const m of messages) {
      if (m.kind === 'snapshot') {
        const s = parseNodeSnapshot(JSON.parse(m.body));
        if (s.kind === 'full') latest.set(s.host, s);
        continue;
      }
      if (m.kind === 'bum') continue;
      const r = decodeMessage({ exchange: m.exchange, routingKey: m.routingKey, body: m.body });
      if (r.ok) model.apply(r.message, m.at, ++seq);
    }
    return { model, snapshots: [...latest.values()] };
  };
  const nodeOpts = { durationS: 90, churnPerS: 1, nodes: { intervalS: 30, bumIntervalS: 10, drift: 4, halfSwitched: 2 }, dead: 2 };

  it('leaves the server bytes as they are, and gives the same node bytes for the same seed', () => {
    const fleet = () => generateFleet({ seed: 7, hosts: 24, networks: 6, ports: 120 });
    const bytes = (ms: FleetMessage[]) => ms.map((m) => `${m.at} ${m.exchange} ${m.routingKey} ${JSON.stringify(m.properties)} ${m.body}`).join('\n');
    const a = nodeRun(fleet(), nodeOpts).messages;
    const b = nodeRun(fleet(), nodeOpts).messages;
    expect(bytes(b)).toBe(bytes(a));
    const server = (ms: FleetMessage[]) => bytes(ms.filter((m) => m.kind !== 'snapshot' && m.kind !== 'bum'));
    expect(server(a)).toBe(server(run(fleet(), { durationS: 90, churnPerS: 1, dead: 2 }).messages));
  });

  it('sends snapshots and BUM reports the domain decodes, each keyed and user-stamped for its own host', () => {
    const fleet = generateFleet({ seed: 7, hosts: 24, networks: 6, ports: 120 });
    const { messages, node } = nodeRun(fleet, nodeOpts);
    const snaps = messages.filter((m) => m.kind === 'snapshot');
    const bums = messages.filter((m) => m.kind === 'bum');
    for (const m of [...snaps, ...bums]) {
      const body = JSON.parse(m.body) as { host: string };
      expect(m.exchange).toBe(NODE_EXCHANGE.name);
      expect(m.routingKey).toBe(`${m.kind}.${body.host}`);
      expect(m.properties.userId).toBe(nodeAgentUser(body.host));
      expect(parseNodeRoutingKey(m.routingKey)?.host).toBe(m.host);
      if (m.kind === 'snapshot') expect(parseNodeSnapshot(body).host).toBe(m.host);
      else expect(parseBumReport(body).host).toBe(m.host);
    }
    // every host at every interval (4 in 90 s at a phase), the dead ones once
    const per = new Map<string, number>();
    for (const m of snaps) per.set(m.host!, (per.get(m.host!) ?? 0) + 1);
    expect(per.size).toBe(24);
    const dead = [...node.faults.dead].map((h) => fleet.hosts[h]!.name);
    expect(dead).toHaveLength(2);
    for (const [host, n] of per) {
      if (dead.includes(host)) expect(n).toBe(1);
      else expect(n).toBe(3);
    }
    expect(bums.filter((m) => dead.includes(m.host!))).toHaveLength(2);
    // head-end replication: BUM goes out to the VTEPs of the flood entries held
    expect(bums.some((m) => (JSON.parse(m.body) as BumReport).flows.length > 0)).toBe(true);
  });

  it('holds exactly what l2pop told each host, after churn: no drift and no finding without faults', () => {
    const fleet = generateFleet({ seed: 12, hosts: 20, networks: 5, ports: 100 });
    const { messages, node } = nodeRun(fleet, { durationS: 120, churnPerS: 2, nodes: { intervalS: 30, bumIntervalS: 0 } });
    expect(messages.filter((m) => m.method === 'remove_fdb_entries').length).toBeGreaterThan(20);
    // every host's snapshot taken now, against the model of everything the server sent
    const { model } = fold(messages);
    const a = analyzeNodes({ model, snapshots: fleet.hosts.map((h) => node.snapshotOf(T0 + 121_000, h.index)) });
    expect(Object.keys(a.hosts)).toHaveLength(20);
    expect(Object.values(a.hosts).flatMap((h) => h.drift)).toEqual([]);
    expect(a.findings).toEqual([]);
    expect(Object.values(a.hosts).every((h) => h.mode.l2pop === 'on' && h.mode.floodMode === 'unicast')).toBe(true);
  });

  it('the injected drift and half-switched hosts are exactly the drift classes and findings of the analysis', () => {
    const fleet = generateFleet({ seed: 12, hosts: 20, networks: 5, ports: 100 });
    const { messages, node } = nodeRun(fleet, { durationS: 30, nodes: { intervalS: 30, bumIntervalS: 0, drift: 4, halfSwitched: 2 } });
    const a = analyzeNodes(fold(messages));
    const name = (h: number) => fleet.hosts[h]!.name;
    const drift = Object.entries(a.hosts)
      .flatMap(([host, h]) => h.drift.map((d) => `${host} ${d.class} ${d.class === 'missing_flood' ? d.vtep : d.mac}`))
      .sort();
    expect(drift).toEqual(
      node.faults.drift
        .map((d) => {
          const held = node.held(d.host).find((n) => n.missingFlood || n.stale)!;
          return `${name(d.host)} ${d.kind} ${d.kind === 'missing_flood' ? held.missingFlood : staleMacOf(d.host)}`;
        })
        .sort(),
    );
    const half = [...node.faults.halfSwitched];
    expect(half).toHaveLength(2);
    // a half_switched_vxlan finding on every network of a half-switched host, naming exactly those hosts
    // and mixed_arp_responder where it meets hosts whose responder runs (its device has no "proxy": docs/lab.md#gotcha-12)
    const members = (n: number) => fleet.hosts.filter((h) => node.sim.networksOf(h.index).includes(n)).map((h) => h.name);
    const byName = (x: string, y: string) => x.localeCompare(y, 'en', { numeric: true });
    const expected: string[] = [];
    for (const n of new Set(half.flatMap((h) => node.sim.networksOf(h)))) {
      const id = fleet.networks[n]!.id;
      const all = members(n);
      expected.push(
        `half_switched_vxlan ${id} ${half
          .map(name)
          .filter((h) => all.includes(h))
          .sort()
          .join(',')}`,
      );
      if (all.some((h) => !half.map(name).includes(h))) expected.push(`mixed_arp_responder ${id} ${all.sort(byName).join(',')}`);
    }
    expect(a.findings.map((f) => `${f.kind} ${f.network} ${f.hosts.join(',')}`).sort()).toEqual(expected.sort());
    for (const h of half) expect(a.hosts[name(h)]!.mode.floodMode).toBe('multicast+unicast');
  });
});
