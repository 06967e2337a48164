/**
 * `@l2scope/db/migrate`: apply migrations. Kept apart from the query client (`@l2scope/db`) so that
 * processes that only query never load @prisma/migrate and the Wasm schema engine.
 */
import type { MigrateResult } from './migrations';

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
