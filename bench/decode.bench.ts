/**
 * Decode + model throughput against a bare double JSON.parse of the same bodies (the least any
 * consumer of the oslo envelope must do), measured in the same run. Also the model's memory for
 * a 1000-hypervisor fleet.
 */
import { ClusterModel, decodeMessage } from '@l2scope/domain';
import { type BenchMessage, fleetMessages, realMessages } from './workload';

function rate(msgs: BenchMessage[], rounds: number, fn: (m: BenchMessage, i: number) => void): number {
  // warm-up
  for (let i = 0; i < Math.min(msgs.length, 2000); i++) fn(msgs[i]!, i);
  const t0 = process.hrtime.bigint();
  let n = 0;
  for (let r = 0; r < rounds; r++) for (const m of msgs) fn(m, n++);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return n / s;
}

function baseline(m: BenchMessage): void {
  const outer = JSON.parse(m.body.toString('utf8')) as Record<string, unknown>;
  if (typeof outer['oslo.message'] === 'string') JSON.parse(outer['oslo.message']);
}

export interface DecodeBenchResult {
  workload: string;
  messages: number;
  baselineRate: number;
  decodeRate: number;
  decodeModelRate: number;
}

/** Run both workloads; returns the rates (msg/s). */
export function runDecodeBench(): DecodeBenchResult[] {
  const real = realMessages().map((r) => ({ exchange: r.exchange, routingKey: r.routingKey, body: Buffer.from(r.body) }));
  const fleet = fleetMessages(1000, 10);
  const out: DecodeBenchResult[] = [];
  for (const [name, msgs, rounds] of [
    ['real captures (lab1-3, ovs-try), repeated', real, Math.ceil(100_000 / real.length)],
    ['1000-host fleet, 10 ports each (re-addressed real casts)', fleet, 3],
  ] as const) {
    const baselineRate = rate(msgs, rounds, baseline);
    const decodeRate = rate(msgs, rounds, (m) => decodeMessage(m));
    let model = new ClusterModel();
    let seq = 0;
    const decodeModelRate = rate(msgs, rounds, (m) => {
      if (seq % msgs.length === 0) model = new ClusterModel();
      const d = decodeMessage(m);
      seq++;
      if (d.ok) model.apply(d.message, seq, seq);
    });
    out.push({ workload: name, messages: msgs.length * rounds, baselineRate, decodeRate, decodeModelRate });
  }
  return out;
}

/** Heap bytes the model holds for a fleet, per FDB entry. */
export function modelMemory(hosts: number, ports: number): { entries: number; bytes: number } {
  const msgs = fleetMessages(hosts, ports);
  const decoded = msgs.map((m) => decodeMessage(m));
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const model = new ClusterModel();
  decoded.forEach((d, i) => d.ok && model.apply(d.message, i, i + 1));
  globalThis.gc?.();
  const bytes = process.memoryUsage().heapUsed - before;
  const entries = model.snapshot().vteps.reduce((n, v) => n + v.macs.length + (v.flood ? 1 : 0), 0);
  if (entries === 0) throw new Error('model is empty');
  return { entries, bytes };
}
