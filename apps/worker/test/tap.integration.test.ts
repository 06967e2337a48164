/**
 * The worker against the real local RabbitMQ (an isolated vhost per suite) and a real database
 * (SQLite, or PostgreSQL when DATABASE_URL points at one): real captures republished onto
 * Neutron's exchanges are fully received and stored; malformed messages are stored raw and
 * counted while the worker keeps consuming; least privilege, reconnects and drops.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCapture, tapBindings } from '@l2scope/domain';
import { TAP_LEAST_PRIVILEGE, type TestDatabase, type TestVhost, createTestVhost, waitFor } from '@l2scope/testkit';
import { type WorkerHandle, exchangeFor, replayToBroker, startWorker } from '../src';
import { readModelSnapshot } from '@l2scope/db';
import { migratedTestDatabase } from './helpers/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const capture = (name: string) => path.join(root, 'fixtures', `${name}.jsonl`);
const quiet = () => {};

/** Does a binding of the tap match this (exchange, routing key)? AMQP topic matching with # and *. */
function bound(allRpc: boolean, exchange: string, routingKey: string): boolean {
  return tapBindings({ allRpc }).some((b) => {
    if (b.exchange.name !== exchange) return false;
    if (b.exchange.type === 'fanout') return true;
    const re = new RegExp(
      `^${b.routingKey
        .split('.')
        .map((w) => (w === '#' ? '.*' : w === '*' ? '[^.]+' : w.replace(/[-]/g, '\\-')))
        .join('\\.')
        .replace('\\..*', '(\\..*)?')}$`,
    );
    return re.test(routingKey);
  });
}

/** Declare the exchanges of a capture as neutron-server would have (oslo's flags). */
async function declareNeutronExchanges(url: string, file: string): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  const names = new Set(parseCapture(readFileSync(file, 'utf8')).records.map((r) => r.exchange));
  names.add('q-agent-notifier-l2population-update_fanout');
  names.add('q-agent-notifier-network-delete_fanout');
  names.add('neutron');
  for (const name of names) {
    const spec = exchangeFor(name);
    await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  }
  await conn.close();
}

/** Publish like neutron-server: kombu declares the exchange (oslo's flags) before publishing. */
async function publish(url: string, msgs: { exchange: string; routingKey: string; body: Buffer | string; expiration?: string }[]): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  for (const name of new Set(msgs.map((m) => m.exchange))) {
    const spec = exchangeFor(name);
    await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  }
  for (const m of msgs)
    ch.publish(m.exchange, m.routingKey, Buffer.isBuffer(m.body) ? m.body : Buffer.from(m.body), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      ...(m.expiration ? { expiration: m.expiration } : {}),
    });
  await ch.waitForConfirms();
  await conn.close();
}

let vhost: TestVhost;
let db: TestDatabase;

beforeAll(async () => {
  vhost = await createTestVhost();
  db = await migratedTestDatabase();
  await declareNeutronExchanges(vhost.adminUrl, capture('lab3'));
});

afterAll(async () => {
  await vhost?.cleanup();
  await db?.drop();
});

