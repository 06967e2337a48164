import { ClusterModel } from '@l2scope/domain';
import { describe, expect, it } from 'vitest';
import { applyModelBatch, earlySnapshotWhole, joinSnapshot, modelFromSnapshot, modelToSnapshot, portsOf, vtepEntriesOf } from '../src/state/model';
import { createL2Store } from '../src/state/store';
import { replay } from './fixtures';

// seq aside: the worker's model counts every message, batches only those that changed something
const norm = (s: ReturnType<ClusterModel['snapshot']>) => ({
  hosts: [...s.hosts].sort((a, b) => a.id.localeCompare(b.id)),
  networks: [...s.networks].sort((a, b) => a.id.localeCompare(b.id)),
  vteps: [...s.vteps].sort((a, b) => `${a.network}/${a.vtep}`.localeCompare(`${b.network}/${b.vtep}`)),
});

describe('browser model (lab3 capture)', () => {
  const full = replay('lab3');

  it('folding every batch onto an empty snapshot gives the worker model', () => {
    let s = modelFromSnapshot({ seq: 0, hosts: [], networks: [], vteps: [] });
    for (const b of full.batches) s = applyModelBatch(s, b);
    expect(norm(modelToSnapshot(s))).toEqual(norm(full.model.snapshot()));
  });

  it('ignores batches not newer than the state', () => {
    const s = modelFromSnapshot(full.model.snapshot());
    const first = full.batches[0]!;
    expect(applyModelBatch(s, first)).toBe(s);
  });

  it('snapshot + buffered batches (some already contained) converge, at every cut point', () => {
    for (let cut = 0; cut < full.batches.length; cut += 3) {
      const upTo = full.batches[cut]!.seq;
      // the snapshot as of `upTo`: rebuild from the batches folded so far
      let s = modelFromSnapshot({ seq: 0, hosts: [], networks: [], vteps: [] });
      for (const b of full.batches) if (b.seq <= upTo) s = applyModelBatch(s, b);
      const snapshot = { ...modelToSnapshot(s), seq: upTo };
      const store = createL2Store();
      store.dispatch({ type: 'model/syncStart', gen: 1 });
      // the socket delivered a few batches already in the snapshot, then newer ones, before the snapshot landed
      for (const b of full.batches.slice(Math.max(0, cut - 2), cut + 4)) store.dispatch({ type: 'model/batch', batch: b });
      store.dispatch({ type: 'model/snapshot', gen: 1, snapshot });
      for (const b of full.batches.slice(cut + 4)) store.dispatch({ type: 'model/batch', batch: b });
      expect(norm(modelToSnapshot(store.getState().model.state))).toEqual(norm(full.model.snapshot()));
    }
  });

  it('the two parts read at different seqs, joined, plus the buffered batches, converge', () => {
    const asOf = (i: number) => {
      let s = modelFromSnapshot({ seq: 0, hosts: [], networks: [], vteps: [] });
      for (const b of full.batches.slice(0, i + 1)) s = applyModelBatch(s, b);
      return { ...modelToSnapshot(s), seq: full.batches[i]!.seq };
    };
    const n = full.batches.length;
    const cuts = [0, 3, Math.floor(n / 3), Math.floor(n / 2), n - 2].filter((c) => c >= 0 && c < n);
    let partialsShown = 0;
    for (const i of cuts) {
      for (const j of cuts) {
        const hosts = { ...asOf(i), vteps: [] };
        const vteps = { seq: full.batches[j]!.seq, vteps: asOf(j).vteps };
        const store = createL2Store();
        store.dispatch({ type: 'model/syncStart', gen: 1 });
        // the sync started before both reads: every batch after the lower cut arrives buffered
        for (const b of full.batches.slice(Math.min(i, j) + 1, Math.max(i, j) + 3)) store.dispatch({ type: 'model/batch', batch: b });
        store.dispatch({ type: 'model/partial', gen: 1, snapshot: hosts });
        const partial = store.getState().model;
        expect(partial.status).toBe('ready');
        expect(partial.state.snapshot.vteps).toEqual([]);
        partialsShown++;
        store.dispatch({ type: 'model/snapshot', gen: 1, snapshot: joinSnapshot(hosts, vteps) });
        for (const b of full.batches.slice(Math.max(i, j) + 3)) store.dispatch({ type: 'model/batch', batch: b });
        expect(norm(modelToSnapshot(store.getState().model.state)), `hosts at ${i}, vteps at ${j}`).toEqual(norm(full.model.snapshot()));
      }
    }
    expect(partialsShown).toBe(cuts.length ** 2);
  });

  it('a snapshot read before the socket joined: whole (folded with what the socket got) only when read at or after the join', () => {
    const asOf = (i: number) => {
      let s = modelFromSnapshot({ seq: 0, hosts: [], networks: [], vteps: [] });
      for (const b of full.batches.slice(0, i + 1)) s = applyModelBatch(s, b);
      return modelToSnapshot(s);
    };
    const n = full.batches.length;
    const cuts = [0, 3, Math.floor(n / 3), Math.floor(n / 2), n - 2].filter((c) => c >= 0 && c < n);
    for (const read of cuts) {
      for (const join of cuts) {
        // the socket joined after batch `join`: it gets every batch after it
        const sub = { modelSeq: full.batches[join]!.seq, modelSkippedAt: null };
        const snapshot = asOf(read);
        const whole = earlySnapshotWhole(snapshot.seq, sub);
        expect(whole, `read at ${read}, joined at ${join}`).toBe(read >= join);
        const store = createL2Store();
        store.dispatch({ type: 'model/syncStart', gen: 1 });
        store.dispatch({ type: 'model/partial', gen: 1, snapshot: { ...snapshot, vteps: [] } });
        for (const b of full.batches.slice(join + 1, join + 4)) store.dispatch({ type: 'model/batch', batch: b });
        // the whole early snapshot replaces the hosts' part; the live batches stay buffered
        store.dispatch({ type: 'model/partial', gen: 1, snapshot });
        expect(store.getState().model.state.snapshot).toBe(snapshot);
        if (!whole) continue; // LiveSync fetches again: the batches between the read and the join are not there
        store.dispatch({ type: 'model/snapshot', gen: 1, snapshot });
        for (const b of full.batches.slice(join + 4)) store.dispatch({ type: 'model/batch', batch: b });
        expect(norm(modelToSnapshot(store.getState().model.state)), `read at ${read}, joined at ${join}`).toEqual(norm(full.model.snapshot()));
      }
    }
    const last = full.batches[n - 1]!.seq;
    expect(earlySnapshotWhole(last, { modelSeq: null, modelSkippedAt: null })).toBe(false); // the worker cannot tell (Redis)
    expect(earlySnapshotWhole(last, { modelSeq: last, modelSkippedAt: last })).toBe(false); // hosts expired at the same seq
    expect(earlySnapshotWhole(last, { modelSeq: last, modelSkippedAt: last - 1 })).toBe(true);
  });

  it('a partial model is shown on the first load only, not over a whole one on a resync', () => {
    let s = modelFromSnapshot({ seq: 0, hosts: [], networks: [], vteps: [] });
    for (const b of full.batches.slice(0, Math.floor(full.batches.length / 2))) s = applyModelBatch(s, b);
    const whole = modelToSnapshot(s);
    expect(whole.vteps.length).toBeGreaterThan(0);
    const store = createL2Store();
    store.dispatch({ type: 'model/syncStart', gen: 1 });
    store.dispatch({ type: 'model/snapshot', gen: 1, snapshot: whole });
    store.dispatch({ type: 'model/syncStart', gen: 2 });
    store.dispatch({ type: 'model/partial', gen: 2, snapshot: { ...whole, vteps: [] } });
    expect(store.getState().model.state.snapshot.vteps).toEqual(whole.vteps);
  });

  it('drops a stale snapshot answer (older generation)', () => {
    const store = createL2Store();
    store.dispatch({ type: 'model/syncStart', gen: 1 });
    store.dispatch({ type: 'model/syncStart', gen: 2 });
    store.dispatch({ type: 'model/snapshot', gen: 1, snapshot: full.model.snapshot() });
    expect(store.getState().model.status).toBe('loading');
    store.dispatch({ type: 'model/snapshot', gen: 2, snapshot: full.model.snapshot() });
    expect(store.getState().model.status).toBe('ready');
  });

  it('ports come from the VTEP entries, IPs from neighbour rows', () => {
    expect(
      portsOf({
        network: 'n',
        vtep: '1.1.1.1',
        flood: true,
        macs: ['fa:16:3e:00:00:02', 'fa:16:3e:00:00:01'],
        neigh: { '10.0.0.1': 'fa:16:3e:00:00:01' },
        updatedAt: 0,
      }),
    ).toEqual([
      { mac: 'fa:16:3e:00:00:01', ips: ['10.0.0.1'] },
      { mac: 'fa:16:3e:00:00:02', ips: [] },
    ]);
    const s = modelFromSnapshot(full.model.snapshot());
    expect(vtepEntriesOf(s, 'nope', '1.2.3.4')).toBeUndefined();
  });
});
