/**
 * The server's database client: one per process (kept on globalThis so dev-mode module reloads
 * do not open a new pool each time). A failed open is retried on the next request.
 */
import { type Db, openDb } from '@l2scope/db';

const holder = globalThis as typeof globalThis & { __l2scopeDb?: Promise<Db> };

/** The process-wide Prisma client (opened on first use, with `DATABASE_URL` or the embedded SQLite file). */
export function getDb(): Promise<Db> {
  holder.__l2scopeDb ??= openDb().catch((err: unknown) => {
    holder.__l2scopeDb = undefined;
    throw err;
  });
  return holder.__l2scopeDb;
}
