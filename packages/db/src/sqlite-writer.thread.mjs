/**
 * The SQLite batch writer's thread (node:worker_threads), started by `sql-tx.ts` (`sqliteWriter`):
 * it owns one `libsql` connection on the database file and runs the statements of
 * `writeTransaction` that the main thread posts, one request at a time, in order. libsql is
 * synchronous: here its inserts and the commit's fsync block this thread, not the worker's event
 * loop (which meanwhile decodes, folds and acks). Plain JavaScript so that any runner (tsx, vitest,
 * Node) can start it without a TypeScript loader.
 *
 * workerData: `{ file, timeoutMs }`. Requests: `{ id, op, sql?, params?, rows? }` with op `begin`
 * (BEGIN IMMEDIATE), `commit`, `rollback` (when a transaction is open), `run` (-> rows changed),
 * `runEach` (one prepared statement per row of `rows`), `all` (-> rows as objects), `close`.
 * Replies: `{ id, value }` or `{ id, error: { name, message, code } }`.
 * Values are bound as Prisma's libsql adapter binds them (Date as ISO 8601 `+00:00`, booleans as
 * 0/1, byte arrays as Buffers), so Prisma reads the rows back unchanged.
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const Database = createRequire(import.meta.url)('libsql');
const db = new Database(workerData.file, { timeout: workerData.timeoutMs });

/** Statements prepared on this connection (bounded: the batch writes use a few dozen texts). */
const MAX_CACHED_STATEMENTS = 256;
const cache = new Map();
function stmt(sql) {
  let s = cache.get(sql);
  if (!s) {
    if (cache.size >= MAX_CACHED_STATEMENTS) cache.clear();
    s = db.prepare(sql);
    cache.set(sql, s);
  }
  return s;
}

/** A Date as Prisma's libsql adapter stores it (ISO 8601, `+00:00`). */
function value(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString().replace('Z', '+00:00');
  if (v instanceof Uint8Array && !Buffer.isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return v;
}

function handle(req) {
  switch (req.op) {
    case 'begin':
      db.exec('BEGIN IMMEDIATE');
      return null;
    case 'commit':
      db.exec('COMMIT');
      return null;
    case 'rollback':
      if (db.inTransaction) db.exec('ROLLBACK');
      return null;
    case 'run':
      return stmt(req.sql).run(req.params.map(value)).changes;
    case 'runEach': {
      const s = stmt(req.sql);
      for (const r of req.rows) s.run(r.map(value));
      return null;
    }
    case 'all':
      return stmt(req.sql).all(req.params.map(value));
    default:
      throw new Error(`sqlite writer: unknown request ${String(req.op)}`);
  }
}

parentPort.on('message', (req) => {
  if (req.op === 'close') {
    cache.clear();
    try {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
    } finally {
      parentPort.close();
    }
    return;
  }
  try {
    parentPort.postMessage({ id: req.id, value: handle(req) });
  } catch (err) {
    const e = err ?? {};
    parentPort.postMessage({
      id: req.id,
      error: { name: String(e.name ?? 'Error'), message: String(e.message ?? e), code: e.code === undefined ? undefined : String(e.code) },
    });
  }
});
