/**
 * Write transactions past Prisma's client, on the driver's own connection: what the worker's batch
 * commit runs ({@link writeTransaction}). Prisma's raw-query path serialises every parameter to
 * JSON, parses it back and deep-copies it (byte columns as base64) before the driver sees it, and
 * prepares every statement afresh: on a 1,000-message batch that was about half of the worker's CPU
 * on SQLite (docs/fleet.md, "Bench figures"). Here:
 * - SQLite: a `libsql` connection of our own on the same file (the driver `@libsql/client` wraps),
 *   each statement prepared once and cached, the transaction `BEGIN IMMEDIATE` ... `COMMIT`. While
 *   it runs it holds the lock of the Prisma client's libsql adapter (the adapter's `Mutex`, which
 *   every Prisma query and transaction of this process takes), so no Prisma transaction of this
 *   process holds SQLite's write lock meanwhile: libsql waits for that lock synchronously, on the
 *   event loop, which would stall until the busy timeout.
 * - PostgreSQL: a connection of the client's own `pg.Pool`, `BEGIN` ... `COMMIT`, statements whose
 *   text does not vary prepared once per connection (named statements).
 * Values are stored exactly as Prisma stores them (Date as the adapter writes it, booleans as 0/1 on
 * SQLite, bigint as 64-bit integers), so Prisma reads the rows back unchanged.
 * A client not opened by `openDb` (or on an in-memory SQLite database, which a second connection
 * cannot see) gets the same interface over a Prisma interactive transaction.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Pool, PoolClient } from 'pg';
import type { DbProvider } from './config';

/** The part of async-mutex's `Mutex` (the libsql adapter's lock) used here. */
export interface AdapterLock {
  /** Resolves, once the lock is ours, with the function that releases it. */
  acquire(): Promise<() => void>;
}

