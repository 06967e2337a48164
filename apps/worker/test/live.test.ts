/**
 * The live server's access rules on a real HTTP server and real socket.io clients: `/healthz` open,
 * `/api/*` only with the token (401) and never for a foreign browser origin (403), no CORS wildcard,
 * socket.io handshakes refused from a foreign Origin or without authorization, accepted from the
 * web origin with it; the `authorize` hook may name a principal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { type LiveSubscribed, type ModelBatch, type ModelChange, type ModelSnapshot, type TapStats } from '@l2scope/domain';
import { LiveServer, type LiveAuthorize, bearerAuthorize, parseOrigins } from '../src';

const TOKEN = 'test-token-0123456789abcdef';
const WEB = 'http://127.0.0.1:4555';
const FOREIGN = 'https://evil.example.net';

const stats: TapStats = {
  mode: 'replay',
  connected: true,
  received: 3,
  undecodable: 0,
  dropped: 0,
  expired: 0,
  queueDepth: null,
  missingExchanges: [],
  deniedExchanges: [],
  gaps: [],
  seq: 3,
};
const model: ModelSnapshot = { seq: 3, hosts: [], networks: [], vteps: [] };

let server: LiveServer | null = null;
const sockets: Socket[] = [];

async function start(authorize: LiveAuthorize = bearerAuthorize(TOKEN)): Promise<string> {
  server = new LiveServer({ port: 0, origins: [WEB, 'http://localhost:4555'], authorize, getModel: () => model, getStats: () => stats });
  const port = await server.start();
  return `http://127.0.0.1:${port}`;
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await server?.close();
  server = null;
});

/** Connect a socket.io client; resolves with the first `stats` event, or rejects with the connect error. */
function connect(base: string, headers: Record<string, string>, transport: 'websocket' | 'polling'): Promise<TapStats> {
  const socket = io(base, { path: '/socket.io', transports: [transport], extraHeaders: headers, reconnection: false, timeout: 5_000 });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('stats', (s: TapStats) => resolve(s));
    socket.once('connect_error', reject);
  });
}

