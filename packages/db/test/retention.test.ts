/**
 * Bounds on both databases (a temporary SQLite file, a uniquely named PostgreSQL database on
 * 127.0.0.1:5432): a redelivered message (same oslo `_unique_id`) is stored once, within a batch
 * and across batches; retention deletes by count, age and body bytes in small batches, with refs
 * and model changes (but the last change of each record); resolved findings, closed gaps, old samples and per-host rows
 * (L3 agents included) go by age while open ones stay; an expired host leaves the snapshot and the hosts list but keeps its
 * row, and its L3 agent's row goes (another host's stays).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterModel, type FindingView, decodeMessage, messageRefs, messageSearchText } from '@l2scope/domain';
import {
  type Db,
  type MessageRecord,
  addConvergenceSamples,
  closeDb,
  commitBatch,
  countMessages,
  expireHosts,
  listMessages,
  listHosts,
  openDb,
  openFinding,
  openTapGap,
  closeTapGap,
  pruneRetention,
  readModelSnapshot,
  resolveFindings,
} from '../src/index';
import { migrate } from '../src/migrate';
import { PROVIDERS } from '../src/config';
import { MESSAGE_SEARCH_FTS } from '../src/hand-written';

const PG_ADMIN = process.env.L2SCOPE_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const pgDbName = `l2scope_bounds_${process.pid}_${randomBytes(3).toString('hex')}`;
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
  tmpDir = mkdtempSync(path.join(tmpdir(), 'l2scope-bounds-'));
  await pgAdmin(`CREATE DATABASE "${pgDbName}"`);
});
afterAll(async () => {
  rmSync(tmpDir, { recursive: true, force: true });
  await pgAdmin(`DROP DATABASE IF EXISTS "${pgDbName}" WITH (FORCE)`);
});

/** A report_state carrying `agentState`, as neutron's agents send it, with oslo's `_unique_id`. */
function stateBody(uniqueId: string, agentState: Record<string, unknown>): Uint8Array {
  return Buffer.from(
    JSON.stringify({
      'oslo.version': '2.0',
      'oslo.message': JSON.stringify({ method: 'report_state', _unique_id: uniqueId, args: { agent_state: { agent_state: agentState } } }),
    }),
  );
}

/** A report_state of `host`'s L2 agent. */
function reportBody(host: string, uniqueId: string, vtep = '10.0.20.1'): Uint8Array {
  return stateBody(uniqueId, {
    binary: 'neutron-linuxbridge-agent',
    host,
    agent_type: 'Linux bridge agent',
    configurations: { tunneling_ip: vtep, l2_population: true },
  });
}

/** A report_state of `host`'s L3 agent (neutron-l3-agent, `agent_mode` dvr), with `start_flag`. */
function l3ReportBody(host: string, uniqueId: string): Uint8Array {
  return stateBody(uniqueId, { binary: 'neutron-l3-agent', host, agent_type: 'L3 agent', configurations: { agent_mode: 'dvr' }, start_flag: true });
}

/** A message record as the worker's pipeline makes it (decoded, folded into `model`). */
function record(model: ClusterModel, id: number, body: Uint8Array, receivedAt = Date.now(), redelivered = false): MessageRecord {
  const delivery = { receivedAt, exchange: 'neutron', routingKey: 'q-reports-plugin', properties: {}, body, source: 'amqp', redelivered };
  const result = decodeMessage(delivery);
  const changes = result.ok ? model.apply(result.message, receivedAt, id) : [];
  const refs = messageRefs(result, (n) => model.vniOf(n));
  return {
    id,
    delivery,
    result,
    refs,
    raw: body,
    rawTruncated: false,
    search: messageSearchText(delivery.exchange, delivery.routingKey, result, refs),
    changes,
  };
}

const counters = { received: 0, undecodable: 0, dropped: 0, expired: 0 };

