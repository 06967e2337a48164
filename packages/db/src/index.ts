/**
 * @l2scope/db: one Prisma model set (prisma/models.prisma) on SQLite (embedded default) or
 * PostgreSQL (production), picked from DATABASE_URL, with migrations that need neither the
 * native Prisma engines nor a network.
 *
 * Prisma's driver adapters and their drivers are loaded lazily (only the one in use); the
 * migration machinery (@prisma/migrate, the Wasm schema engine) only when `migrate` is called.
 * In Next.js, list in `serverExternalPackages`: @prisma/adapter-libsql, @libsql/client,
 * @prisma/adapter-pg, pg, and, if a server route calls `migrate`, @prisma/migrate,
 * @prisma/internals, @prisma/schema-engine-wasm; and @l2scope/db in `transpilePackages`.
 */
import type { MigrateResult } from './migrations';

export { databaseUrl, dbProvider, type DbProvider } from './config';
export { openDb, type Db } from './client';
export type { MigrateResult } from './migrations';

/**
 * Applies the pending migrations of prisma/<provider>/migrations to `url` (default
 * `databaseUrl()`), the way `prisma migrate deploy` does (same `_prisma_migrations` rows), with
 * Prisma's Wasm schema engine. Returns `{ applied }`: the migration names applied by this call
 * ([] when the database was up to date: idempotent). SQLite: creates the file and its directory,
 * and switches it to WAL. PostgreSQL: the database must exist.
 * Throws as `prisma migrate deploy` would: the database's error for a failing migration (its
 * row stays failed), then `P3009` on every later call until resolved; "Can't reach database
 * server at ..." / "Database `x` does not exist" for connection problems.
 */
export async function migrate(url?: string): Promise<MigrateResult> {
  const { migrate: run } = await import('./migrations');
  return run(url);
}

// Generated model types, from the SQLite client (same shapes on PostgreSQL). `Prisma` is the
// namespace (input types, `Prisma.DbNull` / `JsonNull`, error classes such as
// `Prisma.PrismaClientKnownRequestError`): its runtime values come from @prisma/client's
// runtime, shared by both generated clients, so `instanceof` checks hold on either database.
export { Prisma } from './generated/sqlite/client';
export type {
  Counter,
  Host,
  Message,
  MessageRef,
  ModelChange,
  ModelState,
  Network,
  TapGap,
  VtepEntries,
} from './generated/sqlite/client';

export { readModelSnapshot, applyModelChanges } from './projection';
export { insertRows, type BulkTable } from './bulk';