describe('live server HTTP', () => {
  it('/healthz answers without a token', async () => {
    const base = await start();
    const r = await fetch(`${base}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true, mode: 'replay', seq: 3, role: 'active' });
  });

  it('/api/* needs the bearer token: 401 without or with a wrong one, 200 with it, no CORS wildcard', async () => {
    const base = await start();
    for (const path of ['/api/model', '/api/stats', '/api/nodes']) {
      const none = await fetch(`${base}${path}`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await fetch(`${base}${path}`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${base}${path}`, { headers: { authorization: TOKEN } })).status).toBe(401);
      const ok = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}`, origin: WEB } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBeNull();
    }
    const s = await fetch(`${base}/api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await s.json()) as TapStats).received).toBe(3);
  });

  it('/api/* refuses a foreign browser origin with 403, even with the token', async () => {
    const base = await start();
    const r = await fetch(`${base}/api/model`, { headers: { authorization: `Bearer ${TOKEN}`, origin: FOREIGN } });
    expect(r.status).toBe(403);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('without a token configured, /api/* is closed to everyone', async () => {
    const base = await start(bearerAuthorize(undefined));
    expect((await fetch(`${base}/api/stats`, { headers: { authorization: 'Bearer ' } })).status).toBe(401);
    expect((await fetch(`${base}/api/stats`, { headers: { authorization: 'Bearer undefined' } })).status).toBe(401);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('listens on loopback by default', async () => {
    server = new LiveServer({ port: 0, origins: [WEB], authorize: bearerAuthorize(TOKEN), getModel: () => model, getStats: () => stats });
    await server.start();
    expect((server as unknown as { http: import('node:http').Server }).http.address()).toMatchObject({ address: '127.0.0.1' });
  });
});

describe('live server socket.io', () => {
  it('a polling handshake from a foreign Origin gets 403, even with the token', async () => {
    const base = await start();
    const r = await fetch(`${base}/socket.io/?EIO=4&transport=polling`, { headers: { origin: FOREIGN, authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(403);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a polling handshake from the web origin without the token gets 401; with it, 200', async () => {
    const base = await start();
    expect((await fetch(`${base}/socket.io/?EIO=4&transport=polling`, { headers: { origin: WEB } })).status).toBe(401);
    const ok = await fetch(`${base}/socket.io/?EIO=4&transport=polling`, { headers: { origin: WEB, authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(WEB);
  });

  it('a websocket client from a foreign Origin is refused', async () => {
    const base = await start();
    await expect(connect(base, { origin: FOREIGN, authorization: `Bearer ${TOKEN}` }, 'websocket')).rejects.toThrow();
  });

  it('a websocket client from the web origin without authorization is refused', async () => {
    const base = await start();
    await expect(connect(base, { origin: WEB }, 'websocket')).rejects.toThrow();
  });

  it('a client from the web origin with the token connects and gets stats (websocket and polling)', async () => {
    const base = await start();
    expect((await connect(base, { origin: WEB, authorization: `Bearer ${TOKEN}` }, 'websocket')).seq).toBe(3);
    expect((await connect(base, { origin: 'http://localhost:4555', authorization: `Bearer ${TOKEN}` }, 'polling')).seq).toBe(3);
  });

  it('the authorize hook decides: a principal is accepted, a rejection refuses', async () => {
    const seen: string[] = [];
    const base = await start(async (req) => {
      seen.push(req.url ?? '');
      if (req.headers.cookie === 'session=good') return { user: 'alice', role: 'viewer' };
      if (req.headers.cookie === 'session=boom') throw new Error('session store down');
      return false;
    });
    expect((await connect(base, { origin: WEB, cookie: 'session=good' }, 'websocket')).seq).toBe(3);
    await expect(connect(base, { origin: WEB, cookie: 'session=boom' }, 'websocket')).rejects.toThrow();
    expect((await fetch(`${base}/api/stats`, { headers: { cookie: 'session=boom' } })).status).toBe(401);
    expect((await fetch(`${base}/api/stats`, { headers: { cookie: 'session=good' } })).status).toBe(200);
    expect(seen.some((u) => u.startsWith('/socket.io'))).toBe(true);
  });
});

describe('live server subscribed', () => {
  /** Connect with the token; resolves with the `subscribed` event and the socket. */
  function subscribe(base: string): Promise<{ sub: LiveSubscribed; socket: Socket }> {
    const socket = io(base, {
      path: '/socket.io',
      transports: ['websocket'],
      extraHeaders: { origin: WEB, authorization: `Bearer ${TOKEN}` },
      reconnection: false,
    });
    sockets.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('subscribed', (sub: LiveSubscribed) => resolve({ sub, socket }));
      socket.once('connect_error', reject);
    });
  }
  const removal = (id: string): ModelChange => ({ type: 'host_removed', id });

  it('tells each socket where its model batches start: changes after modelSeq reach it, a skip moves modelSkippedAt', async () => {
    const base = await start();
    const first = await subscribe(base);
    expect(first.sub).toEqual({ modelSeq: 0, modelSkippedAt: null });
    server!.publish([], [removal('a')], 7);
    const batch = new Promise<ModelBatch>((resolve) => first.socket.once('model', resolve));
    expect((await batch).seq).toBe(7);
    const second = await subscribe(base);
    expect(second.sub).toEqual({ modelSeq: 7, modelSkippedAt: null });
    // a change published after the connection reaches the socket with a seq above modelSeq
    const next = new Promise<ModelBatch>((resolve) => second.socket.once('model', resolve));
    server!.publish([], [removal('b')], 9);
    expect(await next).toEqual({ seq: 9, changes: [removal('b')], skipped: 0 });
    server!.modelSkipped(2); // hosts expired: no message id orders it
    expect((await subscribe(base)).sub).toEqual({ modelSeq: 9, modelSkippedAt: 9 });
  });

  it('a skip before anything was published (a restarted worker) is at the pipeline seq, not 0', async () => {
    const base = await start();
    server!.modelSkipped(1);
    // the stats' seq (3): the database's last message, which a snapshot read before the expiry also has
    expect((await subscribe(base)).sub).toEqual({ modelSeq: 0, modelSkippedAt: 3 });
  });
});

describe('origin lists', () => {
  it('normalises origins and refuses paths and other schemes', () => {
    expect(parseOrigins(' https://L2Scope.example.net:443 , http://127.0.0.1:3000')).toEqual(['https://l2scope.example.net', 'http://127.0.0.1:3000']);
    expect(() => parseOrigins('https://l2scope.example.net/app')).toThrow(/not an origin/);
    expect(() => parseOrigins('ftp://x')).toThrow(/not an origin/);
    expect(() => parseOrigins('nonsense')).toThrow(/not an origin/);
  });
});