describe.each(PROVIDERS)('%s', (provider) => {
  let db: Db;

  beforeAll(async () => {
    const url = provider === 'sqlite' ? `file:${path.join(tmpDir, 'bounds.db')}` : Object.assign(new URL(PG_ADMIN), { pathname: `/${pgDbName}` }).toString();
    await migrate(url);
    db = await openDb(url);
  });
  afterAll(async () => {
    if (db) await closeDb(db);
  });

  it('stores a redelivered message (same _unique_id) once, within a batch and across batches', async () => {
    const model = new ClusterModel();
    const now = Date.now();
    const a = record(model, 1, reportBody('dup-a', 'u-1'));
    const again = record(model, 2, reportBody('dup-a', 'u-1'), now, true);
    const b = record(model, 3, reportBody('dup-b', 'u-2'));
    expect(await commitBatch(db, provider, [a, again, b], counters, 3)).toEqual([2]);
    const later = [record(model, 4, reportBody('dup-a', 'u-1'), now, true), record(model, 5, reportBody('dup-c', 'u-3'))];
    expect(await commitBatch(db, provider, later, counters, 5)).toEqual([4]);
    // the same message published again (not a redelivery: a capture replayed in a loop) is a new row, without identity
    expect(await commitBatch(db, provider, [record(model, 6, reportBody('dup-b', 'u-2'))], counters, 6)).toEqual([]);
    const rows = await db.message.findMany({ orderBy: { id: 'asc' }, select: { id: true, uniqueId: true } });
    expect(rows.map((r) => [Number(r.id), r.uniqueId])).toEqual([
      [1, 'u-1'],
      [3, 'u-2'],
      [5, 'u-3'],
      [6, null],
    ]);
    expect(await db.messageRef.count({ where: { messageId: { in: [2n, 4n] } } })).toBe(0);
    await db.message.deleteMany({});
  });

  it('prunes messages by count, by age and by body bytes, in batches, with their refs and model changes', async () => {
    const model = new ClusterModel();
    const t0 = Date.now() - 10 * 86_400_000;
    // 40 messages: ids 101..140, one a day-hour apart; the first 10 are ten days old
    const batch = Array.from({ length: 40 }, (_, i) =>
      record(model, 101 + i, reportBody(`prune-${i % 5}`, `p-${String(i).padStart(2, '0')}`), i < 10 ? t0 + i : Date.now() - (40 - i) * 1000),
    );
    await commitBatch(db, provider, batch, counters, 140);
    const ids = async () => (await db.message.findMany({ orderBy: { id: 'asc' }, select: { id: true } })).map((r) => Number(r.id));

    const byAge = await pruneRetention(db, { before: new Date(Date.now() - 86_400_000) }, { batch: 3 });
    expect(byAge.messages).toBe(10);
    expect((await ids())[0]).toBe(111);

    expect((await pruneRetention(db, { maxMessages: 25 }, { batch: 4 })).messages).toBe(5);
    expect(await ids()).toEqual(Array.from({ length: 25 }, (_, i) => 116 + i));

    const size = batch[0]!.delivery.body.byteLength; // every body has the same length here
    expect(batch.every((m) => m.delivery.body.byteLength === size)).toBe(true);
    expect((await pruneRetention(db, { maxBodyBytes: size * 7 + 1 }, { batch: 5 })).messages).toBe(18);
    expect(await ids()).toEqual([134, 135, 136, 137, 138, 139, 140]);
    expect(await db.messageRef.count({ where: { messageId: { lt: 134n } } })).toBe(0);
    // the free text finds only what is left: on SQLite the pruned messages' FTS5 rows went with them
    // (the count reads the trigram table alone), and the index still matches the Message rows
    expect((await listMessages(db, { text: 'prune-', limit: 100 })).items.map((m) => m.id)).toEqual([140, 139, 138, 137, 136, 135, 134]);
    expect(await countMessages(db, provider, { text: 'prune-' })).toMatchObject({ matching: 7, capped: false });
    if (provider === 'sqlite') {
      const [fts] = await db.$queryRawUnsafe<{ n: bigint | number }[]>(
        `SELECT count(*) AS n FROM "${MESSAGE_SEARCH_FTS}" WHERE "${MESSAGE_SEARCH_FTS}" MATCH '"prune-"'`,
      );
      expect(Number(fts?.n)).toBe(7);
      await db.$executeRawUnsafe(`INSERT INTO "${MESSAGE_SEARCH_FTS}"("${MESSAGE_SEARCH_FTS}", rank) VALUES ('integrity-check', 1)`);
    }
    // of the pruned messages' model changes only the last of each record stays (history: its value since)
    const left = await db.modelChange.findMany({ where: { messageId: { lt: 134n } }, select: { type: true, key: true } });
    expect(left.length).toBeGreaterThan(0);
    expect(new Set(left.map((c) => `${c.type}/${c.key}`)).size).toBe(left.length);
    expect(left.every((c) => c.type === 'host' || c.type === 'network' || c.type === 'vtep')).toBe(true);
    expect(await db.modelChange.count()).toBeGreaterThan(0);
    // the projection is the current state: untouched
    expect((await readModelSnapshot(db)).hosts.map((h) => h.id)).toEqual(expect.arrayContaining(['prune-0', 'prune-4']));
  });

  it('prunes old samples, resolved findings, closed gaps and per-host rows by age; open ones stay', async () => {
    const old = new Date(Date.now() - 30 * 86_400_000);
    const now = new Date();
    const s = (i: number, seenAt: Date) => ({
      host: 'h',
      network: 'n',
      vtep: '10.0.0.1',
      mac: '00:00:00:00:00:00',
      change: 'add' as const,
      messageId: i,
      castAt: seenAt.getTime(),
      seenAt: seenAt.getTime(),
      lagMs: 1,
    });
    await addConvergenceSamples(db, provider, [...Array.from({ length: 7 }, (_, i) => s(i, old)), s(99, now)], new Date(0));
    const f = (network: string): FindingView => ({
      id: 0,
      kind: 'mixed_l2pop',
      network,
      vni: 1,
      hosts: ['a', 'b'],
      detail: 'd',
      evidence: [],
      firstSeenAt: old.toISOString(),
      lastSeenAt: old.toISOString(),
    });
    await openFinding(db, f('old-resolved'), old);
    await resolveFindings(db, [...['mixed_l2pop/old-resolved']], old);
    await openFinding(db, f('still-open'), old);
    const closed = await openTapGap(db, old.getTime(), 'old');
    await closeTapGap(db, closed, old.getTime() + 1000);
    await openTapGap(db, old.getTime(), 'still open');
    await db.nodeState.create({ data: { host: 'gone', takenAt: old, receivedAt: old, agentType: 'linuxbridge', snapshot: {} } });
    await db.nodeState.create({ data: { host: 'here', takenAt: now, receivedAt: now, agentType: 'linuxbridge', snapshot: {} } });
    await db.l3Agent.create({ data: { host: 'gone', binary: 'neutron-l3-agent', agentMode: 'dvr', lastReportAt: old } });
    await db.l3Agent.create({ data: { host: 'here', binary: 'neutron-l3-agent', agentMode: 'dvr', lastReportAt: now } });
    // networks: one deleted in Neutron long ago, one deleted today, one live (seen long ago)
    for (const [id, deletedAt] of [
      ['net-deleted-old', old],
      ['net-deleted-now', now],
      ['net-live', null],
    ] as const)
      await db.network.create({ data: { id, vni: 1000, networkType: 'vxlan', firstSeenAt: old, deletedAt } });

    await addConvergenceSamples(db, provider, [s(100, now), s(101, now), s(102, now)], new Date(0));
    expect((await pruneRetention(db, { maxConvergenceSamples: 10 }, { batch: 2 })).convergenceSamples).toBe(1);
    const r = await pruneRetention(db, { before: new Date(Date.now() - 86_400_000) }, { batch: 2 });
    expect(r).toMatchObject({ convergenceSamples: 6, findings: 1, tapGaps: 1, hostRows: 2, networks: 1 });
    expect((await db.network.findMany({ where: { id: { startsWith: 'net-' } }, orderBy: { id: 'asc' } })).map((x) => x.id)).toEqual([
      'net-deleted-now',
      'net-live',
    ]);
    await pruneRetention(db, { maxConvergenceSamples: 2 });
    expect((await db.convergenceSample.findMany({ orderBy: { id: 'asc' } })).map((x) => Number(x.messageId))).toEqual([101, 102]);
    expect((await db.finding.findMany()).map((x) => x.network)).toEqual(['still-open']);
    expect((await db.tapGap.findMany()).map((x) => x.reason)).toEqual(['still open']);
    expect((await db.nodeState.findMany()).map((x) => x.host)).toEqual(['here']);
    expect((await db.l3Agent.findMany()).map((x) => x.host)).toEqual(['here']);
    await db.l3Agent.deleteMany({});
  });

  it('an expired host leaves the snapshot and the hosts list, keeps its row, loses its L3 agent, and comes back when it reports', async () => {
    const model = new ClusterModel();
    const hostile = 'nul\u0000host'; // stored as 'nul\uFFFDhost'
    await commitBatch(
      db,
      provider,
      [
        record(model, 1001, reportBody('vanished', 'e-1', '10.9.9.9')),
        record(model, 1003, l3ReportBody('vanished', 'e-3')),
        record(model, 1004, reportBody('staying', 'e-4', '10.9.9.8')),
        record(model, 1005, l3ReportBody('staying', 'e-5')),
        record(model, 1006, reportBody(hostile, 'e-6', '10.9.9.7')),
        record(model, 1007, l3ReportBody(hostile, 'e-7')),
      ],
      counters,
      1007,
    );
    const l3Hosts = async () => (await db.l3Agent.findMany({ orderBy: { host: 'asc' } })).map((a) => a.host);
    expect(await l3Hosts()).toEqual(['nul\uFFFDhost', 'staying', 'vanished']);
    expect(await expireHosts(db, ['vanished', hostile], new Date())).toBe(2);
    expect(await l3Hosts()).toEqual(['staying']);
    expect(await db.l3Agent.findUnique({ where: { host: 'staying' } })).toMatchObject({ agentMode: 'dvr', startedAt: expect.any(Date) });
    expect((await readModelSnapshot(db)).hosts.map((h) => h.id)).not.toContain('vanished');
    expect((await listHosts(db)).map((h) => h.id)).not.toContain('vanished');
    expect(await db.host.findUnique({ where: { id: 'vanished' } })).toMatchObject({ vtep: '10.9.9.9', expiredAt: expect.any(Date) });
    await commitBatch(
      db,
      provider,
      [record(model, 1008, reportBody('vanished', 'e-8', '10.9.9.9')), record(model, 1009, l3ReportBody('vanished', 'e-9'))],
      counters,
      1009,
    );
    expect((await listHosts(db)).map((h) => h.id)).toContain('vanished');
    expect(await db.host.findUnique({ where: { id: 'vanished' } })).toMatchObject({ expiredAt: null });
    expect(await l3Hosts()).toEqual(['staying', 'vanished']);
  });
});
