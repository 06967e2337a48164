/**
 * Write transactions past Prisma's client, on the driver's own connection: what the worker's batch
 * commit runs ({@link writeTransaction}). Prisma's raw-query path serialises every parameter to
 * JSON, parses it back and deep-copies it (byte columns as base64) before the driver sees it, and
 * prepares every statement afresh: on a 1,000-message batch that was about half of the worker's CPU
 * on SQLite (docs/fleet.md, "Bench figures"). Here:
 * - SQLite: a `libsql` connection of our own on the same file (the driver `@libsql/client` wraps),
 *   on a thread of its own (`sqlite-writer.thread.mjs`: libsql is synchronous, so its inserts and
 *   the commit's fsync would otherwise block the event loop),
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
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
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

/** A request to the SQLite writer's thread (`sqlite-writer.thread.mjs`). */
type ThreadRequest =
  | { op: 'begin' | 'commit' | 'rollback' }
  | { op: 'run' | 'all'; sql: string; params: readonly unknown[] }
  | { op: 'runEach'; sql: string; rows: readonly (readonly unknown[])[] };

/** A reply of the writer's thread: a value, or the driver's error as plain fields. */
type ThreadReply = { id: number; value: unknown; error?: undefined } | { id: number; error: { name: string; message: string; code?: string } };

/** The writer thread's script, beside this module (plain JavaScript: no loader needed in the thread). */
function threadScript(): string {
  return path.join(path.dirname(fileURLToPath(import.meta.url)), 'sqlite-writer.thread.mjs');
}

/**
 * SQLite: the statements run on a `node:worker_threads` thread of their own
 * (`sqlite-writer.thread.mjs`, one libsql connection, each statement prepared once), so libsql's
 * synchronous inserts and the commit's fsync do not block the event loop: while a batch commits,
 * the worker decodes and folds the next deliveries. Transactions run one at a time, in call order.
 * The thread starts with the first transaction, is referenced only while a request is pending (an
 * idle writer never keeps the process alive), and is started again after it died (its pending
 * requests reject with the error). Errors keep the driver's `name`, `message` and `code`.
 */
function sqliteWriter(h: Extract<DirectHandle, { provider: 'sqlite' }>): DirectWriter {
  let thread: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let queue: Promise<unknown> = Promise.resolve();
  const failAll = (err: Error) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  const start = (): Worker => {
    if (thread) return thread;
    // constructed through Reflect: the web app's bundler (Turbopack) takes any `new Worker(...)` for a
    // script to bundle and fails on a path known only at run time (the web app never writes batches)
    const { Worker: Thread } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
    const t: Worker = Reflect.construct(Thread, [threadScript(), { workerData: { file: h.file, timeoutMs: h.timeoutMs } }]);
    t.on('message', (r: ThreadReply) => {
      const p = pending.get(r.id);
      if (!p) return;
      pending.delete(r.id);
      if (pending.size === 0) t.unref();
      if (r.error) p.reject(Object.assign(new Error(r.error.message), { name: r.error.name, code: r.error.code }));
      else p.resolve(r.value);
    });
    const gone = (err: Error) => {
      if (thread === t) thread = null;
      failAll(err);
    };
    t.on('error', gone);
    t.on('exit', (code) => gone(new Error(`the SQLite writer thread exited (code ${code})`)));
    t.unref();
    thread = t;
    return t;
  };
  const request = (req: ThreadRequest): Promise<unknown> => {
    const t = start();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      t.ref();
      t.postMessage({ id, ...req });
    });
  };
  const tx: SqlTx = {
    provider: 'sqlite',
    run: async (sql, params = []) => (await request({ op: 'run', sql, params })) as number,
    runEach: async (sql, rows) => {
      if (rows.length) await request({ op: 'runEach', sql, rows });
    },
    all: async <R>(sql: string, params: readonly unknown[] = []) => (await request({ op: 'all', sql, params })) as R[],
  };
  return {
    transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
      const run = async (): Promise<T> => {
        const mutex = h.lock();
        const release = mutex ? await mutex.acquire() : () => {};
        try {
          await request({ op: 'begin' });
          try {
            const result = await fn(tx);
            await request({ op: 'commit' });
            return result;
          } catch (err) {
            await request({ op: 'rollback' }).catch(() => {});
            throw err;
          }
        } finally {
          release();
        }
      };
      const result = queue.then(run, run);
      queue = result.catch(() => {});
      return result;
    },
    close() {
      const t = thread;
      thread = null;
      if (!t) return;
      t.removeAllListeners('exit');
      t.on('exit', () => failAll(new Error('the SQLite writer was closed')));
      t.postMessage({ id: 0, op: 'close' });
      t.unref();
    },
  };
}

/** Statements prepared per PostgreSQL connection (bounded: the batch writes use a few dozen texts). */
const MAX_CACHED_STATEMENTS = 256;

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
