/**
 * The one tRPC instance of the API: its context, router factory and base procedure. Every
 * procedure is built from {@link publicProcedure}; swapping it (e.g. for an authenticated one)
 * changes all of them.
 */
import { initTRPC } from '@trpc/server';
import type { Db } from '@l2scope/db';

/** Per-request context: the database client (`openDb` of @l2scope/db, one per process). */
export interface Context {
  db: Db;
}

const t = initTRPC.context<Context>().create();

export const router = t.router;
/** The base procedure every procedure of the API is built from. */
export const publicProcedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;
