/**
 * Driver adapters for both databases, shared by the Prisma client (openDb) and the schema
 * engine (migrate). Imported lazily, so a SQLite deployment never loads `pg` and vice versa.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config as LibSqlConfig } from '@libsql/client';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { redactUrl } from '@l2scope/domain';
import { dbProvider, libsqlUrl, sqliteFilePath } from './config';
import type { AdapterLock, DirectHandle } from './sql-tx';

/** SQLite busy timeout (ms): how long a connection waits for another process's write lock. */
export const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** An adapter factory plus what must be closed once its user is done. */
export interface OpenedAdapter {
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** Closes the connections (libsql clients / pg pool) this adapter opened. Idempotent. */
  close(): Promise<void>;
  /** The driver as `writeTransaction` uses it past Prisma (null for an in-memory SQLite database). */
  direct: DirectHandle | null;
}

/**
 * The lock of a connected `@prisma/adapter-libsql` adapter: a `Mutex` (async-mutex) every query and
 * transaction of the adapter acquires, kept under a private symbol (7.10.0, pinned in package.json:
 * `[LOCK_TAG] = new Mutex()` on `LibSqlQueryable`). Undefined when it is not there (another version).
 */
function libsqlAdapterLock(adapter: object): AdapterLock | undefined {
  for (const sym of Object.getOwnPropertySymbols(adapter)) {
    const v = (adapter as Record<symbol, unknown>)[sym];
    if (v && typeof (v as AdapterLock).acquire === 'function' && typeof (v as { runExclusive?: unknown }).runExclusive === 'function') return v as AdapterLock;
  }
  return undefined;
}

/**
 * The connection string handed to `pg`. Prisma's `?schema=` parameter is refused: through a
 * driver adapter the schema engine ignores it (migrations land in `public`, verified with
 * 7.10.0) while the client would query the named schema. Use a dedicated database instead.
 */
export function pgConnectionString(url: string): string {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  if (new URLSearchParams(query).has('schema')) {
    throw new Error(`${redactUrl(url)}: ?schema= is not supported (migrations would ignore it); use a dedicated database`);
  }
  return url;
}

/**
 * Opens a driver adapter factory for a database URL.
 * - SQLite (`@prisma/adapter-libsql`): busy timeout {@link SQLITE_BUSY_TIMEOUT_MS} on every
 *   connection, 64-bit integers read exactly (intMode 'bigint'). With `createDir`, creates the
 *   file's directory; otherwise a missing file is an error (a fresh empty file would only fail
 *   later with "no such table").
 * - PostgreSQL (`@prisma/adapter-pg`): one `pg.Pool`, ended by `close()` or by the adapter's
 *   dispose (`PrismaClient.$disconnect()`).
 */
export async function openAdapter(url: string, opts: { createDir?: boolean } = {}): Promise<OpenedAdapter> {
  if (dbProvider(url) === 'postgresql') {
    const [{ PrismaPg }, pg] = await Promise.all([import('@prisma/adapter-pg'), import('pg')]);
    const pool = new pg.default.Pool({ connectionString: pgConnectionString(url) });
    // An idle client dying (server restart) must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    return {
      // disposeExternalPool: PrismaClient.$disconnect() ends the pool.
      factory: new PrismaPg(pool, { disposeExternalPool: true }),
      async close() {
        if (!pool.ended) await pool.end();
      },
      direct: { provider: 'postgresql', pool },
    };
  }

  const file = sqliteFilePath(url);
  if (file !== null) {
    if (opts.createDir) mkdirSync(path.dirname(file), { recursive: true });
    else if (!existsSync(file)) {
      throw new Error(`SQLite database ${file} does not exist: run "npm run db:migrate" first`);
    }
  }
  const { PrismaLibSql } = await import('@prisma/adapter-libsql');
  const clients: { close(): void }[] = [];
  let lock: AdapterLock | undefined;
  class TrackedLibSql extends PrismaLibSql {
    override createClient(config: LibSqlConfig) {
      const client = super.createClient(config);
      clients.push(client);
      return client;
    }
    override async connect() {
      const adapter = await super.connect();
      lock = libsqlAdapterLock(adapter);
      if (!lock) throw new Error('@prisma/adapter-libsql: no adapter lock found (version changed?): packages/db/src/adapters.ts');
      return adapter;
    }
  }
  return {
    // intMode 'bigint': libsql's default ('number') throws RangeError on any integer beyond
    // 2^53 (a BigInt column such as Counter.value); the adapter passes bigints on as strings.
    factory: new TrackedLibSql({ url: libsqlUrl(url), timeout: SQLITE_BUSY_TIMEOUT_MS, intMode: 'bigint' }),
    async close() {
      for (const c of clients.splice(0)) c.close();
    },
    direct: file === null ? null : { provider: 'sqlite', file, timeoutMs: SQLITE_BUSY_TIMEOUT_MS, lock: () => lock },
  };
}
