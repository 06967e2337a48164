/** Helpers over the real captures in <repo>/fixtures for the node-state tests. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { type NodeAnalysis, analyzeNodes, snapshotsFromBundle } from '../../src';
import { FIXTURES, loadCapture, modelAt, snapshotTimes } from '../fixtures';

/** Every file of a snapshot directory, by name. */
export function bundleFilesOf(scenario: string, step: string): Record<string, string> {
  const dir = path.join(FIXTURES, scenario, step);
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) if (statSync(path.join(dir, f)).isFile()) out[f] = readFileSync(path.join(dir, f), 'utf8');
  return out;
}

/** Step directories of a scenario that have a `snapshot <step>` line in events.tsv, in time order. */
export function stepsOf(scenario: string): string[] {
  return [...snapshotTimes(scenario)].sort((a, b) => a[1] - b[1]).map(([s]) => s);
}

/**
 * Analyse one step: the capture replayed up to the step's snapshot time, the step's bundle
 * (optionally edited first, to inject a fault into a copy of real data).
 */
export function analyzeStep(scenario: string, step: string, edit?: (files: Record<string, string>) => void): NodeAnalysis {
  const at = snapshotTimes(scenario).get(step);
  if (at === undefined) throw new Error(`no snapshot ${step} in ${scenario}/events.tsv`);
  const files = bundleFilesOf(scenario, step);
  edit?.(files);
  const { snapshots } = snapshotsFromBundle(files, { takenAt: at });
  return analyzeNodes({ model: modelAt(loadCapture(scenario), at), snapshots });
}

/** `class mac ip vtep` lines of one host's drift. */
export function driftLines(a: NodeAnalysis, host: string): string[] {
  return a.hosts[host]!.drift.map((d) => `${d.class} ${d.mac ?? '-'} ${d.ip ?? '-'} ${d.vtep ?? '-'}`);
}

/** A host's foreign MACs (learned, never announced by l2pop; not drift) as `foreign_mac <mac> <ip|-> <vtep|->`. */
export function foreignLines(a: NodeAnalysis, host: string): string[] {
  return a.hosts[host]!.foreignMacs.map((d) => `${d.class} ${d.mac} ${d.ip ?? '-'} ${d.vtep ?? '-'}`);
}

/** Drift lines, then foreign-MAC lines. */
export function itemLines(a: NodeAnalysis, host: string): string[] {
  return [...driftLines(a, host), ...foreignLines(a, host)];
}

/** Edit a JSON file of a bundle in place. */
export function editJson<T>(files: Record<string, string>, name: string, f: (v: T) => T | void): void {
  const v = JSON.parse(files[name]!) as T;
  const r = f(v);
  files[name] = JSON.stringify(r === undefined ? v : r);
}
