/** Test helpers over the real Neutron captures in <repo>/fixtures (copied from the lab recorded on this machine kind). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ClusterModel, type CaptureRecord, decodeMessage, parseCapture } from '../src';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

export function readFixture(...parts: string[]): string {
  return readFileSync(path.join(FIXTURES, ...parts), 'utf8');
}

export function loadCapture(scenario: string): CaptureRecord[] {
  const { records, errors } = parseCapture(readFixture(`${scenario}.jsonl`));
  if (errors.length) throw new Error(`bad capture lines: ${JSON.stringify(errors)}`);
  return records;
}

/** Step name -> epoch ms at which its snapshot was taken, from `<lab>/events.tsv` ("snapshot <step>" lines). */
export function snapshotTimes(scenario: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFixture(scenario, 'events.tsv').split('\n')) {
    const [epoch, text] = line.split('\t');
    const m = /^snapshot (\S+)$/.exec(text ?? '');
    if (m && epoch) out.set(m[1]!, Math.round(Number.parseFloat(epoch) * 1000));
  }
  return out;
}

/** Replay a capture into a fresh model, up to (and including) `untilMs`. */
export function modelAt(records: CaptureRecord[], untilMs = Infinity): ClusterModel {
  const model = new ClusterModel();
  let seq = 0;
  for (const r of records) {
    if (r.ts.getTime() > untilMs) break;
    seq++;
    const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
    if (d.ok) model.apply(d.message, r.ts.getTime(), seq);
  }
  return model;
}
