/**
 * The live push on the wire (docs/operations.md#live-push), a real live server and real WebSocket
 * clients (`ws`, as socket.io-client uses in Node), no broker:
 *
 * - permessage-deflate: the real lab3 model (fixtures/lab3.jsonl folded into a ClusterModel) sent
 *   as one `model` window costs fewer bytes on the TCP connection with the extension than without;
 * - back-pressure: a client that stops reading is moved out of the broadcasts once its buffers pass
 *   the bound, while a reading client gets every window; when it reads again it gets `live
 *   {behind:true}`, then a coalesced state (`model` and `messages` with `skipped`, `live
 *   {behind:false}`) instead of the windows it missed.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ClusterModel, type ModelChange, type ModelSnapshot, type TapStats, decodeMessage, parseCapture } from '@l2scope/domain';
import { waitFor } from '@l2scope/testkit';
import { LiveServer, bearerAuthorize } from '../src';

const TOKEN = 'test-token-backpressure-0123';
const WEB = 'http://127.0.0.1:4557';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let server: LiveServer | null = null;
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await server?.close();
  server = null;
});

/** The real lab3 model: the capture's messages decoded and folded, as the worker does. */
function lab3Model(): ModelSnapshot {
  const { records } = parseCapture(readFileSync(path.join(root, 'fixtures/lab3.jsonl'), 'utf8'));
  const model = ClusterModel.fromSnapshot({ seq: 0, hosts: [], networks: [], vteps: [] });
  records.forEach((r, i) => {
    const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
    if (d.ok) model.apply(d.message, r.ts.getTime(), i + 1);
  });
  return model.snapshot();
}

const statsOf = (seq: number, pad = ''): TapStats => ({
  mode: 'amqp',
  connected: true,
  received: seq,
  undecodable: 0,
  dropped: 0,
  expired: 0,
  queueDepth: 0,
  missingExchanges: pad ? [pad] : [],
  deniedExchanges: [],
  gaps: [],
  seq,
});

interface RawClient {
  ws: WebSocket;
  tcp: () => net.Socket;
  /** socket.io events received, in order: [name, payload]. */
  events: Array<[string, unknown]>;
}

/**
 * A raw engine.io v4 / socket.io v5 client over `ws`: opens the WebSocket transport directly,
 * joins the default namespace, and decodes event packets (`42[...]`).
 */
async function rawClient(url: string, deflate: boolean): Promise<RawClient> {
  let tcp: net.Socket | null = null;
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, {
    headers: { origin: WEB, authorization: `Bearer ${TOKEN}` },
    perMessageDeflate: deflate,
    createConnection: ((opts: net.NetConnectOpts) => (tcp = net.connect(opts))) as typeof net.createConnection,
  });
  clients.push(ws);
  const events: Array<[string, unknown]> = [];
  ws.on('message', (data) => {
    const text = String(data);
    if (text.startsWith('0')) ws.send('40');
    else if (text === '2') ws.send('3');
    else if (text.startsWith('42')) {
      const [name, payload] = JSON.parse(text.slice(2)) as [string, unknown];
      events.push([name, payload]);
    }
  });
  await waitFor('the client greeted with stats', () => events.some(([n]) => n === 'stats'));
  return { ws, tcp: () => tcp!, events };
}

