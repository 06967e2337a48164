/**
 * `history.overview` on a real database filled as the worker fills it: the real faults capture,
 * then three reports of its real kernel snapshots (baseline, controller's flood entry to compute1
 * deleted, undone), each analysed and stored at its own time. The drift per host and per class as
 * of T is that of the report made by T; so are a network's flood lists as of T (`history.network`).
 * BUM reports metered from the labs' real underlay captures (Lab2 at t(12), then Lab3's compute1 at
 * t(22)): as of T each host's last one, in the live procedures' shape (`history.host` too).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FullNodeSnapshot, snapshotsFromBundle } from '@l2scope/domain';
import { type Caller, type SeededApi, fixtureBumReport, fixtureRecords, repoRoot, seededApi } from './seed';

const records = fixtureRecords('faults.jsonl');
const end = records[records.length - 1]!.ts.getTime();
const t = (s: number) => new Date(end + s * 1000);

/** A step's real kernel snapshots (fixtures/faults/<step>), taken at `at`. */
function step(name: string, at: Date): FullNodeSnapshot[] {
  const dir = path.join(repoRoot, 'fixtures/faults', name);
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (statSync(path.join(dir, f)).isFile()) files[f] = readFileSync(path.join(dir, f), 'utf8');
  return snapshotsFromBundle(files, { takenAt: at.getTime() }).snapshots;
}

const lab2 = { controller: fixtureBumReport('lab2', 'controller', '10.0.20.11'), compute1: fixtureBumReport('lab2', 'compute1', '10.0.20.12') };
const lab3 = { compute1: fixtureBumReport('lab3', 'compute1', '10.0.20.12') };

let suite: SeededApi;
let api: Caller;

beforeAll(async () => {
  suite = await seededApi(async (seed) => {
    await seed.ingest(records.map((r) => ({ ...r, receivedAt: r.ts.getTime() })));
    await seed.nodes(step('0-baseline', t(10)), t(10));
    await seed.nodes(step('1-fault-flood-deleted', t(20)), t(20));
    await seed.nodes(step('2-undone-flood', t(30)), t(30));
    await seed.bum([lab2.controller, lab2.compute1], t(12));
    await seed.bum([lab3.compute1], t(22));
  });
  ({ api } = suite);
});
afterAll(async () => {
  await suite?.close();
});

describe('history.overview', () => {
  const lines = (o: { hosts: { host: string; driftTotal: number; drift: { missing_flood: number } }[] }) =>
    o.hosts.map((h) => [h.host, h.driftTotal, h.drift.missing_flood]);

  it('as of the fault: controller misses one flood entry, the totals say so; before and after it, no drift', async () => {
    const fault = await api.history.overview({ at: t(25).toISOString() });
    expect(fault.at).toBe(t(25).toISOString());
    expect(lines(fault)).toEqual([
      ['compute1', 0, 0],
      ['compute2', 0, 0],
      ['controller', 1, 1],
    ]);
    expect(fault.driftTotals.missing_flood).toBe(1);
    // the seeder stores no convergence sample
    expect(fault.convergence).toEqual([]);
    expect(Object.values(fault.driftTotals).reduce((a, b) => a + b, 0)).toBe(1);

    for (const at of [t(15), t(35)]) {
      const clean = await api.history.overview({ at: at.toISOString() });
      expect(lines(clean)).toEqual([
        ['compute1', 0, 0],
        ['compute2', 0, 0],
        ['controller', 0, 0],
      ]);
      expect(Object.values(clean.driftTotals).every((n) => n === 0)).toBe(true);
    }
  });

  it("per host its last BUM report received by T, in nodes.overview's shape; as of now, nodes.overview's reports", async () => {
    const bum = async (at: Date) => (await api.history.overview({ at: at.toISOString() })).bum;
    expect(await bum(t(11))).toEqual([]);
    expect(await bum(t(15))).toEqual([
      { host: 'compute1', report: lab2.compute1 },
      { host: 'controller', report: lab2.controller },
    ]);
    expect(await bum(t(25))).toEqual([
      { host: 'compute1', report: lab3.compute1 },
      { host: 'controller', report: lab2.controller },
    ]);
    expect(await bum(new Date())).toEqual((await api.nodes.overview()).bum);
  });

  it('before the first report no host has a line; a malformed time is refused', async () => {
    expect((await api.history.overview({ at: t(5).toISOString() })).hosts).toEqual([]);
    await expect(api.history.overview({ at: 'yesterday' })).rejects.toThrow();
  });
});

describe('history.network', () => {
  let NET = '';
  beforeAll(async () => {
    // the faults capture's one network (VNI 649), as the model of T holds it
    const nets = (await api.history.at({ at: t(25).toISOString() })).model.networks;
    expect(nets.map((n) => n.vni)).toEqual([649]);
    NET = nets[0]!.id;
  });
  const floods = (n: { hosts: { host: string; flood: { actual: string[]; missing: string[] } }[] }) =>
    n.hosts.map((h) => [h.host, h.flood.actual, h.flood.missing]);

  it("as of the fault, controller's flood list misses compute1's VTEP; before and after it, every host floods to the other two", async () => {
    const fault = await api.history.network({ network: NET, at: t(25).toISOString() });
    expect(fault.network).toMatchObject({ id: NET, vni: 649, deletedAt: null });
    expect(floods(fault)).toEqual([
      ['compute1', ['10.0.20.11', '10.0.20.13'], []],
      ['compute2', ['10.0.20.11', '10.0.20.12'], []],
      ['controller', ['10.0.20.13'], ['10.0.20.12']],
    ]);
    expect(fault.hosts.find((h) => h.host === 'controller')!.drift.map((d) => d.class)).toEqual(['missing_flood']);
    // each member's last BUM report by T (compute2 sent none), as nodes.network gives the latest
    expect(fault.hosts.map((h) => [h.host, h.bum])).toEqual([
      ['compute1', lab3.compute1],
      ['compute2', null],
      ['controller', lab2.controller],
    ]);
    expect((await api.history.network({ network: NET, at: t(15).toISOString() })).hosts[0]!.bum).toEqual(lab2.compute1);
    const live = await api.nodes.network({ network: NET });
    expect((await api.history.network({ network: NET, at: new Date().toISOString() })).hosts.map((h) => h.bum)).toEqual(live.hosts.map((h) => h.bum));
    for (const at of [t(15), t(35)]) {
      expect(floods(await api.history.network({ network: NET, at: at.toISOString() }))).toEqual([
        ['compute1', ['10.0.20.11', '10.0.20.13'], []],
        ['compute2', ['10.0.20.11', '10.0.20.12'], []],
        ['controller', ['10.0.20.12', '10.0.20.13'], []],
      ]);
    }
  });

  it('before the first report no host floods; an unknown network is NOT_FOUND', async () => {
    expect((await api.history.network({ network: NET, at: t(5).toISOString() })).hosts).toEqual([]);
    await expect(api.history.network({ network: 'nope', at: t(25).toISOString() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('history.host', () => {
  it("the host's last BUM report received by T, as nodes.host gives the latest; none before its first", async () => {
    const bum = async (at: Date) => (await api.history.host({ host: 'compute1', at: at.toISOString() })).bum;
    expect(await bum(t(11))).toBeNull();
    expect(await bum(t(21))).toEqual(lab2.compute1);
    expect(await bum(t(25))).toEqual(lab3.compute1);
    expect(await bum(new Date())).toEqual((await api.nodes.host({ host: 'compute1' })).bum);
    expect((await api.history.host({ host: 'compute2', at: t(25).toISOString() })).bum).toBeNull();
  });
});