/** Raw SQL inside one write transaction ({@link writeTransaction}). Throws the driver's error. */
export interface SqlTx {
  readonly provider: DbProvider;
  /**
   * Run one statement (`?` placeholders on SQLite, `$1`... on PostgreSQL). Values: string, number,
   * bigint, boolean, Date, Uint8Array, null, and on PostgreSQL arrays of those (array parameters).
   * @returns the number of rows it changed
   */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Run one statement once per row of parameters, in order (SQLite: one prepared statement). */
  runEach(sql: string, rows: readonly (readonly unknown[])[]): Promise<void>;
  /** The rows of a query, as objects keyed by column name. */
  all<R extends Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/** What `openDb` keeps of a client's driver for {@link writeTransaction}. */
export type DirectHandle =
  { provider: 'sqlite'; file: string; timeoutMs: number; lock: () => AdapterLock | undefined } | { provider: 'postgresql'; pool: Pool };

/** A direct writer: opens its connection lazily, runs transactions, closes. */
interface DirectWriter {
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>;
  close(): void;
}

const writers = new WeakMap<object, DirectWriter>();

/** Register the driver of a client `openDb` opened (called by `openDb`). */
export function registerDirect(db: object, handle: DirectHandle): void {
  writers.set(db, handle.provider === 'sqlite' ? sqliteWriter(handle) : pgWriter(handle.pool));
}

/** Close what {@link writeTransaction} opened for a client (called by `closeDb`). Idempotent. */
export function closeDirect(db: object): void {
  writers.get(db)?.close();
  writers.delete(db);
}

/** A Prisma client or interactive-transaction client: the fallback's needs. */
interface PrismaLike {
  $transaction?: unknown;
  $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<R>(sql: string, ...values: unknown[]): Promise<R>;
}

/**
 * Run `fn` in one write transaction on `db`'s driver connection (see the module comment): committed
 * when `fn` resolves, rolled back when it throws (the error is rethrown).
 * @param provider used only for a client `openDb` did not open (the Prisma fallback)
 */
export async function writeTransaction<T>(db: object, provider: DbProvider, fn: (tx: SqlTx) => Promise<T>): Promise<T> {
  const writer = writers.get(db);
  if (writer) return writer.transaction(fn);
  const client = db as PrismaLike;
  const inTx = (tx: PrismaLike) => fn(prismaTx(tx, provider));
  if (typeof client.$transaction !== 'function') return inTx(client);
  const $transaction = client.$transaction as (f: (tx: PrismaLike) => Promise<T>, o: object) => Promise<T>;
  return $transaction.call(client, inTx, { maxWait: 30_000, timeout: 300_000 });
}

/** The {@link SqlTx} of a Prisma (transaction) client: its raw-query path. */
function prismaTx(tx: PrismaLike, provider: DbProvider): SqlTx {
  return {
    provider,
    run: (sql, params = []) => tx.$executeRawUnsafe(sql, ...params),
    async runEach(sql, rows) {
      for (const r of rows) await tx.$executeRawUnsafe(sql, ...r);
    },
    all: <R>(sql: string, params: readonly unknown[] = []) => tx.$queryRawUnsafe<R[]>(sql, ...params),
  };
}

/** A Date as Prisma's libsql adapter stores it (ISO 8601, `+00:00`). */
function sqliteDate(d: Date): string {
  return d.toISOString().replace('Z', '+00:00');
}

/** A value as libsql binds it, as Prisma's adapter would have passed it. */
function sqliteValue(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return sqliteDate(v);
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

/** The libsql `Database` and `Statement` surface used here (better-sqlite3's API). */
interface LibsqlStatement {
  run(params: unknown[]): { changes: number };
  all(params: unknown[]): Record<string, unknown>[];
}
interface LibsqlDatabase {
  prepare(sql: string): LibsqlStatement;
  exec(sql: string): void;
  close(): void;
  readonly inTransaction: boolean;
}

/** Statements prepared per connection (bounded: the batch writes use a few dozen texts). */
const MAX_CACHED_STATEMENTS = 256;

function sqliteWriter(h: Extract<DirectHandle, { provider: 'sqlite' }>): DirectWriter {
  let conn: LibsqlDatabase | null = null;
  const cache = new Map<string, LibsqlStatement>();
  const open = (): LibsqlDatabase => {
    if (conn) return conn;
    // required when first used (a process that never writes batches never loads it), synchronously:
    // libsql is CommonJS, and a dynamic import waits on the module loader behind busy I/O
    const Database = createRequire(import.meta.url)('libsql') as new (file: string, o: object) => LibsqlDatabase;
    conn = new Database(h.file, { timeout: h.timeoutMs });
    return conn;
  };
  const stmt = (db: LibsqlDatabase, sql: string): LibsqlStatement => {
    let s = cache.get(sql);
    if (!s) {
      if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  return {
    async transaction(fn) {
      const db = open();
      const mutex = h.lock();
      const release = mutex ? await mutex.acquire() : () => {};
      try {
        const tx: SqlTx = {
          provider: 'sqlite',
          run: (sql, params = []) => Promise.resolve(stmt(db, sql).run(params.map(sqliteValue)).changes),
          runEach(sql, rows) {
            const s = stmt(db, sql);
            for (const r of rows) s.run(r.map(sqliteValue));
            return Promise.resolve();
          },
          all: <R>(sql: string, params: readonly unknown[] = []) => Promise.resolve(stmt(db, sql).all(params.map(sqliteValue)) as R[]),
        };
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(tx);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      } finally {
        release();
      }
    },
    close() {
      cache.clear();
      conn?.close();
      conn = null;
    },
  };
}

/** A UTC timestamp as adapter-pg sends a Date for `timestamp(3)`. */
function pgDate(d: Date): string {
  const iso = d.toISOString();
  if (iso.length !== 24) throw new RangeError(`date out of range: ${iso}`);
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

function pgValue(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return pgDate(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(pgValue);
  return v;
}

/** Name of the prepared statement of a SQL text (pg prepares a named statement once per connection). */
function statementName(sql: string): string {
  return `l2s_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
}

function pgWriter(pool: Pool): DirectWriter {
  const names = new Map<string, string>();
  const nameOf = (sql: string) => {
    let n = names.get(sql);
    if (!n) {
      if (names.size >= MAX_CACHED_STATEMENTS) names.clear();
      n = statementName(sql);
      names.set(sql, n);
    }
    return n;
  };
  return {
    async transaction(fn) {
      const client: PoolClient = await pool.connect();
      // while checked out the pool's idle listener is off: a reset between two statements would be
      // an uncaught 'error' event; it marks the connection broken instead (the next query rejects)
      let broken: Error | undefined;
      const onError = (e: Error) => (broken ??= e);
      client.on('error', onError);
      const query = (sql: string, params: readonly unknown[]) => client.query({ name: nameOf(sql), text: sql, values: params.map(pgValue) });
      const tx: SqlTx = {
        provider: 'postgresql',
        run: async (sql, params = []) => (await query(sql, params)).rowCount ?? 0,
        async runEach(sql, rows) {
          for (const r of rows) await query(sql, r);
        },
        all: async <R>(sql: string, params: readonly unknown[] = []) => (await query(sql, params)).rows as R[],
      };
      try {
        await client.query('BEGIN');
        try {
          const result = await fn(tx);
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch((e: unknown) => (broken = e as Error));
          throw err;
        }
      } catch (err) {
        broken ??= isConnectionError(err) ? (err as Error) : undefined;
        throw err;
      } finally {
        // a connection that failed outside SQL (reset, terminated) is destroyed, not reused
        client.off('error', onError);
        client.release(broken);
      }
    },
    close() {
      names.clear();
    },
  };
}

/** An error of the connection rather than of a statement (pg's SQL errors carry a SQLSTATE `code` of 5 characters). */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return !(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code));
}
