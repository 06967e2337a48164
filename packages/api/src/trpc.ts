import { initTRPC } from '@trpc/server';
import type { Db } from '@l2scope/db';

/** Per-request context: the database. */
export interface Context {
  db: Db;
}

const t = initTRPC.context<Context>().create();

export const router = t.router;
export const publicProcedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;
