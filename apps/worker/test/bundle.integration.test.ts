/**
 * The worker started on a support bundle (`--snapshots`, offline analysis and demos) after lab3's
 * real capture replayed up to step 1: the bundle's hosts are analysed against the model and their
 * snapshots and analyses stored (what `nodes.overview` then reads), and the operator endpoint
 * `GET /api/nodes` shows the same node view from memory.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAnalyses, loadNodeSnapshots, readNodesOverview } from '@l2scope/db';
import { type TestDatabase, createWorkerToken, waitFor, workerAuthHeaders } from '@l2scope/testkit';
import { type NodesStatus, type WorkerHandle, startWorker } from '../src';
import { migratedTestDatabase } from './helpers/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const step1 = Number.parseFloat(
  readFileSync(path.join(root, 'fixtures/lab3/events.tsv'), 'utf8')
    .split('\n')
    .find((l) => l.endsWith('snapshot 1-ports-active'))!
    .split('\t')[0]!,
);

let db: TestDatabase;
let worker: WorkerHandle;
const token = createWorkerToken();

beforeAll(async () => {
  db = await migratedTestDatabase();
  worker = await startWorker({
    replayFile: path.join(root, 'fixtures/lab3.jsonl'),
    speed: 0,
    until: step1 * 1000,
    snapshotsDir: path.join(root, 'fixtures/lab3/1-ports-active'),
    databaseUrl: db.url,
    port: 0,
    token,
    log: () => {},
  });
  await worker.replayDone;
  // the bundle may have been analysed while the replay still ran (a busy machine): analyse the
  // whole model now and wait for that analysis to be stored, instead of racing the debounce
  worker.nodes.run();
  await worker.nodes.flush();
  await waitFor(
    'three analyses and snapshots stored',
    async () => (await hostAnalyses(worker.db)).length === 3 && (await loadNodeSnapshots(worker.db)).snapshots.length === 3,
    20_000,
  );
});
afterAll(async () => {
  await worker?.stop();
  await db?.drop();
});

describe('a support bundle loaded at start', () => {
  it('is analysed and stored: three hosts in lab3 mode, zero drift, no finding', async () => {
    const o = await readNodesOverview(worker.db);
    expect(o.hosts.map((h) => [h.host, h.vtep, h.l2pop, h.arpResponder, h.driftTotal])).toEqual([
      ['compute1', '10.0.20.12', 'on', 'on', 0],
      ['compute2', '10.0.20.13', 'on', 'on', 0],
      ['controller', '10.0.20.11', 'on', 'on', 0],
    ]);
    expect(Object.values(o.driftTotals).every((n) => n === 0)).toBe(true);
    expect(o.findings).toEqual([]);
    expect(worker.nodes.counters.snapshots).toBe(3);
  });

  it('GET /api/nodes: the node view in memory', async () => {
    expect((await fetch(`http://127.0.0.1:${worker.port}/api/nodes`)).status).toBe(401);
    const r = await fetch(`http://127.0.0.1:${worker.port}/api/nodes`, { headers: workerAuthHeaders(token) });
    expect(r.status).toBe(200);
    const body = (await r.json()) as NodesStatus;
    expect(body.hosts).toEqual(['compute1', 'compute2', 'controller']);
    expect(Object.keys(body.analysis!.hosts).sort()).toEqual(['compute1', 'compute2', 'controller']);
    expect(body.findings).toEqual([]);
    expect(body.counters.snapshots).toBe(3);
  });
});
