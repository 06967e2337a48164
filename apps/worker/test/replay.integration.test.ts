/**
 * The embedded default: a capture replayed in-process through the same pipeline, into a real
 * database. What the database projection holds must equal the live model, message for message.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelSnapshot } from '@l2scope/db';
import { ClusterModel, decodeMessage, parseCapture } from '@l2scope/domain';
import { type TestDatabase } from '@l2scope/testkit';
import { type WorkerHandle, startWorker } from '../src';
import { migratedTestDatabase } from './helpers/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const file = path.join(root, 'fixtures/lab3.jsonl');
const records = parseCapture(readFileSync(file, 'utf8')).records;

let db: TestDatabase;
let worker: WorkerHandle;

beforeAll(async () => {
  db = await migratedTestDatabase();
  worker = await startWorker({ replayFile: file, speed: 0, databaseUrl: db.url, port: 0, log: () => {} });
  expect(await worker.replayDone).toBe(records.length);
});
afterAll(async () => {
  await worker?.stop();
  await db?.drop();
});

describe('in-process replay of the real lab3 capture', () => {
  it('stores every message of the capture, in order, with its raw body', async () => {
    const rows = await worker.db.message.findMany({
      orderBy: { id: 'asc' },
      select: { id: true, exchange: true, routingKey: true, raw: true, ok: true, source: true },
    });
    expect(rows).toHaveLength(records.length);
    rows.forEach((r, i) => {
      expect(Number(r.id)).toBe(i + 1);
      expect(`${r.exchange} ${r.routingKey}`).toBe(`${records[i]!.exchange} ${records[i]!.routingKey}`);
      expect(Buffer.from(r.raw).equals(Buffer.from(records[i]!.body))).toBe(true);
      expect(r.ok).toBe(true);
      expect(r.source).toBe('replay');
    });
  });

  it('persists a projection equal to the model the pure domain code builds from the same capture', async () => {
    const expected = new ClusterModel();
    records.forEach((r, i) => {
      const d = decodeMessage(r);
      if (d.ok) expected.apply(d.message, 0, i + 1);
    });
    const stored = await readModelSnapshot(worker.db);
    const live = worker.pipeline.model.snapshot();
    // timestamps differ (receive time vs 0); structure must not
    const shape = (s: typeof stored) => ({
      seq: s.seq,
      hosts: s.hosts
        .map((h) => ({ id: h.id, vtep: h.vtep, l2population: h.l2population, networks: Object.keys(h.networks) }))
        .sort((a, b) => a.id.localeCompare(b.id)),
      networks: s.networks.map((n) => ({ id: n.id, vni: n.vni })),
      vteps: s.vteps.map((v) => ({ ...v, updatedAt: 0 })).sort((a, b) => a.vtep.localeCompare(b.vtep)),
    });
    expect(shape(stored)).toEqual(shape(live));
    expect(shape(stored)).toEqual(shape(expected.snapshot()));
    expect(stored.seq).toBe(records.length);
  });

  it('resumes the model from the database after a restart', async () => {
    const again = await startWorker({ databaseUrl: db.url, port: 0, replayFile: path.join(root, 'fixtures/ovs-try.jsonl'), speed: 0, until: 0, log: () => {} });
    try {
      await again.replayDone;
      expect(
        again.pipeline.model
          .snapshot()
          .hosts.map((h) => h.id)
          .sort(),
      ).toEqual(['compute1', 'compute2', 'controller']);
      expect(again.stats().received).toBe(records.length);
      expect(again.pipeline.seq).toBe(records.length);
    } finally {
      await again.stop();
    }
  });
});
