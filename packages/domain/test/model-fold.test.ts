/**
 * applyModelChanges (folding ModelChange[] into a snapshot) against ClusterModel.apply + snapshot()
 * on random change sequences built from the real captures (fixtures/*.jsonl): random interleavings
 * of several captures, re-deliveries, random batch boundaries. After every checked batch the
 * folded snapshot must equal the model's snapshot (same records, same order), the snapshot queries
 * must answer as the model does, and what the batch did not touch must be shared, not rebuilt.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ClusterModel,
  type DecodedMessage,
  L2POP_FANOUT_EXCHANGE,
  type ModelChange,
  type ModelSnapshot,
  applyModelChanges,
  decodeMessage,
  hostIn,
  hostOfVtepIn,
  modelChangeKey,
  modelEdits,
  networkEntriesIn,
  networkIn,
  networksByVtepIn,
  toldFdbOf,
  vtepEntriesIn,
  vtepPorts,
} from '../src';
import { FIXTURES, loadCapture } from './fixtures';
import { prng } from './prng';

const EMPTY: ModelSnapshot = { seq: 0, hosts: [], networks: [], vteps: [] };
const CAPTURES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.jsonl'))
  .map((f) => f.slice(0, -'.jsonl'.length))
  .sort();

interface Msg {
  msg: DecodedMessage;
  at: number;
}

const decoded = new Map<string, Msg[]>();
function messagesOf(capture: string): Msg[] {
  let out = decoded.get(capture);
  if (!out) {
    out = [];
    for (const r of loadCapture(capture)) {
      const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
      if (d.ok) out.push({ msg: d.message, at: r.ts.getTime() });
    }
    decoded.set(capture, out);
  }
  return out;
}

/** A random message sequence: 1-3 captures interleaved (each in its own order), some messages delivered twice. */
function randomSequence(rnd: () => number): Msg[] {
  const picked = [...CAPTURES].sort(() => rnd() - 0.5).slice(0, 1 + Math.floor(rnd() * 3));
  const queues = picked.map((c) => [...messagesOf(c)]);
  const out: Msg[] = [];
  while (queues.some((q) => q.length)) {
    const live = queues.filter((q) => q.length);
    const q = live[Math.floor(rnd() * live.length)]!;
    const m = q.shift()!;
    out.push(m);
    if (rnd() < 0.08) out.push(out[Math.floor(rnd() * out.length)]!);
  }
  return out;
}

/** The records of a snapshot keyed, for comparisons where the order may differ. */
const canonical = (s: ModelSnapshot) => ({
  seq: s.seq,
  hosts: [...s.hosts].sort((a, b) => a.id.localeCompare(b.id)),
  networks: [...s.networks].sort((a, b) => a.id.localeCompare(b.id)),
  vteps: [...s.vteps].sort((a, b) => `${a.network}/${a.vtep}`.localeCompare(`${b.network}/${b.vtep}`)),
});

/** `rows` in a canonical order, for comparisons where the order is not a property (see below). */
const sorted = <T>(rows: readonly T[]): T[] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/**
 * The snapshot's queries answer as the model's. `ordered: false` compares lists as sets: the
 * worker's coalesced windows emit a network's VTEP entries in window order, not the model's
 * insertion order (the stored projection has no order either: it is read back ordered by key).
 */
function expectQueriesLikeTheModel(s: ModelSnapshot, model: ClusterModel, ordered = true): void {
  const same = <T>(a: readonly T[], b: readonly T[]) => (ordered ? expect(a).toEqual(b) : expect(sorted(a)).toEqual(sorted(b)));
  for (const id of model.hostIds()) {
    expect(hostIn(s, id)).toEqual(model.host(id));
    same(toldFdbOf(s, id), model.toldFdb(id));
  }
  expect(toldFdbOf(s, 'no-such-host')).toEqual([]);
  const byVtep = networksByVtepIn(s);
  for (const n of model.networkViews()) {
    expect(networkIn(s, n.id)).toEqual(n);
    const entries = model.networkEntries(n.id);
    same(networkEntriesIn(s, n.id), entries);
    for (const e of entries) {
      expect(vtepEntriesIn(s, n.id, e.vtep)).toEqual(e);
      expect(hostOfVtepIn(s, e.vtep)).toBe(model.hostOfVtep(e.vtep));
      expect(byVtep.get(e.vtep)?.has(n.id)).toBe(true);
    }
  }
  expect(vtepEntriesIn(s, 'no-such-network', '192.0.2.1')).toBeUndefined();
}

