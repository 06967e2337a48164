/**
 * The generator: the same seed gives the same bytes, the counts are the ones asked for, every
 * body decodes with the domain's decoder, and the casts follow l2pop's rules (a host's first port
 * of a network brings it one full FDB; flood entries first; a restart storm is P x (1 + H)).
 */
import { describe, expect, it } from 'vitest';
import { type FdbMessage, decodeMessage } from '@l2scope/domain';
import { FLOODING_ENTRY, type FleetMessage, NeutronSimulation, deliveries, fleetSchedule, generateFleet, loadTemplates, stormHosts } from '../src';
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
