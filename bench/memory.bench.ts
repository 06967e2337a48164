/**
 * The worker's memory at fleet size: a child process (a clean heap and RSS) decodes every cast
 * of {@link networkFleet} and folds it into the worker's `ClusterModel`, as the pipeline does,
 * and reports the model's heap and the process RSS. Run as a script it is that child.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterModel, decodeMessage } from '@l2scope/domain';
import { networkFleet } from './workload';

/** What {@link fleetMemory} measured. */
export interface FleetMemoryResult {
  hosts: number;
  networks: number;
  ports: number;
  /** Messages folded (report_state of every host + one add_fdb_entries fanout per port). */
  messages: number;
  /** Heap the model holds once every message is folded and garbage collected, bytes. */
  modelHeap: number;
  /** Process RSS then (the generated messages dropped), bytes. */
  rss: number;
  /** Peak RSS while folding (the generated messages held), bytes. */
  peakRss: number;
}

/** Fold a fleet of `hosts` x `networks` (each spanning `minSpan`..`maxSpan` hosts) in a child process. */
export function fleetMemory(hosts: number, networks: number, minSpan: number, maxSpan: number): FleetMemoryResult {
  const me = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', me, String(hosts), String(networks), String(minSpan), String(maxSpan)], {
    cwd: path.dirname(me),
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`fleet memory child failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as FleetMemoryResult;
}

function child(hosts: number, networks: number, minSpan: number, maxSpan: number): FleetMemoryResult {
  const gc = globalThis.gc ?? (() => {});
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const model = new ClusterModel();
  // the generated casts live only in fold(): dropped before the model is measured
  const fold = () => {
    const fleet = networkFleet(hosts, networks, minSpan, maxSpan);
    let peak = process.memoryUsage.rss();
    fleet.messages.forEach((m, i) => {
      const d = decodeMessage(m);
      if (d.ok) model.apply(d.message, 1_000 + i, i + 1);
      if (i % 10_000 === 0) peak = Math.max(peak, process.memoryUsage.rss());
    });
    return { ports: fleet.ports.length, messages: fleet.messages.length, peak };
  };
  const { ports, messages, peak: peakRss } = fold();
  gc();
  const modelHeap = process.memoryUsage().heapUsed - heapBefore;
  const rss = process.memoryUsage.rss();
  if (model.snapshot().vteps.length === 0) throw new Error('model is empty');
  return { hosts, networks, ports, messages, modelHeap, rss, peakRss: Math.max(peakRss, rss) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [h, n, lo, hi] = process.argv.slice(2).map(Number);
  console.log(JSON.stringify(child(h!, n!, lo!, hi!)));
}
