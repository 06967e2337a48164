/**
 * What a live model batch costs the browser: the batch is folded by the domain's applyModelChanges
 * (no ClusterModel), what it did not touch is shared with the previous state, and the derived views
 * (sorted networks, told FDB per host, ports) are reused for what did not change.
 */
import { type ModelChange, toldFdbOf } from '@l2scope/domain';
import { describe, expect, it } from 'vitest';
import { applyModelBatch, modelFromSnapshot, portsOf, sortedNetworks, vtepEntriesOf } from '../src/state/model';
import { buildTopology } from '../src/topology/graph';
import { replay, stepTime } from './fixtures';

describe('browser model: only what a batch changed is rebuilt (lab3 capture, ports active)', () => {
  const full = replay('lab3', stepTime('lab3', '1-ports-active'));
  const state = modelFromSnapshot(full.model.snapshot());
  const host = state.snapshot.hosts.find((h) => h.name !== null && h.vtep !== null)!;
  const report: ModelChange = { type: 'host', host: { ...host, lastReportAt: (host.lastReportAt ?? 0) + 30_000 } };

  it('a report_state batch replaces one host record and shares the networks, the VTEP entries and the other hosts', () => {
    const next = applyModelBatch(state, { seq: state.seq + 1, changes: [report] });
    expect(next.seq).toBe(state.seq + 1);
    expect(next.snapshot.vteps).toBe(state.snapshot.vteps);
    expect(next.snapshot.networks).toBe(state.snapshot.networks);
    expect(next.snapshot.hosts.filter((h, i) => h !== state.snapshot.hosts[i]).map((h) => h.id)).toEqual([host.id]);
    expect(sortedNetworks(next)).toBe(sortedNetworks(state));
    for (const h of state.snapshot.hosts) {
      if (h.id === host.id) expect(toldFdbOf(next.snapshot, h.id)).toEqual(toldFdbOf(state.snapshot, h.id));
      else expect(toldFdbOf(next.snapshot, h.id)).toBe(toldFdbOf(state.snapshot, h.id));
    }
    expect(buildTopology(next, { selectedNetwork: null, selectedHost: null })).toEqual(buildTopology(state, { selectedNetwork: null, selectedHost: null }));
  });

  it('a port added on one VTEP: its entries and the told FDB of that network change, the rest is reused', () => {
    const v = state.snapshot.vteps[0]!;
    const entries = { ...v, macs: [...v.macs, 'fa:16:3e:99:99:99'].sort(), updatedAt: v.updatedAt + 1 };
    const next = applyModelBatch(state, { seq: state.seq + 1, changes: [{ type: 'vtep', entries }] });
    expect(next.snapshot.hosts).toBe(state.snapshot.hosts);
    expect(vtepEntriesOf(next, v.network, v.vtep)).toBe(entries);
    expect(portsOf(entries).map((p) => p.mac)).toContain('fa:16:3e:99:99:99');
    for (const e of state.snapshot.vteps.slice(1)) expect(portsOf(vtepEntriesOf(next, e.network, e.vtep))).toBe(portsOf(e));
    const told = state.snapshot.hosts.find((h) => h.vtep !== v.vtep && h.networks[v.network])!;
    expect(toldFdbOf(next.snapshot, told.id)).not.toEqual(toldFdbOf(state.snapshot, told.id));
    expect(
      toldFdbOf(next.snapshot, told.id)
        .find((n) => n.network === v.network)!
        .fdb.some((r) => r.mac === 'fa:16:3e:99:99:99'),
    ).toBe(true);
  });
});
