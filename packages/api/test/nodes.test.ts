/**
 * The node view API on a database filled as the worker fills it: lab3's real capture up to step 1
 * folded into the model, and the same step's real kernel snapshots (its support bundle) analysed
 * against it, stored through packages/db's repositories.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Caller, type SeededApi, type Seeder, seedLab3Step1, seededApi } from './seed';

const NET = '7592da76-ae90-48b3-b213-51b1b36f8297';

let suite: SeededApi;
let seed: Seeder;
let api: Caller;

beforeAll(async () => {
  suite = await seededApi(seedLab3Step1);
  ({ seed, api } = suite);
});
afterAll(async () => {
  await suite?.close();
});

describe('nodes API', () => {
  it('overview: three hosts in lab3 mode, zero drift, no finding', async () => {
    const o = await api.nodes.overview();
    expect(o.hosts.map((h) => [h.host, h.vtep, h.l2pop, h.arpResponder, h.driftTotal])).toEqual([
      ['compute1', '10.0.20.12', 'on', 'on', 0],
      ['compute2', '10.0.20.13', 'on', 'on', 0],
      ['controller', '10.0.20.11', 'on', 'on', 0],
    ]);
    expect(Object.values(o.driftTotals).every((n) => n === 0)).toBe(true);
    expect(o.findings).toEqual([]);
  });

  it('host: what it was told next to what it holds', async () => {
    const h = await api.nodes.host({ host: 'compute1' });
    expect(h.view).toMatchObject({ vtep: '10.0.20.12', l2population: true });
    expect(h.told[0]!.floodList).toEqual(['10.0.20.11', '10.0.20.13']);
    const held = h.snapshot!.linuxbridge!.fdb.filter((r) => r.dev === 'vxlan-649' && r.dst && r.state === 'permanent').map((r) => `${r.mac} ${r.dst}`);
    const told = h.told[0]!.fdb.map((r) => `${r.mac} ${r.vtep}`);
    expect(held.sort()).toEqual(told.sort());
    expect(h.analysis!.drift).toEqual([]);
  });

  it('network: each member host floods to exactly the other two', async () => {
    const n = await api.nodes.network({ network: NET });
    expect(n.network.vni).toBe(649);
    expect(n.hosts.map((h) => [h.host, h.flood.actual, h.flood.excess, h.flood.missing])).toEqual([
      ['compute1', ['10.0.20.11', '10.0.20.13'], [], []],
      ['compute2', ['10.0.20.11', '10.0.20.12'], [], []],
      ['controller', ['10.0.20.12', '10.0.20.13'], [], []],
    ]);
  });

  it('answers NOT_FOUND for an unknown host or network', async () => {
    await expect(api.nodes.host({ host: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(api.nodes.network({ network: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a network_delete: the network page says deleted with when, the snapshot leaves it out, the filter marks it', async () => {
    expect((await api.nodes.network({ network: NET })).network.deletedAt).toBeNull();
    const body = JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method: 'network_delete', args: { network_id: NET } }) });
    await seed.ingest([
      { exchange: 'q-agent-notifier-network-delete_fanout', routingKey: '', body: new TextEncoder().encode(body), receivedAt: 1_800_000_000_000 },
    ]);
    expect((await api.nodes.network({ network: NET })).network).toMatchObject({ id: NET, vni: 649, deletedAt: 1_800_000_000_000 });
    const snap = await api.topology.snapshot();
    expect(snap.networks.map((n) => n.id)).not.toContain(NET);
    expect(snap.vteps.filter((v) => v.network === NET)).toEqual([]);
    expect(snap.hosts.filter((h) => h.networks[NET]).map((h) => h.id)).toEqual([]);
    expect((await api.messages.facets()).networks).toEqual([{ id: NET, vni: 649, deletedAt: 1_800_000_000_000 }]);
    const rows = await api.messages.list({ method: 'network_delete' });
    expect(rows.items.map((m) => [m.kind, m.networks, m.vnis])).toEqual([['network_delete', [NET], [649]]]);
  });
});
