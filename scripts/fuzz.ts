/**
 * `npm run fuzz -- --count 1000000 --seed S`: the poison-input fuzz run of
 * apps/worker/test/fuzz.integration.test.ts at any size (docs/wire-format.md#poison-input). A worker
 * taps a fresh RabbitMQ vhost; the testkit's seeded `Fuzzer` publishes the messages around the real
 * captures. Prints messages, undecodable, crashes, reconnects, the worst single message processing
 * time and which message it was, peak RSS. Exits 1 when anything was lost, crashed or reconnected.
 * Needs root (rabbitmqctl) and the local RabbitMQ; the database is SQLite unless DATABASE_URL is PostgreSQL.
 */
import { Command } from 'commander';
import { runFuzz } from '../apps/worker/test/fuzz-run';

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`not a positive integer: ${v}`);
  return n;
};
const o = new Command('fuzz')
  .option('--count <n>', 'messages to publish', positive, 20_000)
  .option('--seed <n>', 'seed of the generator (the same seed gives the same messages)', positive, 20261205)
  .option('--quiet', "do not print progress and the worker's log", false)
  .parse()
  .opts<{ count: number; seed: number; quiet: boolean }>();

const r = await runFuzz({ count: o.count, seed: o.seed, databaseBase: process.env.DATABASE_URL, log: o.quiet ? undefined : (line) => console.log(line) });
const fmt = (n: number) => n.toLocaleString('en-US');
console.log(`fuzz: seed ${r.seed}, ${r.seconds} s`);
console.log(`  messages      ${fmt(r.messages)} (committed ${fmt(r.committed)}, out of order ${r.outOfOrder})`);
console.log(
  `  kinds         ${Object.entries(r.kinds)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ')}`,
);
console.log(
  `  undecodable   ${fmt(r.undecodable)} (${Object.entries(r.reasons)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ')})`,
);
console.log(`  crashes       ${r.crashes}`);
console.log(`  reconnects    ${r.reconnects} (gaps ${r.gaps})`);
console.log(`  captures      ${fmt(r.capturesChecked)} checked, ${r.capturesMismatched} decoded differently; raw bytes differing: ${r.rawMismatched}`);
console.log(`  worst message ${r.worst ? `${r.worst.ms.toFixed(1)} ms: #${r.worst.n} (${r.worst.kind}, ${fmt(r.worst.bytes)} bytes)` : 'none'}`);
console.log(`  peak RSS      ${fmt(r.peakRssMb)} MB`);
const bad = r.committed !== r.messages || r.crashes > 0 || r.reconnects > 0 || r.outOfOrder > 0 || r.capturesMismatched > 0 || r.rawMismatched > 0;
process.exit(bad ? 1 : 0);
