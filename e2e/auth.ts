/**
 * Signing the Playwright browser in (docs/auth.md). Every spec starts its own stack on a fresh
 * database, so the global setup signs a user in once, on a database of its own, through Better
 * Auth (`l2scope user add`, then the real sign-in route handler), and saves the session cookie as
 * Playwright's `storageState`; `startStack` then gives each fresh database the same user and a
 * session with the same token. All stacks share one secret (set here, inherited by the test
 * workers and the stacks they start), so the signed cookie is valid on every stack.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { addUser, connectAuth } from '@l2scope/auth';
import { createTestDatabase } from '@l2scope/testkit';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The signed-in browser state every spec starts with (playwright.config.ts `use.storageState`). */
export const STORAGE_STATE = path.join(path.dirname(fileURLToPath(import.meta.url)), '.auth/state.json');

/** The e2e user: name, role (admin: the inspector's export needs operator or above). */
export const E2E_USER = { name: 'e2e', role: 'admin' } as const;

/** What the global setup hands the workers (environment variables, set before they start). */
export interface E2eLogin {
  password: string;
  /** The session token inside the signed cookie: every stack's database gets a session with it. */
  token: string;
}

/** The login of this run, from the environment the global setup set; throws outside a run. */
export function e2eLogin(): E2eLogin {
  const raw = process.env.L2SCOPE_E2E_LOGIN;
  if (!raw) throw new Error('L2SCOPE_E2E_LOGIN is not set: run through playwright (global-setup.ts)');
  return JSON.parse(raw) as E2eLogin;
}

/**
 * The global setup's work: choose the run's secret and password, create the e2e user on a
 * scratch database with the CLI (which migrates it), sign it in through Better Auth's handler,
 * write {@link STORAGE_STATE}.
 */
export async function signInOnce(): Promise<void> {
  process.env.L2SCOPE_AUTH_SECRET ??= randomBytes(32).toString('base64url');
  const password = randomBytes(12).toString('base64url');
  const origin = 'http://127.0.0.1';
  const tdb = await createTestDatabase();
  try {
    await execa(
      path.join(root, 'node_modules/.bin/tsx'),
      [path.join(root, 'apps/cli/src/main.ts'), 'user', 'add', E2E_USER.name, '--role', E2E_USER.role, '--password-stdin'],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: tdb.url },
        input: `${password}\n`,
      },
    );
    const { auth, close } = await connectAuth({ url: tdb.url, env: { ...process.env, L2SCOPE_BASE_URL: origin } });
    try {
      const res = await auth.handler(
        new Request(`${origin}/api/auth/sign-in/username`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin },
          body: JSON.stringify({ username: E2E_USER.name, password }),
        }),
      );
      if (res.status !== 200) throw new Error(`e2e sign-in failed: HTTP ${res.status} ${await res.text()}`);
      const cookie = /^([^=]+)=([^;]+)/.exec(res.headers.get('set-cookie') ?? '');
      if (!cookie) throw new Error('e2e sign-in: no session cookie');
      const [, name, value] = cookie as unknown as [string, string, string];
      const token = decodeURIComponent(value).split('.')[0]!;
      mkdirSync(path.dirname(STORAGE_STATE), { recursive: true });
      const expires = Math.floor(Date.now() / 1000) + 24 * 3600;
      writeFileSync(
        STORAGE_STATE,
        JSON.stringify({ cookies: [{ name, value, domain: '127.0.0.1', path: '/', expires, httpOnly: true, secure: false, sameSite: 'Strict' }], origins: [] }),
      );
      process.env.L2SCOPE_E2E_LOGIN = JSON.stringify({ password, token } satisfies E2eLogin);
    } finally {
      await close();
    }
  } finally {
    await tdb.drop();
  }
}

/**
 * Give a stack's (migrated) database the e2e user and a session carrying the run's token, so the
 * saved cookie signs the browser in there too.
 */
export async function seedLogin(url: string): Promise<void> {
  const { password, token } = e2eLogin();
  const { auth, close } = await connectAuth({ url });
  try {
    const { user } = await addUser(auth, E2E_USER.name, E2E_USER.role, password);
    const ctx = await auth.betterAuth.$context;
    await ctx.internalAdapter.createSession(user.id, false, { token }, true);
  } finally {
    await close();
  }
}
