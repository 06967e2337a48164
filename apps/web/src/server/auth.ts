/**
 * The web server's authentication (docs/auth.md): one `L2scopeAuth` per process on the process's
 * database client, and the session of the request being rendered.
 */
import { headers } from 'next/headers';
import { type L2scopeAuth, type SessionUser, openAuth } from '@l2scope/auth';
import { getDb } from './db';

const holder = globalThis as typeof globalThis & { __l2scopeAuth?: Promise<L2scopeAuth> };

/** The process-wide authentication (opened with the database on first use; a failure is retried on the next call). */
export function getAuth(): Promise<L2scopeAuth> {
  holder.__l2scopeAuth ??= getDb()
    .then((db) => openAuth(db))
    .catch((err: unknown) => {
      holder.__l2scopeAuth = undefined;
      throw err;
    });
  return holder.__l2scopeAuth;
}

/** The user of the request being rendered (server components, route handlers), or null. */
export async function currentUser(): Promise<SessionUser | null> {
  return (await getAuth()).sessionFromHeaders(await headers());
}

/**
 * Where to go after signing in: `next` when it is a path of this site (`/…`, not `//…` or a
 * scheme), else `/`. Keeps the login page from redirecting off-site.
 */
export function safeNext(next: string | string[] | null | undefined): string {
  const n = Array.isArray(next) ? next[0] : next;
  return n && /^\/(?![/\\])/.test(n) ? n : '/';
}
