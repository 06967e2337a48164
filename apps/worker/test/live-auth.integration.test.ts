/**
 * The live socket needs a session: the worker's socket.io handshake (Engine.IO polling, as a
 * browser without WebSocket starts it) is refused without the dashboard's session cookie and
 * accepted with the cookie of a user who signed in through Better Auth, on a real database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, openAuth } from '@l2scope/auth';
import { type TestDatabase, createTestDatabase } from '@l2scope/testkit';
import { type WorkerHandle, startWorker } from '../src';

const ORIGIN = 'http://l2scope.test';
let db: TestDatabase;
let worker: WorkerHandle;
let cookie: string;

beforeAll(async () => {
  // the worker reads the secret from the environment, as in production
  process.env.L2SCOPE_AUTH_SECRET = 'worker-test-secret-worker-test-secret-01';
  db = await createTestDatabase();
  worker = await startWorker({ databaseUrl: db.url, port: 0, host: '127.0.0.1', log: () => {} });
  const auth = openAuth(worker.db, db.url, { ...process.env, L2SCOPE_BASE_URL: ORIGIN });
  await addUser(auth, 'vera', 'viewer', 'vera-password');
  const res = await auth.handler(
    new Request(`${ORIGIN}/api/auth/sign-in/username`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      body: JSON.stringify({ username: 'vera', password: 'vera-password' }),
    }),
  );
  expect(res.status).toBe(200);
  cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
});
afterAll(async () => {
  await worker?.stop();
  await db?.drop();
  delete process.env.L2SCOPE_AUTH_SECRET;
});

const handshake = (headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${worker.port}/socket.io/?EIO=4&transport=polling`, { headers });

describe('socket.io handshake', () => {
  it('is refused without a session', async () => {
    expect((await handshake()).status).toBe(403);
    expect((await handshake({ cookie: 'l2scope.session_token=forged.signature' })).status).toBe(403);
  });

  it('is accepted with a signed-in user’s cookie', async () => {
    const res = await handshake({ cookie });
    expect(res.status).toBe(200);
    // Engine.IO's open packet: "0{"sid":...}"
    expect(await res.text()).toMatch(/^0\{"sid":/);
  });
});
