/**
 * Authentication storage: the `User`, `Session`, `Account` and `Verification` rows Better Auth
 * reads and writes (docs/auth.md). Better Auth queries them through its Prisma adapter, bound here
 * to l2scope's client, so every Prisma call stays in this package; `@l2scope/auth` only gets the
 * adapter.
 */
import { prismaAdapter } from '@better-auth/prisma-adapter';
import type { Db } from '../client';
import type { DbProvider } from '../config';

/** The Better Auth database adapter factory (`betterAuth({ database })`) over `db`. */
export type AuthDatabase = ReturnType<typeof prismaAdapter>;

/**
 * Better Auth's Prisma adapter on `db` (a client from `openDb`), for `provider` (the provider of
 * the URL `db` was opened on: `dbProvider(url)`). Model names are Better Auth's defaults (`user`,
 * `session`, `account`, `verification`), the delegates of prisma/models.prisma's `User`, `Session`,
 * `Account`, `Verification`.
 */
export function authDatabase(db: Db, provider: DbProvider): AuthDatabase {
  return prismaAdapter(db, { provider });
}
