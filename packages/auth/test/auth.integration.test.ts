/**
 * Authentication on a real database (SQLite, or PostgreSQL with DATABASE_URL=postgres://...):
 * a user made as the CLI makes them signs in through Better Auth's HTTP handler, the session
 * cookie is HttpOnly and SameSite=Strict and names the user and role, wrong passwords are
 * refused, sign-in is rate-limited, and anonymous read is off unless enabled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, closeDb, openDb } from '@l2scope/db';
import { migrate } from '@l2scope/db/migrate';
import { type TestDatabase, createTestDatabase } from '@l2scope/testkit';
import { type L2scopeAuth, addUser, openAuth } from '../src';

const SECRET = 'test-secret-test-secret-test-secret-0123';
const ORIGIN = 'http://l2scope.test';
let tdb: TestDatabase;
let db: Db;
let auth: L2scopeAuth;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await migrate(tdb.url);
  db = await openDb(tdb.url);
  auth = openAuth(db, tdb.url, { L2SCOPE_AUTH_SECRET: SECRET, L2SCOPE_BASE_URL: ORIGIN, L2SCOPE_LOGIN_MAX: '4' });
  await addUser(auth, 'alice', 'operator', 'correct horse battery');
});
afterAll(async () => {
  if (db) await closeDb(db);
  await tdb?.drop();
});

function signIn(body: object, ip: string): Promise<Response> {
  return auth.handler(
    new Request(`${ORIGIN}/api/auth/sign-in/username`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN, 'x-forwarded-for': ip },
      body: JSON.stringify(body),
    }),
  );
}

describe('sign-in', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie that reads as the user and role', async () => {
    const res = await signIn({ username: 'alice', password: 'correct horse battery' }, '192.0.2.1');
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/l2scope\.session_token=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toMatch(/Secure/i); // http base URL
    const cookie = setCookie.split(';')[0]!;
    const user = await auth.sessionFromHeaders({ cookie });
    expect(user).toMatchObject({ username: 'alice', role: 'operator', anonymous: false });
    expect(await auth.sessionFromHeaders({})).toBeNull();
    expect(await auth.sessionFromHeaders({ cookie: 'l2scope.session_token=forged.sig' })).toBeNull();
  });

  it('refuses a wrong password, then rate-limits the client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await signIn({ username: 'alice', password: 'wrong password!' }, '192.0.2.2')).status);
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses.slice(4)).toEqual([429, 429]);
    // another client is not affected
    expect((await signIn({ username: 'alice', password: 'correct horse battery' }, '192.0.2.3')).status).toBe(200);
  });

  it('refuses a sign-in from a foreign origin', async () => {
    const res = await auth.handler(
      new Request(`${ORIGIN}/api/auth/sign-in/username`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://evil.test', 'x-forwarded-for': '192.0.2.4' },
        body: JSON.stringify({ username: 'alice', password: 'correct horse battery' }),
      }),
    );
    expect(res.status).toBe(403);
  });

  it('has no sign-up', async () => {
    const res = await auth.handler(
      new Request(`${ORIGIN}/api/auth/sign-up/email`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: ORIGIN, 'x-forwarded-for': '192.0.2.5' },
        body: JSON.stringify({ email: 'mallory@example.net', password: 'mallory-password', name: 'mallory' }),
      }),
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
  });
});

describe('origins and anonymous read', () => {
  it('trusts only the configured origin', () => {
    expect(auth.isTrustedOrigin({ origin: ORIGIN })).toBe(true);
    expect(auth.isTrustedOrigin({ origin: 'http://evil.test' })).toBe(false);
    expect(auth.isTrustedOrigin({})).toBe(false);
  });

  it('without a configured origin, trusts the request host only', () => {
    const local = openAuth(db, tdb.url, { L2SCOPE_AUTH_SECRET: SECRET });
    expect(local.isTrustedOrigin({ host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000' })).toBe(true);
    expect(local.isTrustedOrigin({ host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3999' })).toBe(false);
  });

  it('reads as an anonymous viewer only with L2SCOPE_ANONYMOUS_READ=1', async () => {
    expect(await auth.sessionFromHeaders({})).toBeNull();
    const anon = openAuth(db, tdb.url, { L2SCOPE_AUTH_SECRET: SECRET, L2SCOPE_ANONYMOUS_READ: '1' });
    expect(await anon.sessionFromHeaders({})).toMatchObject({ role: 'viewer', anonymous: true });
  });
});
