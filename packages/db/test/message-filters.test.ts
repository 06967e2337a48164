/**
 * The inspector's filters on both databases over 30,000 stored messages made from lab2's real
 * bodies (test/message-rows.ts): every filter pages (keyset, newest first) through exactly the
 * rows it should, counts them (bounded), and its page query is served by the index meant for it
 * (SQLite `EXPLAIN QUERY PLAN`, PostgreSQL `EXPLAIN` after ANALYZE), without sorting the matches.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCapture } from '@l2scope/domain';
import {
  type Db,
  type MessageFilter,
  type MessageRecord,
  MESSAGE_PAGE_MAX,
  closeDb,
  countMessages,
  insertMessages,
  writeTransaction,
  listMessages,
  messageCountSql,
  messagePageIds,
  messagePageSql,
  openDb,
  planMessageFilter,
  runMessageSql,
  type FreeTextPlan,
} from '../src/index';
import { migrate } from '../src/migrate';
import { PROVIDERS } from '../src/config';
import { hostOf, messageRows } from './message-rows';

const PG_ADMIN = process.env.L2SCOPE_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const pgDbName = `l2scope_filters_${process.pid}_${randomBytes(3).toString('hex')}`;
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');
const templates = parseCapture(readFileSync(path.join(FIXTURES, 'lab2.jsonl'), 'utf8')).records;

const N = 30_000;
const HOSTS = 300;
const START = Date.parse('2026-12-01T00:00:00Z');
const NET = '7592da76-ae90-48b3-b213-51b1b36f8297';
const MAC = 'fa:16:3e:98:b9:f6';
const rows: MessageRecord[] = [...messageRows(templates, N, { hosts: HOSTS, start: START, undecodableEvery: 97 })].flat();

/** The rows a filter selects, by the filter's meaning (not by the SQL under test). */
function expected(f: MessageFilter): number[] {
  return rows
    .filter((m) => {
      const r = m.result;
      if (f.method === 'undecodable' ? r.ok : f.method !== undefined && (!r.ok || r.message.method !== f.method)) return false;
      if (f.kind !== undefined && (r.ok ? r.message.kind : 'undecodable') !== f.kind) return false;
      if (f.host !== undefined && !m.refs.hosts.includes(f.host)) return false;
      if (f.network !== undefined && !m.refs.networks.includes(f.network)) return false;
      if (f.vni !== undefined && !m.refs.vnis.includes(f.vni)) return false;
      if (f.vtep !== undefined && !m.refs.vteps.includes(f.vtep)) return false;
      if (f.since !== undefined && m.delivery.receivedAt < f.since) return false;
      if (f.until !== undefined && m.delivery.receivedAt >= f.until) return false;
      if (f.text !== undefined && !m.search.includes(f.text.trim().toLowerCase())) return false;
      return true;
    })
    .map((m) => m.id)
    .reverse();
}

/**
 * Each filter, and the index its page query must use (SQLite, PostgreSQL). A SQLite free text:
 * the table that drives (`drive`), as the planner chooses it with its bound at `cap` (default
 * FTS_RARE_MAX), which lets 30,000 messages show each plan.
 */
