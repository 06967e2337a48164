/**
 * The ingest pipeline alone, for a CPU profile: the bench's 20,000 fleet messages fed into
 * `IngestPipeline` with the worker's real store (no broker), on a fresh SQLite file or the
 * PostgreSQL of `L2SCOPE_BENCH_PG`. Run `node --cpu-prof --import tsx bench/ingest-profile.ts [sqlite|postgresql]`;
 * prints wall time and the process's CPU time (user + system) per message.
 */
import { ClusterModel } from '@l2scope/domain';
import { createTestDatabase } from '@l2scope/testkit';
import { dbProvider, closeDb, openDb } from '@l2scope/db';
import { migrate } from '@l2scope/db/migrate';
import { IngestPipeline } from '../apps/worker/src/pipeline';
import { PrismaStore } from '../apps/worker/src/store';
import { fleetMessages } from './workload';

const kind = process.argv[2] ?? 'sqlite';
const base = kind === 'sqlite' ? 'file:' : (process.env.L2SCOPE_BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
const msgs = fleetMessages(1000, 19);
const db = await createTestDatabase(base);
await migrate(db.url);
const client = await openDb(db.url);
const store = new PrismaStore(client, dbProvider(db.url));
const pipeline = new IngestPipeline({ sink: store, model: new ClusterModel(), firstId: 1, counters: { received: 0, undecodable: 0, dropped: 0, expired: 0 } });
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const props = { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2 };
// fed as the tap does: at most 2,000 (its prefetch) uncommitted
const inflight = new Set<Promise<void>>();
for (const m of msgs) {
  const p = pipeline.submit({ receivedAt: Date.now(), exchange: m.exchange, routingKey: m.routingKey, properties: props, body: m.body, source: 'amqp' });
  inflight.add(p);
  void p.then(() => inflight.delete(p));
  if (inflight.size >= 2000) await Promise.race(inflight);
}
await pipeline.drain();
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log(
  `${kind}: ${msgs.length} messages in ${ms.toFixed(0)} ms wall (${((msgs.length / ms) * 1000).toFixed(0)} msg/s), CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms = ${((cpu.user + cpu.system) / 1000 / msgs.length).toFixed(3)} ms/msg`,
);
await closeDb(client);
await db.drop();
