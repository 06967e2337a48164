/**
 * `history.at` and `history.diff` on a real database filled as the worker fills it (the real lab3
 * capture, each message at its capture time): the model as of a time in the middle of the capture
 * is the model folded up to then, and the difference from then to the end names the ports lab3
 * deleted; a time before the oldest stored message is marked not exact.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterModel, decodeMessage, parseCapture } from '@l2scope/domain';
import { type TestDatabase, createTestDatabase } from '@l2scope/testkit';
import { appRouter, createCallerFactory } from '../src';
import { Seeder, TEST_VIEWER } from './seed';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const records = parseCapture(readFileSync(path.join(root, 'fixtures/lab3.jsonl'), 'utf8')).records;

let db: TestDatabase;
let seed: Seeder;
const createCaller = createCallerFactory(appRouter);
let api: ReturnType<typeof createCaller>;

beforeAll(async () => {
  db = await createTestDatabase();
  seed = await Seeder.open(db.url);
  await seed.ingest(records.map((r) => ({ ...r, receivedAt: r.ts.getTime() })));
  api = createCaller({ db: seed.db, user: TEST_VIEWER, originTrusted: false });
});
afterAll(async () => {
  await seed?.close();
  await db?.drop();
});

/** The model folded up to and including the messages received at `t`. */
function foldedUpTo(t: number) {
  const m = new ClusterModel();
  records.forEach((r, i) => {
    const d = decodeMessage(r);
    if (d.ok && r.ts.getTime() <= t) m.apply(d.message, r.ts.getTime(), i + 1);
  });
  return m.snapshot();
}
const ids = (xs: { id: string }[]) => xs.map((x) => x.id).sort();

describe('history', () => {
  it('history.at: the model as of T in the middle of the capture', async () => {
    const t = records[Math.floor(records.length / 2)]!.ts.getTime();
    const got = await api.history.at({ at: new Date(t).toISOString() });
    const want = foldedUpTo(t);
    expect(got.exact).toBe(true);
    expect(got.bounds.from).toBe(records[0]!.ts.toISOString());
    expect(ids(got.model.hosts)).toEqual(ids(want.hosts));
    const key = (v: { network: string; vtep: string; macs: string[]; flood: boolean }) => `${v.network}/${v.vtep} ${v.flood} ${v.macs.join(',')}`;
    expect(got.model.vteps.map(key).sort()).toEqual(want.vteps.map(key).sort());
    expect(got.model.vteps.some((v) => v.macs.length > 0)).toBe(true);
  });

  it('history.diff: from the middle to the end, the VM ports lab3 deleted', async () => {
    const mid = records[Math.floor(records.length / 2)]!.ts.getTime();
    const end = records[records.length - 1]!.ts.getTime();
    const { diff, exact } = await api.history.diff({ from: new Date(mid).toISOString(), to: new Date(end).toISOString() });
    expect(exact).toBe(true);
    const removed = new Set(diff.vteps.flatMap((v) => v.macsRemoved));
    const before = foldedUpTo(mid).vteps.flatMap((v) => v.macs);
    const after = new Set(foldedUpTo(end).vteps.flatMap((v) => v.macs));
    expect([...removed].sort()).toEqual(before.filter((m) => !after.has(m)).sort());
    expect(removed.size).toBeGreaterThan(0);
    const capped = await api.history.diff({ from: new Date(mid).toISOString(), to: new Date(end).toISOString(), limit: 1 });
    expect(capped.diff.vteps.length).toBeLessThanOrEqual(1);
    expect(capped.diff.truncated).toBe(diff.vteps.length > 1);
  });

  it('a time before the oldest stored message is empty and not exact; a malformed time is refused', async () => {
    const got = await api.history.at({ at: new Date(records[0]!.ts.getTime() - 60_000).toISOString() });
    expect(got.exact).toBe(false);
    expect(got.model.hosts).toEqual([]);
    await expect(api.history.at({ at: 'yesterday' })).rejects.toThrow();
  });
});
