/**
 * The node view API on a database the real worker filled: lab3's capture replayed up to step 1
 * and the same step's real kernel snapshots loaded as a support bundle.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestDatabase, createTestDatabase, waitFor } from '@l2scope/testkit';
import { type WorkerHandle, startWorker } from '@l2scope/worker';
import { appRouter, createCallerFactory } from '../src';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const NET = '7592da76-ae90-48b3-b213-51b1b36f8297';
const step1 = Number.parseFloat(
  readFileSync(path.join(root, 'fixtures/lab3/events.tsv'), 'utf8')
    .split('\n')
    .find((l) => l.endsWith('snapshot 1-ports-active'))!
    .split('\t')[0]!,
);

const createCaller = createCallerFactory(appRouter);
let db: TestDatabase;
let worker: WorkerHandle;
let api: ReturnType<typeof createCaller>;

beforeAll(async () => {
  db = await createTestDatabase();
  worker = await startWorker({
    replayFile: path.join(root, 'fixtures/lab3.jsonl'),
    speed: 0,
    until: step1 * 1000,
    snapshotsDir: path.join(root, 'fixtures/lab3/1-ports-active'),
    databaseUrl: db.url,
    port: 0,
    log: () => {},
  });
  await worker.replayDone;
  api = createCaller({ db: worker.db });
  await waitFor('three analyses and snapshots stored', async () => (await worker.db.hostAnalysisState.count()) === 3 && (await worker.db.nodeState.count()) === 3, 20_000);
});
afterAll(async () => {
  await worker?.stop();
  await db?.drop();
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
});
