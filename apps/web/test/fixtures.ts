/** Test helpers: replay the real lab captures (<repo>/fixtures) through the domain model, keeping each message's changes. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureBumReport } from '@l2scope/testkit';
import {
  type BumReport,
  ClusterModel,
  type FullNodeSnapshot,
  type ModelChange,
  type NodeAnalysis,
  analyzeNodes,
  decodeMessage,
  parseCapture,
  snapshotsFromBundle,
} from '@l2scope/domain';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

export interface Replayed {
  model: ClusterModel;
  /** One batch per message that changed the model: `{ seq, changes }`, as the worker would emit them. */
  batches: { seq: number; changes: ModelChange[]; at: number }[];
}

/** Replay a capture (until `untilMs`) into a fresh model. */
export function replay(scenario: string, untilMs = Infinity): Replayed {
  const { records, errors } = parseCapture(readFileSync(path.join(FIXTURES, `${scenario}.jsonl`), 'utf8'));
  if (errors.length) throw new Error(`bad capture: ${JSON.stringify(errors)}`);
  const model = new ClusterModel();
  const batches: Replayed['batches'] = [];
  let seq = 0;
  for (const r of records) {
    if (r.ts.getTime() > untilMs) break;
    seq++;
    const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
    if (!d.ok) continue;
    const changes = model.apply(d.message, r.ts.getTime(), seq);
    if (changes.length) batches.push({ seq, changes, at: r.ts.getTime() });
  }
  return { model, batches };
}

/** Epoch ms of a lab step's snapshot (`<lab>/events.tsv`). */
export function stepTime(scenario: string, step: string): number {
  for (const line of readFileSync(path.join(FIXTURES, scenario, 'events.tsv'), 'utf8').split('\n')) {
    const [epoch, text] = line.split('\t');
    if (text === `snapshot ${step}` && epoch) return Math.round(Number.parseFloat(epoch) * 1000);
  }
  throw new Error(`no step ${step} in ${scenario}`);
}

/** The host view of a lab step, computed as the worker does: the capture up to the step, the step's real support bundle, `analyzeNodes`. */
export function analyseStep(scenario: string, step: string): { model: ClusterModel; snapshots: FullNodeSnapshot[]; analysis: NodeAnalysis } {
  const { model } = replay(scenario, stepTime(scenario, step));
  const dir = path.join(FIXTURES, scenario, step);
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (statSync(path.join(dir, f)).isFile()) files[f] = readFileSync(path.join(dir, f), 'utf8');
  const { snapshots } = snapshotsFromBundle(files);
  return { model, snapshots, analysis: analyzeNodes({ model, snapshots }) };
}

/** A BUM report metered from a lab host's real underlay capture (`fixtures/bum/<lab>`). */
export const bumReport = (lab: string, host: string, vtep: string): BumReport => fixtureBumReport(path.join(FIXTURES, 'bum', lab), host, vtep);
