/**
 * The known poison messages of issue 9 (docs/wire-format.md#poison-input), on the real broker and
 * in an in-process replay: each is stored as what it is (undecodable with its reason and raw bytes,
 * or decoded), the tap keeps its connection and its queue (nothing behind the poison is lost), and
 * a replay goes on to the end of the capture.
 *  (a) oslo arguments nested 6,000 deep: a stack overflow in the consume callback closed the connection;
 *  (b) add_fdb_entries with 80,000 invalid [mac, ip] pairs: zod's 160,000 issues overflowed the stack;
 *  (c) one 3.75 MB cast to 40,000 VTEPs: ~50 s in the model's change set.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CaptureRecord, parseCapture, toCaptureLine } from '@l2scope/domain';
import { TAP_LEAST_PRIVILEGE, type TestDatabase, type TestVhost, createTestVhost, waitFor } from '@l2scope/testkit';
import { exchangeFor, startWorker } from '../src';
import { migratedTestDatabase } from './helpers/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FANOUT = 'q-agent-notifier-l2population-update_fanout';
const envelope = (inner: string) => JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': inner });
const nested = (depth: number) => '['.repeat(depth) + '1' + ']'.repeat(depth);

/** (a) an RPC on a bound routing key whose args are nested 6,000 deep. */
const deepArgs = envelope(`{"method":"port_update","args":{"port":${nested(6000)}}}`);
/** (b) 80,000 invalid pairs. */
const invalidPairs = envelope(
  JSON.stringify({
    method: 'add_fdb_entries',
    args: { fdb_entries: { n: { segment_id: 1, network_type: 'vxlan', ports: { '10.0.0.1': Array.from({ length: 80_000 }, () => ['zz', 'nope']) } } } },
  }),
);
/** (c) 40,000 VTEPs, one flood entry and one port each. */
function manyVteps(): string {
  const ports: Record<string, [string, string][]> = {};
  for (let i = 0; i < 40_000; i++) {
    const h = (i + 0x100000).toString(16).slice(-6);
    ports[`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] = [
      ['00:00:00:00:00:00', '0.0.0.0'],
      [`fa:16:3e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`, `192.168.${(i >> 8) & 255}.${i & 255}`],
    ];
  }
  return envelope(JSON.stringify({ method: 'add_fdb_entries', args: { fdb_entries: { 'net-40k': { segment_id: 4000, network_type: 'vxlan', ports } } } }));
}
const good = (net: string) =>
  envelope(
    JSON.stringify({
      method: 'add_fdb_entries',
      args: { fdb_entries: { [net]: { segment_id: 7, network_type: 'vxlan', ports: { '10.9.9.9': [['00:00:00:00:00:00', '0.0.0.0']] } } } },
    }),
  );

const poison = [
  { exchange: 'neutron', routingKey: 'q-reports-plugin', body: deepArgs, reason: 'too_deep' },
  { exchange: FANOUT, routingKey: '', body: invalidPairs, reason: 'invalid_args' },
  { exchange: 'neutron', routingKey: 'q-agent-notifier-l2population-update.compute1', body: manyVteps(), reason: null },
];

describe('the known poison messages through the real tap', () => {
  let vhost: TestVhost;
  let db: TestDatabase;

  beforeAll(async () => {
    vhost = await createTestVhost();
    db = await migratedTestDatabase();
  });
  afterAll(async () => {
    await vhost?.cleanup();
    await db?.drop();
  });

  it('are stored (undecodable with their reason and raw bytes, or decoded) and the tap keeps its connection and queue', async () => {
    const conn = await amqp.connect(vhost.adminUrl);
    const ch = await conn.createConfirmChannel();
    for (const name of [FANOUT, 'neutron']) {
      const spec = exchangeFor(name);
      await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
    }
    const u = await vhost.addUser(TAP_LEAST_PRIVILEGE);
    const worker = await startWorker({ amqpUrl: u.url, databaseUrl: db.url, port: 0, nodeAmqpUrl: false, log: () => {} });
    try {
      const queue = worker.tap!.queue;
      // a good message before and after each poison one: nothing behind a poison message may be lost
      const msgs = [{ exchange: FANOUT, routingKey: '', body: good('net-before') }];
      for (const [i, p] of poison.entries()) msgs.push(p, { exchange: FANOUT, routingKey: '', body: good(`net-after-${i}`) });
      for (const m of msgs) ch.publish(m.exchange, m.routingKey, Buffer.from(m.body), { contentType: 'application/json' });
      await ch.waitForConfirms();
      await waitFor('all 7 messages stored', async () => (await worker.db.message.count()) === 7, 120_000, 100);
      const rows = await worker.db.message.findMany({ orderBy: { id: 'asc' } });
      expect(rows.map((r) => r.errorReason)).toEqual([null, 'too_deep', null, 'invalid_args', null, null, null]);
      expect(rows.map((r) => r.method)).toEqual([
        'add_fdb_entries',
        null,
        'add_fdb_entries',
        'add_fdb_entries',
        'add_fdb_entries',
        'add_fdb_entries',
        'add_fdb_entries',
      ]);
      for (const [i, m] of msgs.entries()) expect(Buffer.from(rows[i]!.raw).equals(Buffer.from(m.body))).toBe(true);
      expect(rows[3]!.error).toBe('add_fdb_entries: fdb_entries.n.ports.10.0.0.1.0.0: not a MAC address');
      // the 40,000 VTEPs are in the model and its projection
      expect(await worker.db.vtepEntries.count({ where: { networkId: 'net-40k' } })).toBe(40_000);
      // (c) decoded and folded in seconds, not ~50 s
      expect(worker.pipeline.slowest!.ms).toBeLessThan(20_000);
      // the same connection and queue all along, no gap, no failed delivery
      expect(worker.tap!.connects).toBe(1);
      expect(worker.tap!.queue).toBe(queue);
      expect(worker.tap!.deliveryFailures).toBe(0);
      expect(worker.stats()).toMatchObject({ connected: true, gaps: [], undecodable: 2 });
    } finally {
      await worker.stop();
      await conn.close();
    }
  }, 180_000);
});

describe('the known poison messages in an in-process replay', () => {
  it('are stored and the replay goes on to the end of the capture', async () => {
    const lab3 = parseCapture(readFileSync(path.join(root, 'fixtures/lab3.jsonl'), 'utf8')).records;
    const at = (i: number) => lab3[Math.min(i, lab3.length - 1)]!.ts;
    const records: CaptureRecord[] = [];
    lab3.forEach((r, i) => {
      records.push(r);
      if (i === 5 || i === 10) {
        for (const p of poison.slice(0, 2))
          records.push({ ts: at(i), exchange: p.exchange, routingKey: p.routingKey, properties: {}, body: new TextEncoder().encode(p.body) });
      }
    });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'l2scope-poison-'));
    const file = path.join(dir, 'poisoned.jsonl');
    writeFileSync(file, records.map(toCaptureLine).join('\n') + '\n');
    const db = await migratedTestDatabase();
    const worker = await startWorker({ replayFile: file, speed: 0, databaseUrl: db.url, port: 0, log: () => {} });
    try {
      expect(await worker.replayDone).toBe(records.length);
      const rows = await worker.db.message.findMany({ orderBy: { id: 'asc' }, select: { errorReason: true, ok: true } });
      expect(rows).toHaveLength(records.length);
      expect(rows.filter((r) => !r.ok).map((r) => r.errorReason)).toEqual(['too_deep', 'invalid_args', 'too_deep', 'invalid_args']);
    } finally {
      await worker.stop();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