const CASES: { name: string; f: MessageFilter; cap?: number; drive?: FreeTextPlan['drive']; sqlite: RegExp; postgresql: RegExp }[] = [
  { name: 'method', f: { method: 'update_fdb_entries' }, sqlite: /USING (COVERING )?INDEX Message_method_id_idx/, postgresql: /Message_method_id_idx/ },
  { name: 'undecodable', f: { method: 'undecodable' }, sqlite: /USING (COVERING )?INDEX Message_ok_id_idx/, postgresql: /Message_ok_id_idx/ },
  { name: 'kind', f: { kind: 'update_fdb' }, sqlite: /USING (COVERING )?INDEX Message_kind_id_idx/, postgresql: /Message_kind_id_idx/ },
  { name: 'host', f: { host: hostOf(42, HOSTS) }, sqlite: /SEARCH r USING (COVERING )?INDEX sqlite_autoindex_MessageRef_1/, postgresql: /MessageRef_pkey/ },
  { name: 'network', f: { network: NET }, sqlite: /SEARCH r USING (COVERING )?INDEX sqlite_autoindex_MessageRef_1/, postgresql: /MessageRef_pkey/ },
  { name: 'VNI', f: { vni: 649 }, sqlite: /SEARCH r USING (COVERING )?INDEX sqlite_autoindex_MessageRef_1/, postgresql: /MessageRef_pkey/ },
  { name: 'VTEP', f: { vtep: '10.0.20.12' }, sqlite: /SEARCH r USING (COVERING )?INDEX sqlite_autoindex_MessageRef_1/, postgresql: /MessageRef_pkey/ },
  {
    name: 'time range',
    f: { since: START + 100_000, until: START + 103_000 },
    sqlite: /USING INDEX Message_receivedAt_idx/,
    postgresql: /Message_receivedAt_idx/,
  },
  // a wide range: more than the count's cap match
  {
    name: 'time range, wide',
    f: { since: START + 10_000 },
    sqlite: /USING INDEX sqlite_autoindex_Message_1|Message_receivedAt_idx/,
    postgresql: /Message_pkey|Message_receivedAt_idx/,
  },
  // SQLite: the text's rarest trigrams (here 042, 100 messages) drive the FTS5 table newest first,
  // each candidate's row is checked (instr) by primary key
  {
    name: 'free text',
    f: { text: hostOf(42, HOSTS).toUpperCase() },
    drive: 'trigrams',
    sqlite: /^SCAN s VIRTUAL TABLE INDEX \d+:M\d*<\nSEARCH m USING INDEX sqlite_autoindex_Message_1 \(id=\?\)$/m,
    postgresql: /Message_search_trgm_idx/,
  },
  // a text in one message of seven, every trigram common (the planner's bound at 1,000 here): the
  // phrase drives, as it finds matches densely
  {
    name: 'free text, common',
    f: { text: MAC.toUpperCase() },
    cap: 1000,
    drive: 'phrase',
    sqlite: /^SCAN s VIRTUAL TABLE INDEX \d+:M\d*<$/m,
    postgresql: /Message_search_trgm_idx|Index Scan Backward using "Message_pkey"/,
  },
  // FTS5 query syntax and quotes are literal text (a JSON key and value of port_update casts)
  {
    name: 'free text, quotes and a colon',
    f: { text: '"status":"down"' },
    drive: 'trigrams',
    sqlite: /^SCAN s VIRTUAL TABLE INDEX \d+:M\d*<\nSEARCH m USING INDEX sqlite_autoindex_Message_1 \(id=\?\)$/m,
    postgresql: /Message_search_trgm_idx|Index Scan Backward using "Message_pkey"/,
  },
  // two characters have no trigram: a scan of the primary key newest first that stops at the page
  {
    name: 'free text, two characters',
    f: { text: '2C' },
    sqlite: /^SEARCH m USING INDEX sqlite_autoindex_Message_1 \(id<\?\)$/m,
    postgresql: /Index Scan Backward using "Message_pkey"|Message_search_trgm_idx/,
  },
  // the rare trigrams drive, each candidate's row is checked for the method
  {
    name: 'free text and method',
    f: { text: 'vm-compute2', method: 'push' },
    drive: 'trigrams',
    sqlite:
      /^SCAN s VIRTUAL TABLE INDEX \d+:M\d*<\nSEARCH m USING (COVERING )?INDEX (sqlite_autoindex_Message_1|Message_method_id_idx) \((method=\? AND )?id=\?\)$/m,
    postgresql: /Message_search_trgm_idx|Message_method_id_idx|Message_pkey/,
  },
  // a common text and a rare method (undecodable: 1 in 97): the method's index drives, instr checks
  {
    name: 'free text common, undecodable',
    f: { text: 'fanout', method: 'undecodable' },
    cap: 1000,
    drive: 'rows',
    sqlite: /^SEARCH m USING INDEX Message_ok_id_idx \(ok=\? AND id<\?\)$/m,
    postgresql: /Message_search_trgm_idx|Message_ok_id_idx|Message_pkey/,
  },
  // a common text and a host: the reference drives, instr checks each of its messages
  {
    name: 'free text and host',
    f: { text: '"status":"down"', host: hostOf(7, HOSTS) },
    cap: 1000,
    drive: 'rows',
    sqlite:
      /^SEARCH r USING (COVERING )?INDEX sqlite_autoindex_MessageRef_1 \(kind=\? AND value=\? AND messageId<\?\)\nSEARCH m USING INDEX sqlite_autoindex_Message_1 \(id=\?\)$/m,
    postgresql: /MessageRef_pkey|Message_search_trgm_idx/,
  },
  // a rare text and a common reference (every message of the VNI): the trigrams drive, the reference is probed
  {
    name: 'free text and VNI',
    f: { text: hostOf(42, HOSTS), vni: 649 },
    drive: 'trigrams',
    sqlite: /^SCAN s VIRTUAL TABLE INDEX \d+:M\d*<\n[\s\S]*SEARCH x0 USING (COVERING )?INDEX sqlite_autoindex_MessageRef_1/m,
    postgresql: /MessageRef_pkey|Message_search_trgm_idx/,
  },
  {
    name: 'host and method',
    f: { host: hostOf(7, HOSTS), method: 'report_state' },
    sqlite: /USING (COVERING )?INDEX (sqlite_autoindex_MessageRef_1|Message_method_id_idx)/,
    postgresql: /MessageRef_pkey|Message_method_id_idx/,
  },
];

async function pgAdmin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

