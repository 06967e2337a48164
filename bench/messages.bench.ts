/**
 * The inspector at fleet scale: `total` stored messages (default 1,000,000) and the time of each
 * filter's first page and bounded count, against a primary-key lookup of one message in the same
 * run (the baseline). The messages: 20,000 real-template messages of a 1000-host fleet
 * (`fleetMessages`: report_state and add_fdb_entries on lab3's templates) stored through the
 * worker's batch insert (`insertMessages`, refs and search text as the worker writes them, host
 * references spread over 1,000 hosts, one in 997 undecodable), then copied in SQL with ids and
 * receive times shifted until `total` (a bulk load: the copy is the same rows, later; on SQLite the
 * triggers index each copy's search text in the FTS5 trigram table). ANALYZE after. On SQLite it
 * also reports the database's size and the trigram table's part of it.
 *
 * Loading 1,000,000 rows takes about 10 minutes on a busy machine (SQLite), so two options:
 * - `L2SCOPE_BENCH_KEEP=<path>` (SQLite only): the database file is kept at `<path>` instead of a
 *   temporary directory. When the file exists it is reused: migrated (a newer migration applies
 *   to it, backfill included, as it would to a deployed database) and not loaded again; it must
 *   then hold exactly `total` messages, or the run stops (delete the file to load it afresh).
 *   Loaded, it is left in place for the next run. Use one path per engineer or branch.
 * - `L2SCOPE_BENCH_ONLY=<regex>`: time only the filters whose name matches (e.g. `free text`);
 *   the baseline is always timed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  type Db,
  type DbProvider,
  type MessageFilter,
  MESSAGE_COLUMNS,
  closeDb,
  countMessages,
  insertMessages,
  writeTransaction,
  listMessages,
  messageDetail,
  SQLITE_HAND_WRITTEN_TABLES,
  openDb,
} from '@l2scope/db';
import { migrate } from '@l2scope/db/migrate';
import { hostOf, messageRows } from '../packages/db/test/message-rows';
import { fleetMessages } from './workload';

/** Messages stored through the worker's insert; the rest are SQL copies of them. */
const SEED = 20_000;
const HOSTS = 1000;
const START = Date.parse('2026-12-01T00:00:00Z');
/** One message every 10 ms: a copy k is shifted by k * SEED * 10 ms. */
const STEP_MS = 10;

/** p50 / p95 of one query, in ms, over the runs. */
export interface Timing {
  name: string;
  p50: number;
  p95: number;
  /** Rows the first page returned (page) or the count said (count). */
  rows: number;
}

export interface MessagesBenchResult {
  provider: DbProvider;
  stored: number;
  loadSeconds: number;
  /** SQLite: the database's size and the part of it the free text's FTS5 trigram table takes, bytes (null on PostgreSQL). */
  size: { file: number; searchIndex: number } | null;
  baseline: Timing;
  pages: Timing[];
  counts: Timing[];
}

/** The filters timed: each filter of the inspector at a realistic selectivity. */
function filters(newest: number): { name: string; f: MessageFilter }[] {
  return [
    { name: 'none (newest page)', f: {} },
    { name: 'method add_fdb_entries', f: { method: 'add_fdb_entries' } },
    { name: 'method report_state', f: { method: 'report_state' } },
    { name: 'undecodable', f: { method: 'undecodable' } },
    { name: 'kind report_state', f: { kind: 'report_state' } },
    { name: 'host (1 of 1,000)', f: { host: hostOf(421, HOSTS) } },
    { name: 'VNI 649', f: { vni: 649 } },
    { name: 'VTEP', f: { vtep: '10.20.1.165' } },
    { name: 'time range (1 min, mid)', f: { since: START + ((newest * STEP_MS) >> 1), until: START + ((newest * STEP_MS) >> 1) + 60_000 } },
    { name: 'host + method', f: { host: hostOf(7, HOSTS), method: 'report_state' } },
    { name: 'free text, a MAC', f: { text: 'fa:16:3e:00:01:a5' } },
    { name: 'free text, a host', f: { text: hostOf(421, HOSTS) } },
    { name: 'free text, common + undecodable', f: { text: 'fanout', method: 'undecodable' } },
    { name: 'free text, a MAC + VNI 649', f: { text: 'fa:16:3e:00:01:a5', vni: 649 } },
    { name: 'free text, a host + 1 min, old', f: { text: hostOf(421, HOSTS), since: START + 60_000, until: START + 120_000 } },
    { name: 'page 2 of VNI (keyset)', f: { vni: 649, before: newest - 5_000 } },
  ];
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function time(name: string, runs: number, fn: () => Promise<number>): Promise<Timing> {
  let rows = await fn(); // warm
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    rows = await fn();
    ms.push(performance.now() - t0);
  }
  return { name, p50: pct(ms, 50), p95: pct(ms, 95), rows };
}

/**
 * Store `total` messages in `db` (migrated, empty): {@link SEED} of a 1000-host fleet through the
 * worker's insert (`insertMessages`), the rest as SQL copies shifted in id and time (one every
 * 10 ms), then ANALYZE. Hosts are `compute-0000`..`compute-0999` (`hostOf`). Also the input of the
 * inspector's performance script (e2e/perf/inspector.perf.ts).
 */