describe('permessage-deflate', () => {
  it('a window carrying the real lab3 model costs fewer bytes on the wire compressed', async () => {
    const snapshot = lab3Model();
    expect(snapshot.hosts.length).toBeGreaterThanOrEqual(3);
    const changes: ModelChange[] = [
      ...snapshot.hosts.map((host) => ({ type: 'host' as const, host })),
      ...snapshot.networks.map((network) => ({ type: 'network' as const, network })),
      ...snapshot.vteps.map((entries) => ({ type: 'vtep' as const, entries })),
    ];
    server = new LiveServer({ port: 0, origins: [WEB], authorize: bearerAuthorize(TOKEN), getModel: () => snapshot, getStats: () => statsOf(1) });
    const url = `http://127.0.0.1:${await server.start()}`;
    const plain = await rawClient(url, false);
    const deflated = await rawClient(url, true);
    expect(deflated.ws.extensions).toContain('permessage-deflate');
    expect(plain.ws.extensions).toBe('');
    const before = [plain.tcp().bytesRead, deflated.tcp().bytesRead];
    server.publish([], changes, snapshot.seq);
    const got = (c: RawClient) => c.events.some(([n]) => n === 'model');
    await waitFor('both clients got the window', () => got(plain) && got(deflated));
    const plainBytes = plain.tcp().bytesRead - before[0]!;
    const deflatedBytes = deflated.tcp().bytesRead - before[1]!;
    const json = JSON.stringify(['model', { seq: snapshot.seq, changes, skipped: 0 }]).length;
    console.info(`permessage-deflate: the lab3 model window (${json} bytes of JSON) took ${plainBytes} bytes plain, ${deflatedBytes} compressed`);
    expect(plainBytes).toBeGreaterThanOrEqual(json);
    expect(deflatedBytes).toBeLessThan(plainBytes / 2);
  });
});

describe('back-pressure', () => {
  it('a client that does not read stops getting windows past the bound, then gets a coalesced state', async () => {
    let n = 0;
    // incompressible stats (~256 KiB of random hex), so the bound is reached in bytes, not hidden by deflate
    const pad = randomBytes(128 * 1024).toString('hex');
    server = new LiveServer({
      port: 0,
      origins: [WEB],
      authorize: bearerAuthorize(TOKEN),
      getModel: () => ({ seq: 0, hosts: [], networks: [], vteps: [] }),
      getStats: () => statsOf(n, pad),
      backpressure: { maxBufferedBytes: 256 * 1024, checkEveryMs: 20 },
    });
    const url = `http://127.0.0.1:${await server.start()}`;
    const fast = await rawClient(url, true);
    const slow = await rawClient(url, true);
    slow.ws.pause(); // stops reading: the kernel's buffers fill, then ws's

    const statsSeqs = (c: RawClient) => c.events.filter(([e]) => e === 'stats').map(([, s]) => (s as TapStats).seq);
    /** One window: stats seq n, waited for on the reading client. */
    const window = async () => {
      n++;
      server!.statsChanged();
      await waitFor(`window ${n} on the reading client`, () => statsSeqs(fast).includes(n));
    };
    while (server.behindCount === 0 && n < 1_000) await window();
    expect(server.behindCount).toBe(1);
    const behindAt = n;
    for (let i = 0; i < 30; i++) await window(); // ~7.5 MiB more, none of it for the slow client
    expect(statsSeqs(fast).filter((s) => s > 0)).toEqual(Array.from({ length: n }, (_, i) => i + 1));

    slow.ws.resume();
    await waitFor('the slow client caught up', () => slow.events.some(([e, s]) => e === 'live' && (s as { behind: boolean }).behind === false), 30_000);
    const names = slow.events.map(([e]) => e);
    const behind = names.indexOf('live');
    expect(slow.events[behind]![1]).toEqual({ behind: true });
    // after the `behind` notice: nothing of the 30 windows, only the coalesced state
    expect(slow.events.slice(behind + 1).map(([e, p]) => (e === 'model' || e === 'messages' ? [e, (p as { skipped: number }).skipped] : [e]))).toEqual([
      ['model', 1],
      ['messages', 1],
      ['stats'],
      ['live'],
    ]);
    const missed = n - statsSeqs(slow).filter((s) => s > 0 && s < n).length;
    console.info(`back-pressure: behind after window ${behindAt}; of ${n} windows the slow client got ${n - missed}, then the coalesced state`);
    expect(statsSeqs(slow).at(-1)).toBe(n); // the coalesced stats are the current ones
    expect(missed).toBeGreaterThanOrEqual(30);
    expect(server.behindCount).toBe(0);
  }, 600_000); // a bound, not a pace: every window is waited for, and a busy machine deflates slowly
});
