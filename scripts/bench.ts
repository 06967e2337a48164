/**
 * `npm run bench`: l2scope's speed and memory, as ratios against baselines measured in the same run.
 *  - decode + model throughput vs a bare double JSON.parse of the same oslo bodies;
 *  - worker ingest (decode, model, batched persistence, ack) vs a raw amqplib consumer that only
 *    acks, on the same local RabbitMQ, on SQLite and PostgreSQL; and SQLite's batch insert with
 *    the free text's FTS5 trigram table (its insert trigger) vs without it, batches alternating;
 *  - model memory per FDB entry for a 1000-hypervisor fleet, and the worker's model heap and RSS
 *    at 1,000 hosts x 2,000 networks x ~100,000 ports (a child process);
 *  - a storm: the 1,000 x 2,000 x 100,000 fleet's start and agent restarts (`restartStorm`),
 *    published as fast as the broker takes them onto the worker in a process of its own, at the
 *    default tap queue bound and at a small one: every delivery persisted or dropped and counted
 *    (unaccounted must be 0), and the worker's own peak RSS;
 *  - node analysis (told vs held) of a 1000-hypervisor fleet vs listing what every host was
 *    told (`ClusterModel.toldFdb`), and the incremental re-analysis after one change vs the full one.
 *  - the inspector over 1,000,000 stored messages: each filter's first page and bounded count,
 *    p50 / p95, against a primary-key lookup, on SQLite and PostgreSQL (L2SCOPE_BENCH_MESSAGES=<n>;
 *    L2SCOPE_BENCH_DB=sqlite or postgresql for one of them; L2SCOPE_BENCH_RUNS=<n> timed runs of a
 *    page, a quarter of them of a count, default 40; L2SCOPE_BENCH_KEEP, L2SCOPE_BENCH_ONLY: see
 *    bench/messages.bench.ts).
 * `npm run bench -- <section>...` runs only those sections: decode, memory, ingest, analysis,
 * fleet, storm, messages.
 * Needs the local RabbitMQ (rabbitmqctl, root) and PostgreSQL; set L2SCOPE_BENCH_PG= to skip PostgreSQL.
 * L2SCOPE_BENCH_STORM=<n> sets the storm's size (default 50,000 deliveries; 1000000 for issue 12's storm).
 */
import { runAnalysisBench } from '../bench/analysis.bench';
import { modelMemory, runDecodeBench } from '../bench/decode.bench';
import { runIngestBench, runSearchIndexCost } from '../bench/ingest.bench';
import { fleetMemory } from '../bench/memory.bench';
import { runMessagesBench } from '../bench/messages.bench';
import { runStorm } from '../bench/storm.bench';
import { fleetMessages, restartStorm } from '../bench/workload';

const pg = process.env.L2SCOPE_BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const SECTIONS = ['decode', 'memory', 'ingest', 'analysis', 'fleet', 'storm', 'messages'] as const;
const only = process.argv.slice(2);
for (const s of only)
  if (!(SECTIONS as readonly string[]).includes(s)) {
    console.error(`unknown section ${s}: one of ${SECTIONS.join(', ')}`);
    process.exit(2);
  }
const want = (s: (typeof SECTIONS)[number]) => only.length === 0 || only.includes(s);

console.log('l2scope bench (ratios are against baselines measured in this run)\n');

if (want('decode')) {
  console.log('1. decode + model throughput vs bare double JSON.parse');
  for (const r of runDecodeBench()) {
    console.log(`   ${r.workload}: ${fmt(r.messages)} messages`);
    console.log(`     baseline JSON.parse x2 ${fmt(r.baselineRate)} msg/s`);
    console.log(`     decode (validated)     ${fmt(r.decodeRate)} msg/s  ratio ${ratio(r.decodeRate, r.baselineRate)}`);
    console.log(`     decode + model         ${fmt(r.decodeModelRate)} msg/s  ratio ${ratio(r.decodeModelRate, r.baselineRate)}`);
  }
}

if (want('memory')) {
  const mem = modelMemory(1000, 10);
  console.log(
    `\n2. model memory, 1000 hosts x 10 ports: ${fmt(mem.entries)} FDB entries in ${fmt(mem.bytes / 1024)} KiB = ${fmt(mem.bytes / mem.entries)} bytes/entry`,
  );
}

if (want('ingest')) {
  const msgs = fleetMessages(1000, 19); // 1000 report_state + 19,000 add_fdb_entries fanouts
  console.log(`\n3. worker ingest vs raw amqplib consumer, ${fmt(msgs.length)} messages (1000-host fleet) on the local RabbitMQ`);
  const ing = await runIngestBench(msgs, pg || undefined);
  console.log(`     baseline raw consumer (ack only)    ${fmt(ing.rawRate)} msg/s`);
  console.log(`     worker, persisted to SQLite         ${fmt(ing.sqliteRate)} msg/s  ratio ${ratio(ing.sqliteRate, ing.rawRate)}`);
  if (ing.postgresRate !== null)
    console.log(`     worker, persisted to PostgreSQL     ${fmt(ing.postgresRate)} msg/s  ratio ${ratio(ing.postgresRate, ing.rawRate)}`);
  const idx = await runSearchIndexCost(msgs);
  console.log(`   SQLite batch insert alone (insertMessages), ${fmt(idx.messages)} messages, batches alternating between two files:`);
  console.log(`     baseline without the free text's FTS5 table ${fmt(idx.withoutIndexRate)} msg/s`);
  console.log(`     with it (as migrated, trigger on insert)    ${fmt(idx.withIndexRate)} msg/s  ratio ${ratio(idx.withIndexRate, idx.withoutIndexRate)}`);
}