describe('applyModelChanges vs ClusterModel.apply + snapshot() (real captures, random sequences)', () => {
  it('every capture folded message by message, then as one batch, equals the model', () => {
    for (const capture of CAPTURES) {
      const model = new ClusterModel();
      let s = EMPTY;
      const all: ModelChange[] = [];
      messagesOf(capture).forEach(({ msg, at }, i) => {
        const changes = model.apply(msg, at, i + 1);
        all.push(...changes);
        s = applyModelChanges(s, changes, i + 1);
        expect(s, `${capture} message ${i + 1}`).toEqual(model.snapshot());
      });
      expect(applyModelChanges(EMPTY, all, model.seq), capture).toEqual(model.snapshot());
      expectQueriesLikeTheModel(s, model);
    }
  });

  it('random interleavings and batch boundaries: equal after every batch; untouched arrays and records shared', () => {
    const rnd = prng(20261204);
    for (let round = 0; round < 60; round++) {
      const model = new ClusterModel();
      let s = EMPTY;
      let pending: ModelChange[] = [];
      let seq = 0;
      const maxBatch = 1 + Math.floor(rnd() * 12);
      const seqOf = randomSequence(rnd);
      for (let i = 0; i < seqOf.length; i++) {
        const { msg, at } = seqOf[i]!;
        pending.push(...model.apply(msg, at, ++seq));
        if (i < seqOf.length - 1 && rnd() * maxBatch >= 1) continue;
        const prev = s;
        s = applyModelChanges(prev, pending, seq);
        const touched = new Set(pending.map((c) => (c.type === 'host' || c.type === 'host_removed' ? 'hosts' : c.type === 'network' ? 'networks' : 'vteps')));
        for (const part of ['hosts', 'networks', 'vteps'] as const) if (!touched.has(part)) expect(s[part]).toBe(prev[part]);
        const changedKeys = new Set(pending.map(modelChangeKey));
        for (const h of s.hosts) if (!changedKeys.has(`host:${h.id}`)) expect(prev.hosts).toContain(h);
        for (const v of s.vteps) if (!changedKeys.has(`vtep:${v.network}/${v.vtep}`)) expect(prev.vteps).toContain(v);
        expect(s).toEqual(model.snapshot());
        if (rnd() < 0.25) expectQueriesLikeTheModel(s, model);
        pending = [];
      }
      expect(s).toEqual(model.snapshot());
      expectQueriesLikeTheModel(s, model);
    }
  });

  it("the worker's coalesced batches (one change per record, latest wins) give the same records", () => {
    const rnd = prng(7);
    for (let round = 0; round < 40; round++) {
      const model = new ClusterModel();
      let s = EMPTY;
      let window = new Map<string, ModelChange>();
      let seq = 0;
      for (const { msg, at } of randomSequence(rnd)) {
        for (const c of model.apply(msg, at, ++seq)) {
          window.delete(modelChangeKey(c));
          window.set(modelChangeKey(c), c);
        }
        if (rnd() < 0.3) {
          s = applyModelChanges(s, [...window.values()], seq);
          window = new Map();
        }
      }
      s = applyModelChanges(s, [...window.values()], seq);
      expect(canonical(s)).toEqual(canonical(model.snapshot()));
      // a live batch the snapshot already holds changes nothing (absolute changes)
      const again = applyModelChanges(
        s,
        model.snapshot().hosts.map((host) => ({ type: 'host' as const, host })),
      );
      expect(again).toEqual(s);
      expectQueriesLikeTheModel(s, model, false);
    }
  });

  it('order only: a host created, another created, then the first changed again by one message comes after the other', () => {
    const body = JSON.stringify({
      'oslo.version': '2.0',
      'oslo.message': JSON.stringify({
        method: 'add_fdb_entries',
        args: {
          fdb_entries: {
            A: {
              segment_id: 1,
              network_type: 'vxlan',
              ports: { '10.0.0.1': [['fa:16:3e:00:00:01', '10.1.0.1']], '10.0.0.2': [['fa:16:3e:00:00:02', '10.1.0.2']] },
            },
            B: { segment_id: 2, network_type: 'vxlan', ports: { '10.0.0.1': [['fa:16:3e:00:00:03', '10.2.0.1']] } },
          },
        },
      }),
    });
    const d = decodeMessage({ exchange: L2POP_FANOUT_EXCHANGE, routingKey: '', body });
    if (!d.ok) throw new Error(d.error.message);
    const model = new ClusterModel();
    const s = applyModelChanges(EMPTY, model.apply(d.message, 1, 1), 1);
    expect(s.hosts.map((h) => h.id)).toEqual(['vtep:10.0.0.2', 'vtep:10.0.0.1']);
    expect(model.snapshot().hosts.map((h) => h.id)).toEqual(['vtep:10.0.0.1', 'vtep:10.0.0.2']);
    expect(canonical(s)).toEqual(canonical(model.snapshot()));
    expect(s.vteps).toEqual(model.snapshot().vteps);
  });

  it('returns the snapshot itself for no change; only seq moves for a newer empty batch; a removal of nothing is a no-op', () => {
    const model = new ClusterModel();
    messagesOf('lab3').forEach(({ msg, at }, i) => model.apply(msg, at, i + 1));
    const s = model.snapshot();
    expect(applyModelChanges(s, [])).toBe(s);
    expect(applyModelChanges(s, [], s.seq - 1)).toBe(s);
    const later = applyModelChanges(s, [], s.seq + 5);
    expect(later.seq).toBe(s.seq + 5);
    expect([later.hosts, later.networks, later.vteps]).toEqual([s.hosts, s.networks, s.vteps]);
    expect(later.hosts).toBe(s.hosts);
    const none = applyModelChanges(s, [
      { type: 'host_removed', id: 'nobody' },
      { type: 'vtep_removed', network: 'nowhere', vtep: '192.0.2.9' },
    ]);
    expect(none).toEqual(s);
    expect(none.networks).toBe(s.networks);
  });

  it('a report_state batch of one host replaces that record only, in place', () => {
    const model = new ClusterModel();
    const msgs = messagesOf('lab3');
    msgs.forEach(({ msg, at }, i) => model.apply(msg, at, i + 1));
    const s = model.snapshot();
    const report = msgs.find((m) => m.msg.kind === 'report_state')!;
    const changes = model.apply(report.msg, report.at + 1000, msgs.length + 1);
    expect(changes.map((c) => c.type)).toEqual(['host']);
    const next = applyModelChanges(s, changes, msgs.length + 1);
    expect(next).toEqual(model.snapshot());
    expect(next.vteps).toBe(s.vteps);
    expect(next.networks).toBe(s.networks);
    const i = next.hosts.findIndex((h) => changes[0]!.type === 'host' && h.id === changes[0]!.host.id);
    next.hosts.forEach((h, k) => (k === i ? expect(h).not.toBe(s.hosts[k]) : expect(h).toBe(s.hosts[k])));
    // the told FDB of the other hosts is reused (memoised per host record and network entries)
    const other = next.hosts.find((_, k) => k !== i && Object.keys(next.hosts[k]!.networks).length > 0)!;
    expect(toldFdbOf(next, other.id)).toBe(toldFdbOf(s, other.id));
  });

  it('modelEdits: the last change per record wins; a record removed then upserted again is re-created and folds to the end', () => {
    const host = (id: string, vtep: string) => ({
      id,
      name: id,
      vtep,
      agentType: null,
      binary: null,
      l2population: true,
      arpResponder: false,
      distributedRouting: false,
      tunnelTypes: ['vxlan'],
      devices: null,
      startedAt: null,
      lastReportAt: null,
      networks: {},
    });
    const entries = (vtep: string) => ({ network: 'n1', vtep, flood: true, macs: [], neigh: {}, updatedAt: 1 });
    const base: ModelSnapshot = { seq: 1, hosts: [host('a', '10.0.0.1'), host('b', '10.0.0.2')], networks: [], vteps: [entries('10.0.0.1')] };
    const a2 = host('a', '10.0.0.9');
    const changes: ModelChange[] = [
      { type: 'host', host: host('a', '10.0.0.5') },
      { type: 'host_removed', id: 'a' },
      { type: 'host', host: host('c', '10.0.0.3') },
      { type: 'host', host: a2 },
      { type: 'vtep_removed', network: 'n1', vtep: '10.0.0.1' },
      { type: 'vtep', entries: entries('10.0.0.2') },
      { type: 'vtep_removed', network: 'n1', vtep: '10.0.0.2' },
    ];
    const e = modelEdits(changes);
    expect([...e.hosts.values()]).toEqual([
      { key: 'c', value: host('c', '10.0.0.3'), recreated: false },
      { key: 'a', value: a2, recreated: true },
    ]);
    expect(e.networks.size).toBe(0);
    expect([...e.vteps.values()]).toEqual([
      { key: { network: 'n1', vtep: '10.0.0.1' }, value: null, recreated: false },
      { key: { network: 'n1', vtep: '10.0.0.2' }, value: null, recreated: false },
    ]);
    const s = applyModelChanges(base, changes, 2);
    expect(s.hosts.map((h) => h.id)).toEqual(['b', 'c', 'a']);
    expect(s.hosts[2]).toBe(a2);
    expect(s.vteps).toEqual([]);
    expect(s.networks).toBe(base.networks);
  });

  it('vtepPorts: unicast MACs with the IPs of their neighbour rows, memoised per entries object', () => {
    const e = {
      network: 'n',
      vtep: '1.1.1.1',
      flood: true,
      macs: ['fa:16:3e:00:00:02', 'fa:16:3e:00:00:01'],
      neigh: { '10.0.0.1': 'fa:16:3e:00:00:01', '10.0.0.9': 'fa:16:3e:00:00:09' },
      updatedAt: 0,
    };
    expect(vtepPorts(e)).toEqual([
      { mac: 'fa:16:3e:00:00:01', ips: ['10.0.0.1'] },
      { mac: 'fa:16:3e:00:00:02', ips: [] },
      { mac: 'fa:16:3e:00:00:09', ips: ['10.0.0.9'] },
    ]);
    expect(vtepPorts(e)).toBe(vtepPorts(e));
    expect(vtepPorts(undefined)).toEqual([]);
  });
});
