/**
 * The inspector's free-text filter on both databases: the same text selects the same rows on
 * SQLite (FTS5 trigram table from three characters, `instr` below) and PostgreSQL (`LIKE` on the
 * trigram index): a case-insensitive substring of the stored lower-case `search` text, whatever
 * the text holds (FTS5 query syntax, LIKE wildcards, quotes, backslashes, non-ASCII), alone or
 * with a reference, a method, a kind or a time range, paged and counted; on SQLite also with each
 * driving table forced (the text's rarest trigrams, the other filters, the whole phrase).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { parseCapture } from '@l2scope/domain';
import {
  type Db,
  type DbProvider,
  type FreeTextPlan,
  type MessageFilter,
  type MessageRecord,
  countMessages,
  insertMessages,
  listMessages,
  messageCountSql,
  messagePageIds,
  runMessageSql,
  trigramsOf,
  writeTransaction,
} from '../src/index';
import { hostOf, messageRows } from './message-rows';
import { eachProvider } from './provider-db';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');
const templates = parseCapture(readFileSync(path.join(FIXTURES, 'lab2.jsonl'), 'utf8')).records;
const START = Date.parse('2026-12-01T00:00:00Z');
const HOSTS = 3;

/** Stored search texts (lower case, as the worker writes them), one message each in turn. */
const TEXTS = [
  'neutron report_state "quoted" fa:16:3e:00:01:a5 compute-1',
  'add_fdb_entries 50%_off c:\\path\\x fa:16:3e:00:01:a6 compute-12',
  'near and or not * ^ ( ) {x} + - col:umn',
  'host"name ""double"" äöü \u{1F600} grüße',
  "it's 100% fine_ok 10.0.0.1",
  'plain text',
];
const N = TEXTS.length * 7;
const rows: MessageRecord[] = [...messageRows(templates, N, { hosts: HOSTS, start: START, undecodableEvery: 5 })]
  .flat()
  .map((m, i) => ({ ...m, search: TEXTS[i % TEXTS.length]! }));

/** The texts asked: FTS5 syntax and LIKE wildcards taken literally, short ones, case, spaces. */
const QUERIES = [
  '"',
  '""',
  '"quoted"',
  'HOST"NA',
  '""double""',
  '%',
  '50%',
  '%_o',
  '100% fine_',
  '_',
  ':',
  ':a',
  'fa:16:3e:00:01:a',
  'FA:16:3E:00:01:A5',
  'col:umn',
  '  compute-1  ',
  'compute-12',
  'c:\\path\\',
  '\\',
  'near',
  'and or not',
  '*',
  '^ (',
  '{x} + -',
  "it's",
  "'",
  'äö',
  'ÄÖÜ',
  'grüße',
  '\u{1F600}',
  'ü \u{1F600} g',
  'zz',
  'no such text',
];

/** The rows `f` selects by its meaning, newest first (not by the SQL under test). */
function expected(f: MessageFilter): number[] {
  const text = f.text!.trim().toLowerCase();
  return rows
    .filter((m) => m.search.includes(text))
    .filter((m) => f.host === undefined || m.refs.hosts.includes(f.host))
    .filter((m) => f.method !== 'undecodable' || !m.result.ok)
    .filter((m) => f.kind === undefined || (m.result.ok ? m.result.message.kind : 'undecodable') === f.kind)
    .filter((m) => f.since === undefined || m.delivery.receivedAt >= f.since)
    .map((m) => m.id)
    .reverse();
}

/** Every id `f` pages through, newest first, 4 at a time (keyset). */
async function pageAll(db: Db, f: MessageFilter): Promise<number[]> {
  const got: number[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await listMessages(db, { ...f, before, limit: 4 });
    got.push(...page.items.map((m) => m.id));
    if (page.nextCursor === null) return got;
    before = page.nextCursor;
  }
}

/**
 * SQLite: every way a text of 3+ characters can be driven (message-text-plan.ts), forced, pages
 * and counts exactly `want` (the planner picks one of them by the counts of a large database).
 */
async function eachPlan(db: Db, provider: DbProvider, f: MessageFilter, want: number[]): Promise<void> {
  if (provider !== 'sqlite') return;
  const plans: FreeTextPlan[] = [{ drive: 'phrase' }, { drive: 'rows' }, { drive: 'trigrams', trigrams: trigramsOf(f.text!.trim().toLowerCase()).slice(-3) }];
  for (const plan of plans) {
    const ids = (await messagePageIds(db, provider, f, 'desc', 1000, plan)).map(Number);
    const [n] = await runMessageSql<{ n: bigint | number }>(db, messageCountSql(f, provider, 10_000, plan));
    expect({ f, plan, ids, n: Number(n?.n) }).toEqual({ f, plan, ids: want, n: want.length });
  }
}

eachProvider('message_text', (provider, opened) => {
  let db: Db;
  beforeAll(async () => {
    db = opened();
    await writeTransaction(db, provider, (tx) => insertMessages(tx, rows));
  });

  it('the stored texts hold every query at several selectivities', () => {
    const sizes = QUERIES.map((text) => expected({ text }).length);
    expect(sizes.filter((n) => n === 0)).toHaveLength(2); // 'zz' and 'no such text'
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(N / 2);
    expect(sizes.filter((n) => n > 0 && n < N / 3).length).toBeGreaterThan(10);
  });

  it.each(QUERIES)('text %j: pages through exactly the rows holding it, counts them', async (text) => {
    const want = expected({ text });
    expect(await pageAll(db, { text })).toEqual(want);
    expect(await countMessages(db, provider, { text })).toMatchObject({ matching: want.length, capped: false });
    await eachPlan(db, provider, { text }, want);
  });

  it.each(['"quoted"', 'compute-1', '%_o', 'äö', '"'])('text %j with a host, undecodable, a kind, a time range', async (text) => {
    const filters: MessageFilter[] = [
      { text, host: hostOf(1, HOSTS) },
      { text, method: 'undecodable' },
      { text, kind: 'undecodable' },
      { text, since: START + 10 * (N >> 1) },
      { text, host: hostOf(2, HOSTS), since: START + 10 * (N >> 2) },
    ];
    for (const f of filters) {
      const want = expected(f);
      expect({ f, ids: await pageAll(db, f) }).toEqual({ f, ids: want });
      expect({ f, n: (await countMessages(db, provider, f)).matching }).toEqual({ f, n: want.length });
      await eachPlan(db, provider, f, want);
    }
  });
});