describe('worker tapping the real broker', () => {
  let worker: WorkerHandle;
  let tapUser: string;

  beforeAll(async () => {
    const u = await vhost.addUser(TAP_LEAST_PRIVILEGE);
    tapUser = u.user;
    worker = await startWorker({ amqpUrl: u.url, databaseUrl: db.url, port: 0, log: quiet });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it('runs with the least-privilege user: every binding in place, nothing missing', () => {
    expect(worker.stats()).toMatchObject({ mode: 'amqp', connected: true, missingExchanges: [] });
  });

  it('receives and stores every l2pop cast and report_state of a republished real capture', async () => {
    const records = parseCapture(readFileSync(capture('lab3'), 'utf8')).records;
    const expected = records.filter((r) => bound(false, r.exchange, r.routingKey));
    // lab3: 18 add_fdb_entries (10 fanout, 8 host-directed), 3 remove, 1 update, 6 report_state
    expect(expected.length).toBe(28);
    expect(expected.some((r) => r.routingKey.startsWith('q-agent-notifier-l2population-update.'))).toBe(true);
    const before = await worker.db.message.count();
    const published = await replayToBroker({ file: capture('lab3'), url: vhost.adminUrl, speed: 0 });
    expect(published).toBe(records.length);
    await waitFor('all tapped messages stored', async () => (await worker.db.message.count()) - before === expected.length, 20_000);
    await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
    expect((await worker.db.message.count()) - before).toBe(expected.length);

    const stored = await worker.db.message.findMany({ where: { id: { gt: BigInt(before) } }, orderBy: { id: 'asc' } });
    expect(stored.map((m) => `${m.exchange} ${m.routingKey}`)).toEqual(expected.map((r) => `${r.exchange} ${r.routingKey}`));
    for (const [i, m] of stored.entries()) {
      expect(m.ok).toBe(true);
      expect(Buffer.from(m.raw).equals(Buffer.from(expected[i]!.body))).toBe(true);
      expect(m.size).toBe(expected[i]!.body.byteLength);
    }
    const methods = new Set(stored.map((m) => m.method));
    expect([...methods].sort()).toEqual(['add_fdb_entries', 'remove_fdb_entries', 'report_state', 'update_fdb_entries']);
    const directed = stored.filter((m) => m.target && m.target !== 'fanout');
    expect(new Set(directed.map((m) => m.target))).toEqual(new Set(['compute1', 'compute2']));
    // the model projection saw the three real hosts with their VTEPs
    const hosts = await worker.db.host.findMany({ orderBy: { id: 'asc' } });
    expect(hosts.map((h) => `${h.id} ${h.vtep} ${h.l2population}`)).toEqual([
      'compute1 10.0.20.12 true',
      'compute2 10.0.20.13 true',
      'controller 10.0.20.11 true',
    ]);
    expect(await worker.db.network.findMany()).toEqual([expect.objectContaining({ vni: 649, networkType: 'vxlan' })]);
    // every derived change was stored with the message that caused it
    expect(await worker.db.modelChange.count({ where: { messageId: { gt: BigInt(before) } } })).toBeGreaterThan(10);
  });

  it('takes a network out of the live view on network_delete, keeps its row and message as history', async () => {
    const oslo = (method: string, args: object) => JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method, args }) });
    const fdb = oslo('add_fdb_entries', {
      fdb_entries: { 'net-doomed': { segment_id: 777, network_type: 'vxlan', ports: { '10.9.7.7': [['00:00:00:00:00:00', '0.0.0.0']] } } },
    });
    await publish(vhost.adminUrl, [{ exchange: 'q-agent-notifier-l2population-update_fanout', routingKey: '', body: fdb }]);
    await waitFor('the network stored', async () => (await worker.db.network.findUnique({ where: { id: 'net-doomed' } })) !== null, 15_000);
    expect((await readModelSnapshot(worker.db)).networks.map((n) => n.id)).toContain('net-doomed');
    const del = oslo('network_delete', { network_id: 'net-doomed' });
    await publish(vhost.adminUrl, [{ exchange: 'q-agent-notifier-network-delete_fanout', routingKey: '', body: del }]);
    await waitFor('the network marked deleted', async () => (await worker.db.network.findUnique({ where: { id: 'net-doomed' } }))?.deletedAt != null, 15_000);
    const snap = await readModelSnapshot(worker.db);
    expect(snap.networks.map((n) => n.id)).not.toContain('net-doomed');
    expect(snap.vteps.filter((v) => v.network === 'net-doomed')).toEqual([]);
    const stored = await worker.db.message.findFirstOrThrow({ where: { method: 'network_delete' }, include: { refs: true } });
    expect(stored).toMatchObject({ kind: 'network_delete', ok: true, target: 'fanout' });
    expect(stored.refs.map((r) => `${r.kind}=${r.value}`).sort()).toEqual(['network=net-doomed', 'vni=777']);
    expect(await worker.db.modelChange.count({ where: { type: 'network_removed', key: 'net-doomed' } })).toBe(1);
  });

  it('stores malformed messages as undecodable with their raw bytes, counts them, and keeps consuming', async () => {
    const fanout = 'q-agent-notifier-l2population-update_fanout';
    const envelope = (inner: object, version = '2.0') => JSON.stringify({ 'oslo.version': version, 'oslo.message': JSON.stringify(inner) });
    const big = Buffer.alloc(10 * 1024 * 1024, 0x61);
    const invalidUtf8 = Buffer.from([0x7b, 0x22, 0x6f, 0xff, 0xfe, 0x22, 0x7d]);
    // NUL bytes and a lone surrogate: PostgreSQL text/jsonb cannot hold them as they are
    const nul = '\u0000\u0001 not json at all';
    const nulInArgs = envelope({
      method: 'add_fdb_entries',
      args: { fdb_entries: { 'net\u0000x\ud800': { segment_id: 8, network_type: 'vxlan', ports: {} } } },
    });
    const good = envelope({
      method: 'add_fdb_entries',
      args: { fdb_entries: { 'net-after-garbage': { segment_id: 7, network_type: 'vxlan', ports: { '10.9.9.9': [['00:00:00:00:00:00', '0.0.0.0']] } } } },
    });
    const bad = [
      { body: '{"oslo.version": "2.0", "oslo.message": ', reason: 'invalid_json' },
      { body: envelope({ method: 'add_fdb_entries', args: {} }, '3.0'), reason: 'unsupported_envelope_version' },
      { body: envelope({ method: 'frobnicate_fdb', args: {} }), reason: 'unknown_method' },
      { body: big, reason: 'too_large' },
      { body: invalidUtf8, reason: 'invalid_utf8' },
      { body: nul, reason: 'invalid_json' },
    ];
    const undecodableBefore = worker.stats().undecodable;
    const before = await worker.db.message.count();
    await publish(vhost.adminUrl, [
      ...bad.map((b) => ({ exchange: fanout, routingKey: '', body: b.body })),
      { exchange: fanout, routingKey: '', body: nulInArgs },
      { exchange: fanout, routingKey: '', body: good },
    ]);
    await waitFor('8 messages stored', async () => (await worker.db.message.count()) - before === 8, 30_000);
    const rows = await worker.db.message.findMany({ where: { id: { gt: BigInt(before) } }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.errorReason)).toEqual([...bad.map((b) => b.reason), null, null]);
    for (const [i, b] of bad.entries()) {
      expect(rows[i]!.ok).toBe(false);
      expect(rows[i]!.error?.length).toBeGreaterThan(0);
      expect(Buffer.from(rows[i]!.raw).equals(Buffer.isBuffer(b.body) ? b.body : Buffer.from(b.body))).toBe(true);
    }
    expect(rows[3]!.size).toBe(10 * 1024 * 1024);
    // decoded, stored (strings made storable), raw bytes exact
    expect(rows[6]).toMatchObject({ ok: true, method: 'add_fdb_entries' });
    expect(Buffer.from(rows[6]!.raw).toString()).toBe(nulInArgs);
    expect(rows[7]).toMatchObject({ ok: true, method: 'add_fdb_entries' });
    expect(worker.stats().undecodable - undecodableBefore).toBe(6);
    expect(await worker.db.network.findUnique({ where: { id: 'net-after-garbage' } })).toMatchObject({ vni: 7 });
  });

  it('reconnects after the broker drops its connection, records the gap, and taps again', async () => {
    const gapsBefore = await worker.db.tapGap.count();
    await vhost.closeConnections(tapUser);
    await waitFor('the tap to notice the disconnect', () => !worker.stats().connected || worker.stats().gaps.length > 0, 10_000);
    await waitFor('the tap to reconnect', () => worker.stats().connected, 30_000);
    await waitFor(
      'the gap to be closed in the database',
      async () => {
        const gaps = await worker.db.tapGap.findMany({ orderBy: { id: 'desc' } });
        return gaps.length > gapsBefore && gaps[0]!.endedAt !== null;
      },
      10_000,
    );
    const gap = (await worker.db.tapGap.findFirst({ orderBy: { id: 'desc' } }))!;
    expect(gap.endedAt!.getTime()).toBeGreaterThanOrEqual(gap.startedAt.getTime());
    expect(gap.reason.length).toBeGreaterThan(0);
    expect(worker.stats().gaps[0]).toMatchObject({ id: gap.id, endedAt: expect.any(String) });
    // and the new queue is bound: a report_state arrives
    const before = await worker.db.message.count();
    const report = JSON.stringify({
      'oslo.version': '2.0',
      'oslo.message': JSON.stringify({
        method: 'report_state',
        args: {
          agent_state: {
            agent_state: {
              binary: 'neutron-linuxbridge-agent',
              host: 'after-reconnect',
              agent_type: 'Linux bridge agent',
              configurations: { tunneling_ip: '10.0.20.99', l2_population: true },
            },
          },
        },
      }),
    });
    await waitFor(
      'a message after the reconnect',
      async () => {
        await publish(vhost.adminUrl, [{ exchange: 'neutron', routingKey: 'q-reports-plugin', body: report }]);
        return (await worker.db.message.count()) > before;
      },
      15_000,
      1000,
    );
    expect(await worker.db.host.findUnique({ where: { id: 'after-reconnect' } })).toMatchObject({ vtep: '10.0.20.99' });
  });
});

