/**
 * `l2scope user add|list|passwd|role|del` on a real database (a fresh SQLite file, or PostgreSQL
 * with DATABASE_URL=postgres://...), run as the user runs it; the passwords it sets sign in
 * through Better Auth.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAuth } from '@l2scope/auth';
import { type TestDatabase, createTestDatabase } from '@l2scope/testkit';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const SECRET = 'cli-test-secret-cli-test-secret-01234567';
let tdb: TestDatabase;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function run(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      path.join(root, 'node_modules/.bin/tsx'),
      [path.join(here, '../src/main.ts'), 'user', ...args],
      { cwd: root, env: { ...process.env, DATABASE_URL: tdb.url, L2SCOPE_AUTH_SECRET: SECRET }, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

/** Sign in through Better Auth's HTTP handler: the status code. */
async function signIn(username: string, password: string): Promise<number> {
  const { auth, close } = await connectAuth({ url: tdb.url, env: { L2SCOPE_AUTH_SECRET: SECRET, L2SCOPE_BASE_URL: 'http://cli.test' } });
  try {
    const res = await auth.handler(
      new Request('http://cli.test/api/auth/sign-in/username', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://cli.test' },
        body: JSON.stringify({ username, password }),
      }),
    );
    return res.status;
  } finally {
    await close();
  }
}

async function list(): Promise<{ username: string | null; email: string; role: string; hasPassword: boolean }[]> {
  const r = await run(['list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});

describe('l2scope user', () => {
  it('add: a random password printed once, or one from stdin; the role is kept', async () => {
    const a = await run(['add', 'opal', '--role', 'operator']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(/^added user opal \(operator\)$/m);
    const pw = /^password: (\S+)$/m.exec(a.stdout)?.[1];
    expect(pw).toHaveLength(18);
    expect(await signIn('opal', pw!)).toBe(200);

    const b = await run(['add', 'Vic', '--role', 'viewer', '--password-stdin'], 'vic-secret-pw\n');
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).not.toMatch(/password:/);
    expect(await signIn('vic', 'vic-secret-pw')).toBe(200);

    expect(await list()).toEqual([
      expect.objectContaining({ username: 'opal', role: 'operator', hasPassword: true }),
      expect.objectContaining({ username: 'vic', role: 'viewer', hasPassword: true }),
    ]);
  });

  it('add: refuses a taken name, an unknown role and a short password', async () => {
    const taken = await run(['add', 'opal', '--role', 'viewer']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/user "opal" exists/);
    const badRole = await run(['add', 'root', '--role', 'superuser']);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toMatch(/unknown role "superuser"/);
    const short = await run(['add', 'shorty', '--role', 'viewer', '--password-stdin'], 'abc\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/8 to 256 characters/);
    expect((await list()).map((u) => u.username)).toEqual(['opal', 'vic']);
  });

  it('passwd: the new password signs in, the old one no more', async () => {
    const r = await run(['passwd', 'vic', '--password-stdin'], 'vic-new-password\n');
    expect(r.code, r.stderr).toBe(0);
    expect(await signIn('vic', 'vic-new-password')).toBe(200);
    expect(await signIn('vic', 'vic-secret-pw')).toBe(401);
    const random = await run(['passwd', 'vic']);
    expect(await signIn('vic', /^password: (\S+)$/m.exec(random.stdout)![1]!)).toBe(200);
  });

  it('role: changes the role; refuses an unknown user or role', async () => {
    expect((await run(['role', 'vic', 'admin'])).stdout).toMatch(/vic is now admin/);
    expect((await list()).find((u) => u.username === 'vic')?.role).toBe('admin');
    expect((await run(['role', 'nobody', 'admin'])).stderr).toMatch(/no user "nobody"/);
    expect((await run(['role', 'vic', 'god'])).code).toBe(1);
  });

  it('del: the user is gone and cannot sign in', async () => {
    const r = await run(['del', 'opal']);
    expect(r.code, r.stderr).toBe(0);
    expect((await list()).map((u) => u.username)).toEqual(['vic']);
    expect(await signIn('opal', 'whatever-password')).toBe(401);
    expect((await run(['del', 'opal'])).code).toBe(1);
  });
});
