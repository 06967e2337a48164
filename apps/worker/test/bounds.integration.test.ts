/**
 * Bounds of the worker on the real local RabbitMQ (a vhost per suite) and a real database (SQLite,
 * or PostgreSQL when DATABASE_URL points at one): background retention keeps the newest
 * `--retain-messages`; a host silent past `--host-expiry` whose VTEP nobody is told about leaves
 * the model and the hosts list (its row stays) and browsers are told to refetch the model, while a
 * host l2pop still tells the others about stays; the live push caps model records per window.
 */
import amqp from 'amqplib';
import { type Socket, io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveServerEvents, type ModelBatch, L2POP_FANOUT_EXCHANGE } from '@l2scope/domain';
import { listHosts, readModelSnapshot } from '@l2scope/db';
import { type TestVhost, createWorkerToken, waitFor, workerAuthHeaders } from '@l2scope/testkit';
import { LiveServer, type WorkerHandle, exchangeFor, startWorker } from '../src';
import { type WorkerEnv, createWorkerEnv } from './helpers/worker';

const quiet = () => {};
const token = createWorkerToken();

function oslo(method: string, args: object, uniqueId: string): Buffer {
  return Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method, args, _unique_id: uniqueId, version: '1.0' }) }));
}
const report = (host: string, vtep: string, uniqueId: string) =>
  oslo(
    'report_state',
    {
      agent_state: {
        agent_state: {
          binary: 'neutron-linuxbridge-agent',
          host,
          agent_type: 'Linux bridge agent',
          configurations: { tunneling_ip: vtep, l2_population: true },
        },
      },
    },
    uniqueId,
  );

async function publish(url: string, msgs: { exchange: string; routingKey: string; body: Buffer }[]): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  for (const name of new Set(msgs.map((m) => m.exchange))) {
    const spec = exchangeFor(name);
    await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  }
  for (const m of msgs) ch.publish(m.exchange, m.routingKey, m.body, { contentType: 'application/json' });
  await ch.waitForConfirms();
  await conn.close();
}

let env: WorkerEnv;
let vhost: TestVhost;
let worker: WorkerHandle;

beforeAll(async () => {
  env = await createWorkerEnv('l2scope-bounds', ['neutron', L2POP_FANOUT_EXCHANGE]);
  vhost = env.vhost;
  worker = await startWorker({
    token,
    amqpUrl: env.tapUrl,
    databaseUrl: env.db.url,
    port: 0,
    host: '127.0.0.1',
    nodeAmqpUrl: false,
    retainMessages: 10,
    hostExpiryMs: 1, // every host silent for 1 ms is a candidate: the VTEP rule decides
    retentionEveryMs: 3_600_000, // runs are triggered by the test
    log: quiet,
  });
});

afterAll(async () => {
  await worker?.stop();
  await env?.cleanup();
});

describe('retention and host expiry', () => {
  it('keeps the newest --retain-messages messages', async () => {
    // told-host's VTEP carries a flood entry: l2pop tells the others about it, so it never expires
    await publish(vhost.adminUrl, [
      ...Array.from({ length: 30 }, (_, i) => ({ exchange: 'neutron', routingKey: 'q-reports-plugin', body: report('told-host', '10.0.30.1', `r-${i}`) })),
      {
        exchange: L2POP_FANOUT_EXCHANGE,
        routingKey: '',
        body: oslo(
          'add_fdb_entries',
          { fdb_entries: { 'net-bounds': { segment_id: 1234, network_type: 'vxlan', ports: { '10.0.30.1': [['00:00:00:00:00:00', '0.0.0.0']] } } } },
          'x-2',
        ),
      },
    ]);
    await waitFor('31 messages stored', async () => (await worker.db.message.count()) >= 31);
    await worker.retention.run();
    const ids = (await worker.db.message.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((r) => Number(r.id));
    expect(ids.length).toBe(10);
    expect(ids[9]).toBe(worker.pipeline.seq);
  });

  it('expires a silent host nobody is told about, keeps one l2pop still tells the others about, and tells browsers to refetch', async () => {
    const socket: Socket<LiveServerEvents> = io(`http://127.0.0.1:${worker.port}`, { transports: ['websocket'], extraHeaders: workerAuthHeaders(token) });
    const batches: ModelBatch[] = [];
    socket.on('model', (b) => batches.push(b));
    await waitFor('the socket', () => socket.connected);
    await publish(vhost.adminUrl, [{ exchange: 'neutron', routingKey: 'q-reports-plugin', body: report('spoofed-host', '10.0.99.9', 'x-1') }]);
    await waitFor('the spoofed host stored', async () => (await listHosts(worker.db)).some((h) => h.id === 'spoofed-host'));
    expect(worker.pipeline.model.vtepEntries('net-bounds', '10.0.30.1')).toBeDefined();
    await worker.retention.run();
    expect(worker.pipeline.model.hostIds()).toContain('told-host');
    expect(worker.pipeline.model.hostIds()).not.toContain('spoofed-host');
    expect((await listHosts(worker.db)).map((h) => h.id)).toEqual(['told-host']);
    expect((await readModelSnapshot(worker.db)).hosts.map((h) => h.id)).toEqual(['told-host']);
    expect(await worker.db.host.findUnique({ where: { id: 'spoofed-host' } })).toMatchObject({ vtep: '10.0.99.9', expiredAt: expect.any(Date) });
    await waitFor('a model batch telling browsers to refetch', () => batches.some((b) => (b.skipped ?? 0) > 0 && b.changes.length === 0));
    socket.close();
  });
});

describe('live push', () => {
  it('caps model records per window: past the cap the window is skipped and browsers refetch', async () => {
    const live = new LiveServer({
      port: 0,
      host: '127.0.0.1',
      getModel: () => ({ seq: 0, hosts: [], networks: [], vteps: [] }),
      getStats: () => worker.stats(),
      origins: [],
      authorize: async () => true,
      maxChangesPerWindow: 5,
    });
    const port = await live.start();
    const socket: Socket<LiveServerEvents> = io(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
    const batches: ModelBatch[] = [];
    socket.on('model', (b) => batches.push(b));
    await waitFor('the socket', () => socket.connected);
    const host = (i: number) => ({ type: 'host' as const, host: { ...worker.pipeline.model.host('told-host')!, id: `h-${i}` } });
    live.publish([], [host(1), host(2)], 1);
    await waitFor('a small window pushed whole', () => batches.length === 1);
    expect(batches[0]).toMatchObject({ seq: 1, skipped: 0 });
    expect(batches[0]!.changes).toHaveLength(2);
    live.publish(
      [],
      Array.from({ length: 50 }, (_, i) => host(i)),
      2,
    );
    await waitFor('a burst window skipped', () => batches.length === 2);
    expect(batches[1]).toMatchObject({ seq: 2, changes: [] });
    expect(batches[1]!.skipped).toBeGreaterThan(5);
    socket.close();
    await live.close();
  });
});
