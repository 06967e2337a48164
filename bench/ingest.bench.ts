/**
 * Worker ingest rate (decode, model, persistence in batches, acks) against a raw amqplib consumer
 * (ack only, nothing else) on the same broker, same messages, same run. Both measure from the first
 * publish to the last message handled, on an isolated vhost of the local RabbitMQ.
 */
import amqp from 'amqplib';
import { L2POP_TOPIC, fanoutExchange, topicExchange } from '@l2scope/domain';
import { createTestDatabase, createTestVhost, waitFor } from '@l2scope/testkit';
import { startWorker } from '@l2scope/worker';
import { MESSAGE_SEARCH_FTS, SQLITE_HAND_WRITTEN_TRIGGERS, closeDb, insertMessages, openDb, writeTransaction } from '@l2scope/db';
import { migrate } from '@l2scope/db/migrate';
import { messageRows } from '../packages/db/test/message-rows';
import type { BenchMessage } from './workload';

/** The exchanges neutron-server's casts go to, declared with oslo's flags (kombu declares them first). */
export async function declare(url: string): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  for (const s of [topicExchange(false), fanoutExchange(L2POP_TOPIC)])
    await ch.assertExchange(s.name, s.type, { durable: s.durable, autoDelete: s.autoDelete });
  await conn.close();
}

/** Publish like neutron-server (kombu declares the exchanges first, with oslo's flags). */
async function publishAll(url: string, msgs: BenchMessage[]): Promise<void> {
  await declare(url);
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  const props = { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2 };
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    if (!ch.publish(m.exchange, m.routingKey, m.body, props)) await new Promise((r) => ch.once('drain', r));
    if (i % 1000 === 999) await ch.waitForConfirms();
  }
  await ch.waitForConfirms();
  await conn.close();
}

/** Raw consumer: bound like the tap, prefetch 1000, ack each message. @returns msg/s */
async function rawConsumerRate(url: string, msgs: BenchMessage[]): Promise<number> {
  await declare(url);
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  const q = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(q.queue, fanoutExchange(L2POP_TOPIC).name, '');
  await ch.bindQueue(q.queue, 'neutron', 'q-reports-plugin');
  await ch.prefetch(1000);
  let n = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  await ch.consume(q.queue, (m) => {
    if (!m) return;
    ch.ack(m);
    if (++n === msgs.length) done();
  });
  const t0 = performance.now();
  await publishAll(url, msgs);
  await all;
  const rate = msgs.length / ((performance.now() - t0) / 1000);
  await conn.close();
  return rate;
}

/** The worker tapping the broker with a fresh database of the given kind. @returns msg/s persisted */
async function workerRate(url: string, msgs: BenchMessage[], databaseBase: string | undefined): Promise<number> {
  await declare(url); // the auto-delete fanout went away with the previous consumer
  const db = await createTestDatabase(databaseBase);
  const worker = await startWorker({ amqpUrl: url, databaseUrl: db.url, port: 0, log: () => {} });
  try {
    const t0 = performance.now();
    await publishAll(url, msgs);
    await waitFor('every message persisted', () => worker.stats().received === msgs.length && worker.pipeline.pending === 0, 600_000, 20);
    return msgs.length / ((performance.now() - t0) / 1000);
  } finally {
    await worker.stop();
    await db.drop();
  }
}

export interface IngestBenchResult {
  messages: number;
  rawRate: number;
  sqliteRate: number;
  postgresRate: number | null;
}

/** Run the ingest benchmark; PostgreSQL when `pgUrl` is given. */
export async function runIngestBench(msgs: BenchMessage[], pgUrl?: string): Promise<IngestBenchResult> {
  const vhost = await createTestVhost('l2scope-bench');
  try {
    const rawRate = await rawConsumerRate(vhost.adminUrl, msgs);
    const sqliteRate = await workerRate(vhost.adminUrl, msgs, 'file:');
    const postgresRate = pgUrl ? await workerRate(vhost.adminUrl, msgs, pgUrl) : null;
    return { messages: msgs.length, rawRate, sqliteRate, postgresRate };
  } finally {
    await vhost.cleanup();
  }
}

/** What the free text's FTS5 trigger costs the SQLite batch insert (see {@link runSearchIndexCost}). */
export interface SearchIndexCost {
  messages: number;
  /** msg/s of `insertMessages` on the migrated database, FTS5 trigram table and triggers in place. */
  withIndexRate: number;
  /** msg/s on the same database with the trigram table and its triggers dropped. */
  withoutIndexRate: number;
}

/**
 * The worker's SQLite write path alone (`insertMessages` in `writeTransaction`, 1,000-message batches, one transaction
 * each, as the pipeline commits them) on two fresh files, one migrated as shipped and one with the
 * free text's FTS5 table and triggers dropped. The batches alternate between the two, in turn
 * first, so both see the same machine load. `templates` as for the worker bench.
 */
export async function runSearchIndexCost(templates: readonly BenchMessage[], count = 40_000): Promise<SearchIndexCost> {
  const dbs = { with: await createTestDatabase('file:'), without: await createTestDatabase('file:') };
  for (const d of Object.values(dbs)) await migrate(d.url);
  const open = { with: await openDb(dbs.with.url), without: await openDb(dbs.without.url) };
  try {
    for (const t of SQLITE_HAND_WRITTEN_TRIGGERS) await open.without.$executeRawUnsafe(`DROP TRIGGER "${t}"`);
    await open.without.$executeRawUnsafe(`DROP TABLE "${MESSAGE_SEARCH_FTS}"`);
    const ms = { with: 0, without: 0 };
    let i = 0;
    for (const batch of messageRows(templates, count, { hosts: 1000, start: Date.parse('2026-12-01T00:00:00Z'), undecodableEvery: 997 }, 1000)) {
      for (const k of i++ % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
        const t0 = performance.now();
        await writeTransaction(open[k], 'sqlite', (tx) => insertMessages(tx, batch));
        ms[k] += performance.now() - t0;
      }
    }
    return { messages: count, withIndexRate: count / (ms.with / 1000), withoutIndexRate: count / (ms.without / 1000) };
  } finally {
    for (const d of Object.values(open)) await closeDb(d);
    for (const d of Object.values(dbs)) await d.drop();
  }
}
