/**
 * `search.find` on a real database filled as the worker fills it (the real `faults` capture (lab3 with its ports up) decoded,
 * folded and stored through packages/db): hosts by name prefix and VTEP IP, networks by VNI and
 * UUID prefix, ports by MAC (any spelling, or a prefix) and by IP, each resolved to the host behind
 * its VTEP as the model projection says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelSnapshot } from '@l2scope/db';
import type { ModelSnapshot } from '@l2scope/domain';
import { type Caller, type SeededApi, fixtureRecords, seededApi } from './seed';

let suite: SeededApi;
let model: ModelSnapshot;
let api: Caller;

beforeAll(async () => {
  suite = await seededApi((seed) => seed.ingest(fixtureRecords('faults.jsonl')).then(() => {}));
  model = await readModelSnapshot(suite.seed.db);
  api = suite.api;
});
afterAll(async () => {
  await suite?.close();
});

describe('search.find', () => {
  it('finds hosts by name prefix and by VTEP IP', async () => {
    const hosts = (await api.search.find({ q: 'comp' })).filter((h) => h.kind === 'host');
    expect(hosts.map((h) => h.host)).toEqual(
      model.hosts
        .filter((h) => h.id.startsWith('comp'))
        .map((h) => h.id)
        .sort(),
    );
    expect(hosts.length).toBeGreaterThan(1);
    const one = model.hosts.find((h) => h.vtep)!;
    const byIp = await api.search.find({ q: one.vtep! });
    expect(byIp).toContainEqual({ kind: 'host', host: one.id, vtep: one.vtep });
  });

  it('finds the network by VNI and by UUID prefix', async () => {
    const net = model.networks.find((n) => n.vni !== null)!;
    expect(await api.search.find({ q: String(net.vni) })).toContainEqual({ kind: 'network', network: net.id, vni: net.vni, name: null });
    expect((await api.search.find({ q: net.id.slice(0, 8) })).some((h) => h.kind === 'network' && h.network === net.id)).toBe(true);
  });

  it('finds a port by MAC in any spelling and lands on the host behind its VTEP', async () => {
    const entry = model.vteps.find((v) => v.macs.length > 0)!;
    const mac = entry.macs[0]!;
    const host = model.hosts.find((h) => h.vtep === entry.vtep)!.id;
    for (const q of [mac.toUpperCase(), mac.replace(/:/g, '-'), mac.replace(/:/g, ''), mac.slice(0, 14)]) {
      const ports = (await api.search.find({ q })).filter((h) => h.kind === 'port');
      expect(ports, q).toContainEqual(expect.objectContaining({ mac, network: entry.network, vtep: entry.vtep, host }));
    }
  });

  it('finds a port by its IP from the neighbour rows', async () => {
    const entry = model.vteps.find((v) => Object.keys(v.neigh).length > 0)!;
    const [ip, mac] = Object.entries(entry.neigh)[0]!;
    const ports = (await api.search.find({ q: ip })).filter((h) => h.kind === 'port');
    expect(ports).toContainEqual(expect.objectContaining({ mac, ips: [ip], network: entry.network, vtep: entry.vtep }));
  });

  it('is bounded and finds nothing for a one-character or unknown query', async () => {
    expect(await api.search.find({ q: 'c' })).toEqual([]);
    expect(await api.search.find({ q: 'no-such-thing' })).toEqual([]);
    expect((await api.search.find({ q: 'fa:16', limit: 1 })).filter((h) => h.kind === 'port')).toHaveLength(1);
    await expect(api.search.find({ q: 'x'.repeat(201) })).rejects.toThrow();
  });
});