let tmpDir = '';
beforeAll(async () => {
  tmpDir = mkdtempSync(path.join(tmpdir(), 'l2scope-filters-'));
  await pgAdmin(`CREATE DATABASE "${pgDbName}"`);
});
afterAll(async () => {
  rmSync(tmpDir, { recursive: true, force: true });
  await pgAdmin(`DROP DATABASE IF EXISTS "${pgDbName}" WITH (FORCE)`);
});

describe.each(PROVIDERS)('%s', (provider) => {
  let db: Db;

  beforeAll(async () => {
    const url = provider === 'sqlite' ? `file:${path.join(tmpDir, 'filters.db')}` : Object.assign(new URL(PG_ADMIN), { pathname: `/${pgDbName}` }).toString();
    await migrate(url);
    db = await openDb(url);
    for (const batch of messageRows(templates, N, { hosts: HOSTS, start: START, undecodableEvery: 97 }))
      await writeTransaction(db, provider, (tx) => insertMessages(tx, batch));
    await db.$executeRawUnsafe('ANALYZE');
  }, 300_000);
  afterAll(async () => {
    if (db) await closeDb(db);
  });

  it('the fixture holds every filter at several selectivities', () => {
    const sizes = CASES.map((c) => expected(c.f).length);
    expect(sizes.every((n) => n > 0)).toBe(true);
    expect(Math.max(...sizes)).toBeGreaterThan(10_000);
    expect(Math.min(...sizes)).toBeLessThan(200);
  });

  it.each(CASES)('$name: pages newest first through exactly its rows, counts them', async ({ f, cap }) => {
    const want = expected(f);
    const got: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await listMessages(db, { ...f, before, limit: MESSAGE_PAGE_MAX });
      got.push(...page.items.map((m) => m.id));
      if (page.nextCursor === null) break;
      before = page.nextCursor;
    }
    expect(got).toEqual(want);
    const c = await countMessages(db, provider, f);
    expect(c).toEqual({ matching: Math.min(want.length, 10_000), capped: want.length > 10_000, stored: N, estimated: false });
    // a catch-up after an id, oldest first, returned newest first
    const after = want[Math.min(want.length - 1, 5)]!;
    expect((await listMessages(db, { ...f, after, limit: 3 })).items.map((m) => m.id)).toEqual(want.filter((id) => id > after).slice(-3));
    // the plan chosen with the case's bound (the one whose index the next test checks) selects the same rows
    if (cap === undefined) return;
    const how = await planMessageFilter(db, provider, f, cap);
    const forced: number[] = [];
    for (let b: number | undefined; ;) {
      const ids = (await messagePageIds(db, provider, { ...f, before: b }, 'desc', MESSAGE_PAGE_MAX, how)).map(Number);
      forced.push(...ids);
      if (ids.length < MESSAGE_PAGE_MAX) break;
      b = ids[ids.length - 1];
    }
    expect(forced).toEqual(want);
    const [n] = await runMessageSql<{ n: bigint | number }>(db, messageCountSql(f, provider, 10_000, how));
    expect(Number(n?.n)).toBe(Math.min(want.length, 10_001));
  });

  it("PostgreSQL: past the threshold the stored total is the planner's estimate, said so; SQLite's stays exact", async () => {
    // the threshold at 1 row, so 30,000 rows are past it (the default is 100,000)
    const all = await countMessages(db, provider, {}, undefined, 1);
    const byHost = await countMessages(db, provider, { host: hostOf(7, HOSTS) }, undefined, 1);
    if (provider === 'sqlite') {
      expect(all).toEqual({ matching: N, capped: false, stored: N, estimated: false });
      return;
    }
    // ANALYZE (beforeAll) sampled all 30,000 rows: the density times the pages is within 2 % of them
    expect(all.estimated).toBe(true);
    expect(Math.abs(all.stored - N) / N).toBeLessThan(0.02);
    expect(all.matching).toBe(all.stored);
    // a filtered count is still counted, only the total is estimated
    expect(byHost).toMatchObject({ matching: expected({ host: hostOf(7, HOSTS) }).length, estimated: true, stored: all.stored });
  });

  it.each(CASES)('$name: the page query uses its index and does not sort the matches', async ({ f, ...c }) => {
    const paged = { ...f, before: N - 100 };
    const how = await planMessageFilter(db, provider, paged, c.cap);
    if (provider === 'sqlite') expect(how?.drive).toBe(c.drive);
    const sql = messagePageSql(paged, provider, 'desc', 201, how);
    let plan: string;
    if (provider === 'sqlite') {
      const rows = await db.$queryRawUnsafe<{ detail: string }[]>(`EXPLAIN QUERY PLAN ${sql.text}`, ...sql.params);
      plan = rows.map((r) => r.detail).join('\n');
    } else {
      const rows = await db.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${sql.text}`, ...sql.params);
      plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    }
    expect(plan).toMatch(c[provider]);
    if (provider === 'sqlite' && !f.since) expect(plan).not.toContain('TEMP B-TREE');
    if (provider === 'postgresql') expect(plan).not.toMatch(/Seq Scan on "Message"/);
  });
});
