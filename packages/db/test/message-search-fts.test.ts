/**
 * SQLite's FTS5 trigram table of the inspector's free text (migration *_message_search_fts), on a
 * copy of the repository's prisma/ folder (L2SCOPE_ROOT): a database migrated before it and holding
 * messages gets them indexed by the migration; the table, its shadow tables and its triggers are
 * the only objects outside the models, and the drift check leaves exactly them out; the triggers
 * keep the index in step with every write of Message (batch insert, redelivery skipped, update,
 * delete), which FTS5's own integrity check confirms against the Message rows.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCapture } from '@l2scope/domain';
import { type Db, type MessageRecord, closeDb, countMessages, insertMessages, listMessages, openDb, writeTransaction } from '../src/index';
import { libsqlUrl, migrationsDir, repoRoot } from '../src/config';
import { MESSAGE_SEARCH_FTS, SQLITE_HAND_WRITTEN_TABLES, SQLITE_HAND_WRITTEN_TRIGGERS } from '../src/hand-written';
import { databaseDrift, migrate } from '../src/migrations';
import { migrationNames } from '../src/schema';
import { messageRows } from './message-rows';

const realRoot = repoRoot();
const FTS_MIGRATION = migrationNames('sqlite').find((n) => n.endsWith('_message_search_fts'))!;
const templates = parseCapture(readFileSync(path.join(realRoot, 'fixtures', 'lab2.jsonl'), 'utf8')).records;
const START = Date.parse('2026-12-01T00:00:00Z');
const rows: MessageRecord[] = [...messageRows(templates, 3000, { hosts: 30, start: START, undecodableEvery: 97 })].flat();
const TEXT = 'compute-0017'; // one message in thirty: its host reference
const holding = (text: string, from: readonly MessageRecord[] = rows) => from.filter((m) => m.search.includes(text)).map((m) => m.id);

let root = '';
let url = '';
let db: Db | undefined;

/** Run one statement on the file with a client of its own. */
async function sql<T>(statement: string, args: (string | number)[] = []): Promise<T[]> {
  const c = createClient({ url: libsqlUrl(url) });
  try {
    return (await c.execute({ sql: statement, args })).rows as unknown as T[];
  } finally {
    c.close();
  }
}

/** FTS5's check of its index against the content table (Message): throws when they differ. */
const integrityCheck = () => sql(`INSERT INTO "${MESSAGE_SEARCH_FTS}"("${MESSAGE_SEARCH_FTS}", rank) VALUES ('integrity-check', 1)`);

/** The ids the FTS table alone (no join to Message) says hold `text`, ascending. */
async function ftsIds(text: string): Promise<number[]> {
  const r = await sql<{ id: number }>(`SELECT rowid AS id FROM "${MESSAGE_SEARCH_FTS}" WHERE "${MESSAGE_SEARCH_FTS}" MATCH ? ORDER BY rowid`, [`"${text}"`]);
  return r.map((x) => Number(x.id));
}

beforeAll(() => {
  expect(FTS_MIGRATION).toBeDefined();
  root = mkdtempSync(path.join(tmpdir(), 'l2scope-fts-'));
  cpSync(path.join(realRoot, 'prisma'), path.join(root, 'prisma'), { recursive: true, verbatimSymlinks: true });
  process.env.L2SCOPE_ROOT = root;
  url = `file:${path.join(root, 'data', 'l2scope.db')}`;
});

afterAll(async () => {
  if (db) await closeDb(db);
  delete process.env.L2SCOPE_ROOT;
  rmSync(root, { recursive: true, force: true });
});

describe('SQLite FTS5 trigram table of Message.search', () => {
  it('a database migrated before it gets the messages it holds indexed by the migration', async () => {
    // the history up to the migration before, on a database that then stores messages
    const later = migrationNames('sqlite').filter((n) => n >= FTS_MIGRATION);
    for (const n of later) for (const p of ['sqlite', 'postgresql'] as const) rmSync(path.join(migrationsDir(p), n), { recursive: true });
    await migrate(url);
    expect(await sql(`SELECT name FROM sqlite_master WHERE name LIKE 'Message_search%'`)).toEqual([]);
    db = await openDb(url);
    for (let i = 0; i < rows.length; i += 1000) await writeTransaction(db, 'sqlite', (tx) => insertMessages(tx, rows.slice(i, i + 1000)));
    await closeDb(db);
    db = undefined;

    for (const n of later)
      for (const p of ['sqlite', 'postgresql'] as const)
        cpSync(path.join(realRoot, 'prisma', p, 'migrations', n), path.join(migrationsDir(p), n), { recursive: true });
    expect((await migrate(url)).applied).toEqual(later);
    expect(await ftsIds(TEXT)).toEqual(holding(TEXT));
    await integrityCheck();
    db = await openDb(url);
    const want = holding(TEXT).reverse();
    expect((await listMessages(db, { text: TEXT, limit: 1000 })).items.map((m) => m.id)).toEqual(want);
    expect(await countMessages(db, 'sqlite', { text: TEXT })).toMatchObject({ matching: want.length, capped: false });
  });

  it('the table, its shadow tables and its triggers are all that the models lack, and not drift', async () => {
    const objects = await sql<{ type: string; name: string }>(
      `SELECT type, name FROM sqlite_master WHERE name LIKE 'Message_search%' OR (type = 'trigger') ORDER BY type, name`,
    );
    expect(objects.filter((o) => o.type === 'table').map((o) => o.name)).toEqual([...SQLITE_HAND_WRITTEN_TABLES].sort());
    expect(objects.filter((o) => o.type === 'trigger').map((o) => o.name)).toEqual([...SQLITE_HAND_WRITTEN_TRIGGERS].sort());
    expect(objects.every((o) => o.type === 'table' || o.type === 'trigger')).toBe(true);
    expect(await databaseDrift(url)).toBe('');
  });

  it('the triggers keep it in step with inserts, skipped redeliveries, updates and deletes', async () => {
    const d = db!;
    const [first] = rows;
    const base = 1_000_000;
    const extra: MessageRecord[] = [
      { ...first!, id: base + 1, search: 'a new message on compute-0017 and "more"' },
      { ...first!, id: base + 2, search: 'another new one' },
    ];
    await writeTransaction(d, 'sqlite', (tx) => insertMessages(tx, extra));
    expect(await ftsIds(TEXT)).toEqual([...holding(TEXT), base + 1]);
    // a redelivery of a stored identity is skipped by the insert-or-ignore: nothing indexed twice
    const identity = { ...first!.delivery.properties, messageId: 'fts-redelivered' };
    const once = { ...first!, id: base + 3, search: 'redelivered once', delivery: { ...first!.delivery, properties: identity } };
    await writeTransaction(d, 'sqlite', (tx) => insertMessages(tx, [once]));
    await writeTransaction(d, 'sqlite', (tx) => insertMessages(tx, [{ ...once, id: base + 4, delivery: { ...once.delivery, redelivered: true } }]));
    expect(await ftsIds('redelivered once')).toEqual([base + 3]);

    await d.$executeRawUnsafe(`UPDATE "Message" SET "search" = 'rewritten text' WHERE "id" = ?`, BigInt(base + 2));
    expect(await ftsIds('another new')).toEqual([]);
    expect(await ftsIds('rewritten')).toEqual([base + 2]);

    const gone = holding(TEXT).slice(0, 10);
    await d.message.deleteMany({ where: { id: { in: gone.map(BigInt) } } });
    expect(await ftsIds(TEXT)).toEqual([...holding(TEXT).slice(10), base + 1]);
    await integrityCheck();
  });
});
