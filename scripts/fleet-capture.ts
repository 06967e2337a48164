/**
 * Write a synthetic fleet capture (re-addressed real lab3 casts, bench/workload.ts) for the worker
 * to replay:
 *
 *   npx tsx scripts/fleet-capture.ts --hosts 1000 --networks 300 --out data/fleet.jsonl
 *   npm start -- --replay data/fleet.jsonl --speed 0
 */
import { Command } from 'commander';
import { writeFleetCapture } from '../bench/fleet-capture';

const o = new Command()
  .requiredOption('--out <file>', 'capture file to write')
  .option('--hosts <n>', 'hypervisors', '1000')
  .option('--networks <n>', 'VXLAN networks', '300')
  .option('--min-span <n>', 'fewest hosts per network', '20')
  .option('--max-span <n>', 'most hosts per network', '50')
  .option('--rack <n>', 'hosts per rack (compute-r<rack>-<host>; 0: compute-<host>.bench)', '40')
  .parse()
  .opts<{ out: string; hosts: string; networks: string; minSpan: string; maxSpan: string; rack: string }>();

const n = writeFleetCapture(o.out, { hosts: +o.hosts, networks: +o.networks, minSpan: +o.minSpan, maxSpan: +o.maxSpan, rack: +o.rack });
console.log(`${o.out}: ${n} messages (${o.hosts} hosts, ${o.networks} networks)`);
