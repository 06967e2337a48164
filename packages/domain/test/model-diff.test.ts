/**
 * `diffModels` on the real lab3 capture: from the model with the ports up to the model at the end
 * (ports deleted), and a host whose agent switched l2pop off.
 */
import { describe, expect, it } from 'vitest';
import { ClusterModel, type ModelSnapshot, decodeMessage, diffModels } from '../src';
import { loadCapture } from './fixtures';

function snapshots(): ModelSnapshot[] {
  const m = new ClusterModel();
  return loadCapture('lab3').map((r, i) => {
    const d = decodeMessage(r);
    if (d.ok) m.apply(d.message, r.ts.getTime(), i + 1);
    return m.snapshot();
  });
}

describe('diffModels', () => {
  const all = snapshots();
  const fullest = all.reduce((best, s) => (s.vteps.flatMap((v) => v.macs).length > best.vteps.flatMap((v) => v.macs).length ? s : best));
  const end = all[all.length - 1]!;

  it('nothing changed between a model and itself, heartbeats included', () => {
    expect(diffModels(end, end)).toEqual({ hosts: [], networks: [], vteps: [], total: 0, truncated: false });
    const beat = { ...end, hosts: end.hosts.map((h) => ({ ...h, lastReportAt: (h.lastReportAt ?? 0) + 30_000, devices: 9 })) };
    expect(diffModels(end, beat).total).toBe(0);
  });

  it('the ports deleted between the fullest model and the end, and back the other way', () => {
    const macs = (s: ModelSnapshot) => new Set(s.vteps.flatMap((v) => v.macs));
    const gone = [...macs(fullest)].filter((m) => !macs(end).has(m)).sort();
    expect(gone.length).toBeGreaterThan(0);
    const d = diffModels(fullest, end);
    expect(d.vteps.flatMap((v) => v.macsRemoved).sort()).toEqual(gone);
    expect(d.vteps.flatMap((v) => v.macsAdded)).toEqual([]);
    expect(
      diffModels(end, fullest)
        .vteps.flatMap((v) => v.macsAdded)
        .sort(),
    ).toEqual(gone);
  });

  it('names an agent mode change, and cuts lists at the limit', () => {
    const off = { ...end, hosts: end.hosts.map((h) => (h.id === 'compute1' ? { ...h, l2population: false } : h)) };
    expect(diffModels(end, off).hosts).toEqual([
      { host: 'compute1', change: 'changed', fields: [{ field: 'l2population', before: 'true', after: 'false' }], joined: [], left: [] },
    ]);
    const d = diffModels(fullest, end, 1);
    expect(d.vteps.length).toBe(1);
    expect(d.truncated).toBe(diffModels(fullest, end).vteps.length > 1);
  });
});