describe('--all-rpc', () => {
  it("also stores the rest of Neutron's agent RPC: every message of the real capture", async () => {
    await declareNeutronExchanges(vhost.adminUrl, capture('lab3'));
    const u = await vhost.addUser({ ...TAP_LEAST_PRIVILEGE, read: '^(l2scope\\.tap\\..*|neutron|q-.*_fanout|neutron-vo-.*_fanout)$' });
    const all = await migratedTestDatabase();
    const worker = await startWorker({ amqpUrl: u.url, databaseUrl: all.url, port: 0, allRpc: true, log: quiet });
    try {
      expect(worker.stats().missingExchanges).not.toContain('neutron-vo-Port-1.7_fanout');
      const records = parseCapture(readFileSync(capture('lab3'), 'utf8')).records;
      expect(records.every((r) => bound(true, r.exchange, r.routingKey))).toBe(true);
      await replayToBroker({ file: capture('lab3'), url: vhost.adminUrl, speed: 0 });
      await waitFor('the whole capture stored', async () => (await worker.db.message.count()) === records.length, 20_000);
      const methods = await worker.db.message.groupBy({ by: ['method'], _count: { _all: true } });
      expect(Object.fromEntries(methods.map((m) => [m.method, m._count._all]))).toMatchObject({
        push: 20,
        update_device_up: 5,
        get_devices_details_list: 5,
        port_delete: 3,
      });
    } finally {
      await worker.stop();
      await all.drop();
    }
  });
});

