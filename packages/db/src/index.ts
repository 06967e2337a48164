/**
 * @l2scope/db: one Prisma model set (prisma/models.prisma) on SQLite (embedded default) or
 * PostgreSQL (production), picked from DATABASE_URL, with migrations that need neither the
 * native Prisma engines nor a network.
 *
 * Prisma's driver adapters and their drivers are loaded lazily (only the one in use); the
 * migration machinery (@prisma/migrate, the Wasm schema engine) only when `migrate` is called.
 * Migrations are a separate entry point, `@l2scope/db/migrate`, so servers that only query (the
 * web app) do not bundle the migration machinery.
 * In Next.js, list in `serverExternalPackages`: @prisma/adapter-libsql, @libsql/client,
 * @prisma/adapter-pg, pg, and, if a server route calls `migrate`, @prisma/migrate,
 * @prisma/internals, @prisma/schema-engine-wasm; and @l2scope/db in `transpilePackages`.
 */
export { databaseUrl, dbProvider, sqliteFilePath, repoRoot, type DbProvider } from './config';
export { openDb, closeDb, clientProvider, type Db, type OpenDbOptions } from './client';
export { ActiveLock, ACTIVE_WORKER_LOCK_KEY, type ActiveLockOptions } from './active-lock';
export type { MigrateResult } from './migrations';
export { MESSAGE_SEARCH_FTS, SQLITE_HAND_WRITTEN_TABLES, SQLITE_HAND_WRITTEN_TRIGGERS } from './hand-written';

// Generated model types, from the SQLite client (same shapes on PostgreSQL). `Prisma` is the
// namespace (input types, `Prisma.DbNull` / `JsonNull`, error classes such as
// `Prisma.PrismaClientKnownRequestError`): its runtime values come from @prisma/client's
// runtime, shared by both generated clients, so `instanceof` checks hold on either database.
export { Prisma } from './generated/sqlite/client';
export type { Counter, Host, Message, MessageRef, ModelChange, ModelState, Network, TapGap, VtepEntries } from './generated/sqlite/client';

export * from './repositories';
export { writeTransaction, type SqlTx } from './sql-tx';
export {
  CUT_TOO_DEEP,
  STORABLE_MAX_DEPTH,
  insertRows,
  insertRowsTx,
  storableJson,
  storableJsonText,
  storableString,
  type BulkTable,
  type PgColumnType,
} from './bulk';
