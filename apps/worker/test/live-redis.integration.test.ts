/**
 * Live updates across instances (docs/operations.md#redis), on the machine's real Redis
 * (127.0.0.1:6379, or L2SCOPE_TEST_REDIS_URL) with a key prefix unique to the run: two live servers
 * A and B share the socket.io Redis adapter; a socket.io client connected to B (as a browser is)
 * receives a `stats` event that only A emits, and a client of a third server on another prefix
 * proves the prefix isolates deployments (it still gets only its own server's events).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import type { LiveSubscribed, ModelSnapshot, TapStats } from '@l2scope/domain';
import { waitFor } from '@l2scope/testkit';
import { LiveServer, bearerAuthorize } from '../src';

const REDIS = process.env.L2SCOPE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = 'test-token-redis-0123456789';
const WEB = 'http://127.0.0.1:4556';
const model: ModelSnapshot = { seq: 0, hosts: [], networks: [], vteps: [] };
const statsOf = (seq: number): TapStats => ({
  mode: 'amqp',
  connected: true,
  received: seq,
  undecodable: 0,
  dropped: 0,
  expired: 0,
  queueDepth: 0,
  missingExchanges: [],
  deniedExchanges: [],
  gaps: [],
  seq,
});

const servers: LiveServer[] = [];
const sockets: Socket[] = [];

async function server(key: string, seq: number): Promise<{ live: LiveServer; url: string }> {
  const live = new LiveServer({
    port: 0,
    origins: [WEB],
    authorize: bearerAuthorize(TOKEN),
    getModel: () => model,
    getStats: () => statsOf(seq),
    redis: { url: REDIS, key },
  });
  servers.push(live);
  return { live, url: `http://127.0.0.1:${await live.start()}` };
}

/** A browser-like client; records every `stats` seq it receives (and its `subscribed` in `subscribed`). */
async function client(url: string, subscribed: LiveSubscribed[] = []): Promise<number[]> {
  const seen: number[] = [];
  const socket = io(url, { transports: ['websocket'], extraHeaders: { origin: WEB, authorization: `Bearer ${TOKEN}` }, reconnection: false });
  sockets.push(socket);
  socket.on('stats', (s: TapStats) => seen.push(s.seq));
  socket.on('subscribed', (s: LiveSubscribed) => subscribed.push(s));
  await waitFor('the client connected and greeted', () => seen.length > 0 && subscribed.length > 0);
  return seen;
}

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  for (const s of servers) await s.close();
});

describe('socket.io Redis adapter', () => {
  it("a client of server B receives server A's update; another key prefix does not", async () => {
    const key = `l2scope.test.${randomBytes(4).toString('hex')}`;
    const a = await server(key, 42);
    const b = await server(key, 7);
    const other = await server(`${key}.other`, 9);
    const subscribed: LiveSubscribed[] = [];
    const onB = await client(b.url, subscribed);
    const onOther = await client(other.url);
    expect(onB).toEqual([7]); // B's own greeting
    // A's model batches reach B's sockets too: B cannot say where they start (browsers fetch the model connected)
    expect(subscribed).toEqual([{ modelSeq: null, modelSkippedAt: null }]);

    a.live.statsChanged(); // only A emits seq 42
    await waitFor("A's update on B's client", () => onB.includes(42));
    other.live.statsChanged(); // a marker on the other prefix, once Redis has delivered A's event
    await waitFor("the other prefix's own update", () => onOther.filter((s) => s === 9).length === 2);
    expect(onOther).toEqual([9, 9]);
    expect(onB).toEqual([7, 42]);
  });
});
