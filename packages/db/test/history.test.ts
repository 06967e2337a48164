/**
 * History on both databases: the real lab3 capture stored as the worker stores it (each message
 * with its model changes, at its capture time), then the model as of T read back from the stored
 * changes equals a fresh model folded up to T, for T across the capture; after retention deleted
 * the older half of the messages, the model as of every later T is still exact (the last change of
 * each record is kept), and the findings open at T are those first seen by T and not resolved by T.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterModel, type FindingView, type ModelSnapshot, decodeMessage, diffModels, messageRefs, messageSearchText, parseCapture } from '@l2scope/domain';
import {
  type Db,
  type MessageRecord,
  closeDb,
  commitBatch,
  historyBounds,
  openDb,
  openFinding,
  pruneRetention,
  readFindingsAt,
  readModelAt,
  resolveFindings,
} from '../src/index';
import { migrate } from '../src/migrate';
import { PROVIDERS } from '../src/config';

const PG_ADMIN = process.env.L2SCOPE_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const pgDbName = `l2scope_history_${process.pid}_${randomBytes(3).toString('hex')}`;
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');
let tmpDir = '';

async function pgAdmin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  tmpDir = mkdtempSync(path.join(tmpdir(), 'l2scope-history-'));
  await pgAdmin(`CREATE DATABASE "${pgDbName}"`);
});
afterAll(async () => {
  rmSync(tmpDir, { recursive: true, force: true });
  await pgAdmin(`DROP DATABASE IF EXISTS "${pgDbName}" WITH (FORCE)`);
});

/** lab3's messages as the worker's pipeline makes them (decoded, folded), and the model after each. */
function lab3(): { records: MessageRecord[]; after: ModelSnapshot[] } {
  const { records: capture } = parseCapture(readFileSync(path.join(FIXTURES, 'lab3.jsonl'), 'utf8'));
  const model = new ClusterModel();
  const records: MessageRecord[] = [];
  const after: ModelSnapshot[] = [];
  capture.forEach((r, i) => {
    const delivery = { receivedAt: r.ts.getTime(), exchange: r.exchange, routingKey: r.routingKey, properties: r.properties, body: r.body, source: 'replay' };
    const result = decodeMessage(delivery);
    const changes = result.ok ? model.apply(result.message, r.ts.getTime(), i + 1) : [];
    const refs = messageRefs(result, (n) => model.vniOf(n));
    records.push({
      id: i + 1,
      delivery,
      result,
      refs,
      raw: r.body,
      rawTruncated: false,
      search: messageSearchText(r.exchange, r.routingKey, result, refs),
      changes,
    });
    after.push(model.snapshot());
  });
  return { records, after };
}

/** A snapshot in a comparable form: records sorted by key, `seq` left out. */
function canonical(s: ModelSnapshot) {
  return {
    hosts: [...s.hosts].sort((a, b) => a.id.localeCompare(b.id)),
    networks: [...s.networks].sort((a, b) => a.id.localeCompare(b.id)),
    vteps: [...s.vteps].sort((a, b) => `${a.network}/${a.vtep}`.localeCompare(`${b.network}/${b.vtep}`)),
  };
}

describe.each(PROVIDERS)('%s', (provider) => {
  let db: Db;
  const { records, after } = lab3();
  const at = (i: number) => records[i]!.delivery.receivedAt;

  beforeAll(async () => {
    const url = provider === 'sqlite' ? `file:${path.join(tmpDir, 'history.db')}` : Object.assign(new URL(PG_ADMIN), { pathname: `/${pgDbName}` }).toString();
    await migrate(url);
    db = await openDb(url);
    for (let i = 0; i < records.length; i += 50) {
      const b = records.slice(i, i + 50);
      await commitBatch(db, provider, b, { received: 0, undecodable: 0, dropped: 0, expired: 0 }, b[b.length - 1]!.id);
    }
  });
  afterAll(async () => {
    if (db) await closeDb(db);
  });

  // every tenth message, the first and the last: the model read back as of its time equals the model then
  const probes = (from: number) => [...new Set([from, ...records.map((_, i) => i).filter((i) => i >= from && i % 10 === 0), records.length - 1])];

  it('the model as of T, read from the stored changes, is the model folded up to T', async () => {
    expect(records.length).toBeGreaterThan(50);
    expect((await readModelAt(db, new Date(at(0) - 1))).hosts).toEqual([]);
    for (const i of probes(0)) {
      // several messages may share a receive time: T takes all of them
      let j = i;
      while (j + 1 < records.length && at(j + 1) === at(i)) j++;
      const got = await readModelAt(db, new Date(at(i)));
      expect({ i, m: canonical(got) }).toEqual({ i, m: canonical(after[j]!) });
      let changed = j;
      while (changed >= 0 && records[changed]!.changes.length === 0) changed--;
      expect(got.seq).toBe(changed + 1);
    }
  });

  it('what changed between two times: the ports lab3 created, then deleted', async () => {
    const mid = Math.floor(records.length / 2);
    const d = diffModels(await readModelAt(db, new Date(at(0))), await readModelAt(db, new Date(at(mid))));
    expect(d).toEqual(diffModels(after[0]!, after[mid]!));
    expect(d.vteps.flatMap((v) => v.macsAdded).length).toBeGreaterThan(0);
    const end = diffModels(await readModelAt(db, new Date(at(mid))), await readModelAt(db, new Date(at(records.length - 1))));
    expect(end).toEqual(diffModels(after[mid]!, after[records.length - 1]!));
  });

  it('after retention deleted the older half of the messages, the model as of any later T is still exact', async () => {
    const cut = Math.floor(records.length / 2);
    const before = await db.modelChange.count();
    const r = await pruneRetention(db, { maxMessages: records.length - cut }, { batch: 7 });
    expect(r.messages).toBeGreaterThan(0);
    const kept = await db.modelChange.count({ where: { messageId: { lte: BigInt(cut) } } });
    expect(kept).toBeGreaterThan(0); // the last change of records unchanged since
    expect(await db.modelChange.count()).toBeLessThan(before);
    const bounds = await historyBounds(db);
    const oldest = (await db.message.findFirst({ orderBy: { id: 'asc' } }))!;
    expect(bounds.from).toBe(oldest.receivedAt.toISOString());
    for (const i of probes(Number(oldest.id) - 1)) {
      let j = i;
      while (j + 1 < records.length && at(j + 1) === at(i)) j++;
      expect({ i, m: canonical(await readModelAt(db, new Date(at(i)))) }).toEqual({ i, m: canonical(after[j]!) });
    }
  });

  it('the findings open at T: first seen by T and not resolved by T', async () => {
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const f = (network: string, s: number): FindingView => ({
      id: 0,
      kind: 'mixed_l2pop',
      network,
      vni: 1,
      hosts: ['a', 'b'],
      detail: 'd',
      evidence: [],
      firstSeenAt: t(s).toISOString(),
      lastSeenAt: t(s).toISOString(),
    });
    await openFinding(db, f('h-early', 10), t(10));
    await openFinding(db, f('h-late', 30), t(30));
    await resolveFindings(db, ['mixed_l2pop/h-early'], t(20));
    const nets = async (s: number) => (await readFindingsAt(db, t(s))).map((x) => x.network).filter((n) => n.startsWith('h-'));
    expect(await nets(5)).toEqual([]);
    expect(await nets(15)).toEqual(['h-early']);
    expect(await nets(20)).toEqual([]);
    expect(await nets(40)).toEqual(['h-late']);
  });
});
