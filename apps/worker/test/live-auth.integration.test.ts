/**
 * The live socket needs a session: the worker's socket.io handshake, by Engine.IO polling or by a
 * direct websocket upgrade, is refused (401) without the dashboard's session cookie, refused (403)
 * from a foreign Origin, and
 * accepted with the cookie of a user who signed in through Better Auth, on a real database.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, openAuth } from '@l2scope/auth';
import { type TestDatabase } from '@l2scope/testkit';
import { type WorkerHandle, startWorker } from '../src';
import { migratedTestDatabase } from './helpers/worker';

const ORIGIN = 'http://l2scope.test';
let db: TestDatabase;
let worker: WorkerHandle;
let cookie: string;

beforeAll(async () => {
  // the worker reads the secret from the environment, as in production
  process.env.L2SCOPE_AUTH_SECRET = 'worker-test-secret-worker-test-secret-01';
  db = await migratedTestDatabase();
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

/** A websocket upgrade of socket.io's path; resolves with the HTTP status (101 when accepted). */
const upgrade = (headers: Record<string, string> = {}) =>
  new Promise<number>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: worker.port,
      path: '/socket.io/?EIO=4&transport=websocket',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-version': '13',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });

describe('socket.io handshake', () => {
  it('is refused without a session', async () => {
    expect((await handshake()).status).toBe(401);
    expect((await handshake({ cookie: 'l2scope.session_token=forged.signature' })).status).toBe(401);
    // a direct websocket upgrade, as a browser with WebSocket starts it
    expect(await upgrade()).toBe(401);
    expect(await upgrade({ cookie: 'l2scope.session_token=forged.signature' })).toBe(401);
  });

  it('is refused from a foreign Origin even with a session', async () => {
    expect((await handshake({ cookie, origin: 'http://evil.example' })).status).toBe(403);
    expect(await upgrade({ cookie, origin: 'http://evil.example' })).toBe(403);
  });

  it('is accepted with a signed-in user’s cookie', async () => {
    const res = await handshake({ cookie });
    expect(res.status).toBe(200);
    // Engine.IO's open packet: "0{"sid":...}"
    expect(await res.text()).toMatch(/^0\{"sid":/);
    expect(await upgrade({ cookie })).toBe(101);
  });
});