describe('--all-rpc with the default least-privilege user', () => {
  it('taps what the user may read and reports the exchanges it may not, instead of retrying forever', async () => {
    await declareNeutronExchanges(vhost.adminUrl, capture('lab3'));
    const u = await vhost.addUser(TAP_LEAST_PRIVILEGE);
    const d = await migratedTestDatabase();
    const worker = await startWorker({ amqpUrl: u.url, databaseUrl: d.url, port: 0, allRpc: true, log: quiet });
    try {
      expect(worker.stats()).toMatchObject({ connected: true, deniedExchanges: ['neutron-vo-Port-1.7_fanout'] });
      await publish(vhost.adminUrl, [
        {
          exchange: 'q-agent-notifier-port-update_fanout',
          routingKey: '',
          body: JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method: 'port_update', args: {} }) }),
        },
      ]);
      await waitFor('the port_update stored', async () => (await worker.db.message.count({ where: { method: 'port_update' } })) === 1);
    } finally {
      await worker.stop();
      await d.drop();
    }
  });
});

describe('a tap that cannot keep up', () => {
  it('has the broker drop the oldest messages (bounded queue) and counts every drop', async () => {
    const u = await vhost.addUser(TAP_LEAST_PRIVILEGE);
    const small = await migratedTestDatabase();
    // the fanout exchange is auto-delete: it went away with the previous tap's binding
    await declareNeutronExchanges(vhost.adminUrl, capture('lab3'));
    const worker = await startWorker({ amqpUrl: u.url, databaseUrl: small.url, port: 0, queueMaxLength: 5, prefetch: 1, log: quiet });
    try {
      const n = 300;
      const body = JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method: 'remove_fdb_entries', args: { fdb_entries: {} } }) });
      await publish(
        vhost.adminUrl,
        Array.from({ length: n }, () => ({ exchange: 'q-agent-notifier-l2population-update_fanout', routingKey: '', body })),
      );
      await waitFor(
        'every message stored or counted as dropped',
        async () => {
          const s = worker.stats();
          return s.received + s.dropped === n && worker.pipeline.pending === 0;
        },
        60_000,
        100,
      );
      const s = worker.stats();
      expect(s.dropped).toBeGreaterThan(0);
      expect(s.received).toBe(await worker.db.message.count());
    } finally {
      await worker.stop();
      await small.drop();
    }
  });

  it('ends a storm far past the bound with persisted + dropped == published, dead letters counted once whether consumed or purged', async () => {
    const u = await vhost.addUser(TAP_LEAST_PRIVILEGE);
    const small = await migratedTestDatabase();
    await declareNeutronExchanges(vhost.adminUrl, capture('lab3'));
    // a tap queue of 50 and dead letters consumed one at a time, swept often: a storm piles them up and purges them in bulk
    const worker = await startWorker({
      amqpUrl: u.url,
      databaseUrl: small.url,
      port: 0,
      queueMaxLength: 50,
      prefetch: 10,
      deadLetters: { prefetch: 1, sweepMs: 20, purgeAt: 1 },
      log: quiet,
    });
    try {
      const n = 5_000;
      const msgs = Array.from({ length: n }, (_, i) => ({
        exchange: 'q-agent-notifier-l2population-update_fanout',
        routingKey: '',
        body: JSON.stringify({
          'oslo.version': '2.0',
          'oslo.message': JSON.stringify({ method: 'remove_fdb_entries', _unique_id: `storm-${i}`, args: { fdb_entries: {} } }),
        }),
      }));
      await publish(vhost.adminUrl, msgs);
      await waitFor(
        'every delivery persisted or counted',
        () => {
          const s = worker.stats();
          return s.received + s.dropped + s.expired === n && worker.pipeline.pending === 0;
        },
        120_000,
        100,
      );
      const s = worker.stats();
      const dead = worker.tap!.deadLetters!;
      expect(s.dropped).toBeGreaterThan(0);
      expect(s.expired).toBe(0);
      // persisted: every received one is in the database, once
      expect(await worker.db.message.count()).toBe(s.received);
      // every drop counted exactly once, by one path or the other
      expect(dead.consumed + dead.purged).toBe(s.dropped);
    } finally {
      await worker.stop();
      await small.drop();
    }
  });
});