export async function storeFleetMessages(db: Db, provider: DbProvider, total: number): Promise<void> {
  const templates = fleetMessages(1000, 19);
  for (const batch of messageRows(templates, SEED, { hosts: HOSTS, start: START, undecodableEvery: 997 }, 1000))
    await writeTransaction(db, provider, (tx) => insertMessages(tx, batch));
  const cols = MESSAGE_COLUMNS.map((c) => `"${c}"`).join(', ');
  const suffix = provider === 'sqlite' ? (await db.$queryRawUnsafe<{ s: string }[]>('SELECT substr("receivedAt", 24) AS s FROM "Message" LIMIT 1'))[0]!.s : '';
  for (let k = 1; k * SEED < total; k++) {
    const n = Math.min(SEED, total - k * SEED);
    const shift = k * SEED;
    const secs = (shift * STEP_MS) / 1000;
    const at =
      provider === 'postgresql'
        ? `"receivedAt" + interval '${secs} seconds'`
        : `strftime('%Y-%m-%dT%H:%M:%f', "receivedAt", '+${secs} seconds') || '${suffix}'`;
    const select = MESSAGE_COLUMNS.map((c) => (c === 'id' ? `"id" + ${shift}` : c === 'receivedAt' ? at : c === 'uniqueId' ? 'NULL' : `"${c}"`)).join(', ');
    await db.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`INSERT INTO "Message" (${cols}) SELECT ${select} FROM "Message" WHERE "id" <= ${n}`);
        await tx.$executeRawUnsafe(
          `INSERT INTO "MessageRef" ("messageId", "kind", "value") SELECT "messageId" + ${shift}, "kind", "value" FROM "MessageRef" WHERE "messageId" <= ${n}`,
        );
      },
      { maxWait: 120_000, timeout: 600_000 },
    );
  }
  await db.$executeRawUnsafe('ANALYZE');
}

/** SQLite: pages in use times the page size, and the pages of the FTS5 table's shadow tables (dbstat). */
async function sqliteSize(db: Db): Promise<{ file: number; searchIndex: number }> {
  const n = async (sql: string) => Number((await db.$queryRawUnsafe<{ n: bigint | number | null }[]>(sql))[0]?.n ?? 0);
  const file = (await n('SELECT page_count AS n FROM pragma_page_count()')) * (await n('SELECT page_size AS n FROM pragma_page_size()'));
  const tables = SQLITE_HAND_WRITTEN_TABLES.map((t) => `'${t}'`).join(', ');
  return { file, searchIndex: await n(`SELECT sum(pgsize) AS n FROM dbstat WHERE name IN (${tables})`) };
}

/** Run the section on one provider (`databaseBase`: a PostgreSQL server URL for postgresql). */
export async function runMessagesBench(provider: DbProvider, total = 1_000_000, runs = 40, databaseBase?: string): Promise<MessagesBenchResult> {
  let url: string;
  let drop: () => Promise<void>;
  const keep = provider === 'sqlite' ? process.env.L2SCOPE_BENCH_KEEP || undefined : undefined;
  const reuse = keep !== undefined && existsSync(keep);
  if (keep !== undefined) {
    url = `file:${path.resolve(keep)}`;
    drop = async () => {};
  } else if (provider === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'l2scope-bench-messages-'));
    url = `file:${path.join(dir, 'bench.db')}`;
    drop = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const admin = databaseBase ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
    const name = `l2scope_bench_messages_${process.pid}`;
    const q = async (sql: string) => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    };
    await q(`CREATE DATABASE "${name}"`);
    url = Object.assign(new URL(admin), { pathname: `/${name}` }).toString();
    drop = () => q(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
  await migrate(url);
  const db = await openDb(url);
  try {
    const t0 = performance.now();
    if (reuse) {
      const [row] = await db.$queryRawUnsafe<{ n: bigint | number }[]>('SELECT count(*) AS "n" FROM "Message"');
      if (Number(row?.n) !== total) throw new Error(`L2SCOPE_BENCH_KEEP=${keep} holds ${row?.n} messages, not ${total}: delete it to load afresh`);
    } else await storeFleetMessages(db, provider, total);
    const loadSeconds = reuse ? 0 : (performance.now() - t0) / 1000;
    const size = provider === 'sqlite' ? await sqliteSize(db) : null;
    const probe = total >> 1;
    const baseline = await time('primary-key lookup (messages.get)', runs, async () => ((await messageDetail(db, probe)) ? 1 : 0));
    const pages: Timing[] = [];
    const counts: Timing[] = [];
    const only = process.env.L2SCOPE_BENCH_ONLY;
    for (const { name, f } of filters(total).filter((x) => !only || new RegExp(only).test(x.name))) {
      pages.push(await time(name, runs, async () => (await listMessages(db, { ...f, limit: 200 })).items.length));
      counts.push(await time(name, Math.max(5, runs >> 2), async () => (await countMessages(db, provider, f)).matching));
    }
    return { provider, stored: total, loadSeconds, size, baseline, pages, counts };
  } finally {
    await closeDb(db);
    await drop();
  }
}
