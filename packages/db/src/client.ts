/**
 * The Prisma client on either database. Both generated clients come from the same models; the
 * SQLite one's type is the type every caller uses ({@link Db}).
 */
import { openAdapter } from './adapters';
import { databaseUrl, dbProvider } from './config';
import { closeDirect, registerDirect } from './sql-tx';
import type { PrismaClient as SqliteClient } from './generated/sqlite/client';

/**
 * One client type for both databases: the SQLite generated `PrismaClient`. On PostgreSQL,
 * {@link openDb} returns the PostgreSQL generated client cast to this type. Same models, same
 * delegates, same results (BigInt as bigint, Bytes as Uint8Array, Json as JsonValue, DateTime as
 * Date); the PostgreSQL client accepts more, which this type does not let callers use:
 * - `createMany({ skipDuplicates })` and `mode: 'insensitive'` on string filters: PostgreSQL only.
 * - Json filters: SQLite's `path` is a JSONPath string (`'$.a.b'`), PostgreSQL's is a string
 *   array (`['a', 'b']`), and `array_contains`/`lt`/`gt` on Json are PostgreSQL only.
 *   Do not filter on Json paths in shared code.
 * - `$transaction({ isolationLevel })`: SQLite only knows `Serializable`; PostgreSQL also has
 *   ReadUncommitted / ReadCommitted / RepeatableRead.
 * - `in`/`notIn` with field references: PostgreSQL only.
 * Behaviour differences (same call, different result): `contains`/`startsWith`/`endsWith` are
 * case-insensitive for ASCII on SQLite (LIKE) and case-sensitive on PostgreSQL (compare
 * lower-cased text, as the `search` column is). `$queryRaw` SQL is the database's own dialect
 * and its untyped results differ: SQLite returns every integer as bigint (libsql intMode
 * 'bigint'), PostgreSQL int4 as number, int8 (`COUNT(*)`) as bigint, numeric as Decimal; wrap
 * with Number()/BigInt() in shared code. Model queries return identical values on both.
 */
export type Db = SqliteClient;

/** Options of {@link openDb}. */
export interface OpenDbOptions {
  /**
   * Called after every SQL statement the client runs (Prisma's `query` log event): its text (with
   * `?`/`$n` placeholders, no values) and duration in ms. For tests and diagnostics that count
   * queries; not set in production paths. The statements of `writeTransaction` (the worker's batch
   * commits, past Prisma's client) are not among them.
   */
  onQuery?: (e: { query: string; durationMs: number }) => void;
}

/**
 * Opens a Prisma client on `url` (default {@link databaseUrl}) with the matching driver adapter
 * (no native engine: the query compiler is Wasm) and connects it.
 *
 * - SQLite (`file:` URL, `@prisma/adapter-libsql`): the file must exist (run `migrate` first);
 *   the file is switched to WAL journal mode, every connection has a busy timeout
 *   (SQLITE_BUSY_TIMEOUT_MS) so a reader process and the writer process wait for each other
 *   instead of failing with SQLITE_BUSY; foreign keys are enforced (libsql's default), so
 *   `onDelete: Cascade` works.
 * - PostgreSQL (`postgres://`/`postgresql://`, `@prisma/adapter-pg` on a `pg.Pool`): the
 *   database must exist and be migrated; schema `public` (a `?schema=` URL is refused).
 *
 * Each call makes a new client with its own connections: keep one per process (in a Next.js
 * dev server, on `globalThis`) and `$disconnect()` it on shutdown.
 * Throws when the SQLite file is missing, for a PostgreSQL URL with `?schema=`, or the
 * driver's error when the database cannot be reached.
 */
/** The provider of each client {@link openDb} returned (read by {@link readConsistent}). */
const providerOf = new WeakMap<object, 'postgresql' | 'sqlite'>();

export async function openDb(url: string = databaseUrl(), opts: OpenDbOptions = {}): Promise<Db> {
  const adapter = await openAdapter(url);
  const log = opts.onQuery ? ([{ emit: 'event', level: 'query' }] as const) : undefined;
  const listen = (db: { $on(e: 'query', cb: (e: { query: string; duration: number }) => void): unknown }) => {
    const onQuery = opts.onQuery;
    if (onQuery) db.$on('query', (e) => onQuery({ query: e.query, durationMs: e.duration }));
  };
  try {
    if (dbProvider(url) === 'postgresql') {
      const { PrismaClient } = await import('./generated/postgresql/client');
      const db = new PrismaClient({ adapter: adapter.factory, log: log ? [...log] : undefined });
      listen(db as never);
      await db.$connect();
      providerOf.set(db, 'postgresql');
      if (adapter.direct) registerDirect(db, adapter.direct);
      return db as unknown as Db;
    }
    const { PrismaClient } = await import('./generated/sqlite/client');
    const db = new PrismaClient({ adapter: adapter.factory, log: log ? [...log] : undefined });
    await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
    listen(db as never);
    providerOf.set(db, 'sqlite');
    if (adapter.direct) registerDirect(db, adapter.direct);
    return db as unknown as Db;
  } catch (err) {
    await adapter.close();
    throw err;
  }
}

/**
 * Bounds of a {@link readConsistent} transaction (ms). Prisma's defaults (2 s to get a connection,
 * 5 s to finish) fail a worker's start-up read on a busy machine (P2028), or a 1,000-host
 * projection's read; these only guard against a stuck database.
 */
const READ_TRANSACTION = { maxWait: 30_000, timeout: 300_000 } as const;

/**
 * Run `read` in one read transaction that sees a single snapshot of the database: several reads
 * that must agree with each other (the projection's `seq` and its rows) cannot straddle a writer's
 * commit. PostgreSQL: `REPEATABLE READ` (its default, READ COMMITTED, takes a new snapshot per
 * statement); SQLite: a transaction (one snapshot of the WAL). `db` may already be a transaction
 * client (no `$transaction`): `read` then runs in it as it is. A client not opened by {@link openDb}
 * gets a plain transaction (its provider is unknown).
 * @throws whatever `read` throws (the transaction is rolled back)
 */
export async function readConsistent<C, T>(db: C, read: (tx: C) => Promise<T>): Promise<T> {
  const tx = db as unknown as { $transaction?: (fn: (tx: C) => Promise<T>, o?: { isolationLevel?: string; maxWait?: number; timeout?: number }) => Promise<T> };
  if (typeof tx.$transaction !== 'function') return read(db);
  const postgres = providerOf.get(tx) === 'postgresql';
  return tx.$transaction(read, { ...READ_TRANSACTION, ...(postgres ? { isolationLevel: 'RepeatableRead' } : {}) });
}

/**
 * The provider of a client {@link openDb} returned (raw SQL differs: placeholders, booleans).
 * @throws for a client whose provider is unknown (not a Prisma client)
 */
export function clientProvider(db: object): 'postgresql' | 'sqlite' {
  // a bundler may load this module twice (Next.js server chunks): the client's own provider then
  const p = providerOf.get(db) ?? (db as { _activeProvider?: unknown })._activeProvider;
  if (p !== 'postgresql' && p !== 'sqlite') throw new Error('clientProvider: not a client from openDb');
  return p;
}

/** Close a client from {@link openDb} (its connections, or the SQLite file, and the batch writer's: `writeTransaction`). Idempotent. */
export async function closeDb(db: Db): Promise<void> {
  closeDirect(db);
  await db.$disconnect();
}