if (want('analysis')) {
  const an = runAnalysisBench(1000, 300);
  console.log(`\n4. node analysis, ${fmt(an.hosts)} Linux bridge hosts (l2pop + ARP responder), ${fmt(an.networks)} networks, ${fmt(an.ports)} ports`);
  console.log(
    `     ${fmt(an.snapshotRows)} FDB + neighbour rows held, ${fmt(an.toldRows)} told; ${fmt(an.driftItems)} drift items, ${fmt(an.findings)} findings (injected faults)`,
  );
  console.log(`     baseline toldFdb of every host          ${fmt(an.baselineMs)} ms`);
  console.log(`     full analysis (analyzeNodes)            ${fmt(an.fullMs)} ms  ratio ${ratio(an.fullMs, an.baselineMs)}`);
  console.log(
    `     incremental, one port (add_fdb_entries) ${an.portChangeMs.toFixed(1)} ms  ratio ${(an.portChangeMs / an.fullMs).toFixed(3)}x of full (${fmt(an.portChangeHosts)} hosts re-analysed)`,
  );
  console.log(
    `     incremental, one host's snapshot        ${an.snapshotChangeMs.toFixed(1)} ms  ratio ${(an.snapshotChangeMs / an.fullMs).toFixed(3)}x of full (${fmt(an.snapshotChangeHosts)} host re-analysed)`,
  );
}

if (want('fleet')) {
  const fleet = fleetMemory(1000, 2000, 40, 60);
  console.log(
    `\n5. worker model at ${fmt(fleet.hosts)} hosts x ${fmt(fleet.networks)} networks x ${fmt(fleet.ports)} ports (${fmt(fleet.messages)} casts folded):`,
  );
  console.log(
    `     model heap ${fmt(fleet.modelHeap / 2 ** 20)} MiB; RSS ${fmt(fleet.rss / 2 ** 20)} MiB (peak ${fmt(fleet.peakRss / 2 ** 20)} MiB with the casts held)`,
  );
}

if (want('storm')) {
  const stormSize = Number(process.env.L2SCOPE_BENCH_STORM ?? 50_000);
  const DEFAULT_QUEUE_BOUND = 100_000; // the worker's --queue-max-length default
  for (const [n, bound] of [
    [stormSize, DEFAULT_QUEUE_BOUND],
    [Math.min(stormSize, 20_000), 1_000],
  ] as const) {
    const storm = await runStorm(restartStorm(n), bound);
    const mib = (b: number) => fmt(b / 2 ** 20);
    console.log(
      `\n6. storm: ${fmt(storm.published)} deliveries of the 1,000 x 2,000 x 100,000 fleet's start and agent restarts, published at once, tap queue bound ${fmt(storm.queueMaxLength)} (worker process, ${storm.database})`,
    );
    console.log(
      `     persisted ${fmt(storm.persisted)}, dropped and counted ${fmt(storm.dropped)}, expired ${fmt(storm.expired)}, unaccounted ${fmt(storm.unaccounted)}`,
    );
    console.log(
      `     published in ${storm.publishSeconds.toFixed(0)} s (${fmt(storm.published / storm.publishSeconds)} msg/s), settled in ${storm.seconds.toFixed(0)} s; worker peak RSS ${mib(storm.workerPeakRss)} MiB (${mib(storm.workerRss)} MiB settled, V8 heap used at most ${mib(storm.workerPeakHeap)} MiB), publisher peak RSS ${mib(storm.publisherPeakRss)} MiB`,
    );
  }
}

if (want('messages')) {
  const total = Number(process.env.L2SCOPE_BENCH_MESSAGES ?? 1_000_000);
  const dbs = (process.env.L2SCOPE_BENCH_DB ?? 'sqlite,postgresql').split(',');
  for (const provider of (['sqlite', 'postgresql'] as const).filter((p) => dbs.includes(p) && (p === 'sqlite' || pg))) {
    const r = await runMessagesBench(provider, total, Number(process.env.L2SCOPE_BENCH_RUNS ?? 40), pg || undefined);
    console.log(
      `\n7. inspector over ${fmt(r.stored)} stored messages (${provider}, ${r.loadSeconds ? `loaded in ${fmt(r.loadSeconds)} s` : `reused ${process.env.L2SCOPE_BENCH_KEEP}`}), 200-row pages`,
    );
    if (r.size)
      console.log(`     database ${fmt(r.size.file / 2 ** 20)} MiB, of which the free text's FTS5 trigram table ${fmt(r.size.searchIndex / 2 ** 20)} MiB`);
    const b = r.baseline;
    console.log(`     baseline ${b.name}: p50 ${b.p50.toFixed(1)} ms, p95 ${b.p95.toFixed(1)} ms`);
    const row = (kind: string, t: typeof b) =>
      `     ${kind} ${t.name.padEnd(26)} p50 ${t.p50.toFixed(1).padStart(7)} ms  p95 ${t.p95.toFixed(1).padStart(7)} ms  ratio ${ratio(t.p95, b.p95).padStart(8)}  (${fmt(t.rows)} rows)`;
    for (const t of r.pages) console.log(row('page ', t));
    for (const t of r.counts) console.log(row('count', t));
  }
}

// the storm's and the inspector's consumers and pools hold handles open: end the run here
process.exit(0);
