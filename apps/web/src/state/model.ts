/**
 * The browser's copy of the l2pop cluster model: a snapshot (from `topology.snapshot`) with the
 * worker's live `model` batches folded in by the domain's `applyModelChanges`. Pure functions, no
 * React, no I/O.
 *
 * Changes are absolute (upsert or removal of one record, keyed by `modelChangeKey`), so
 * re-applying a change is harmless; a batch is applied only when its `seq` is newer than the
 * state's (older batches are already contained in the snapshot).
 *
 * Per batch only what changed is rebuilt: `applyModelChanges` copies the arrays the batch touched
 * and shares the rest (a batch of `report_state`s copies the hosts array, and shares the networks,
 * the VTEP entries and every other host record). No `ClusterModel` is built in the browser: the
 * told FDB, VTEP owners and ports come from the domain's snapshot queries (`toldFdbOf`, memoised per
 * host record; `hostOfVtepIn`, `vtepEntriesIn`, `vtepPorts`, indexed once per array).
 */
import {
  type HostView,
  type LiveSubscribed,
  type ModelBatch,
  type ModelSnapshot,
  type NetworkView,
  type VtepEntries,
  type VtepPort,
  applyModelChanges,
  vtepEntriesIn,
  vtepPorts,
} from '@l2scope/domain';

/**
 * Immutable model state: a new object per applied batch (cheap identity checks for React); its
 * snapshot's arrays and records are shared with the previous state where the batch did not change them.
 */
export interface ModelState {
  /** Id of the last message folded in (`snapshot.seq`). */
  readonly seq: number;
  /** The model as plain data (treat as immutable). */
  readonly snapshot: ModelSnapshot;
}

/** A live `model` batch as the worker emits it (the domain's live contract). */
export type { ModelBatch } from '@l2scope/domain';

/** The empty model (before any snapshot). */
export const EMPTY_MODEL: ModelState = { seq: 0, snapshot: { seq: 0, hosts: [], networks: [], vteps: [] } };

/** Build the state from a snapshot (kept as it is: do not mutate it afterwards). */
export function modelFromSnapshot(s: ModelSnapshot): ModelState {
  return { seq: s.seq, snapshot: s };
}

/**
 * Join the two parts of a snapshot read apart (`topology.snapshot({ vteps: false })` and
 * `topology.vteps`), possibly at different `seq`s: at the lower one, so that folding the live
 * batches buffered since the sync started (every one after it) brings both parts to the newest
 * state. Changes are absolute, so a change the newer part already holds, applied again before
 * the changes after it, ends on the same value.
 */
export function joinSnapshot(hosts: ModelSnapshot, vteps: { seq: number; vteps: VtepEntries[] }): ModelSnapshot {
  return { seq: Math.min(hosts.seq, vteps.seq), hosts: hosts.hosts, networks: hosts.networks, vteps: vteps.vteps };
}

/**
 * Whether a snapshot read at `seq` (the joined seq of both parts) before the socket was connected
 * is whole once folded with the batches the socket got: every change after `seq` reaches the
 * socket (`seq >= modelSeq`), and no change skipped by the worker (an expired host: no message id
 * orders it) may postdate the read (`seq > modelSkippedAt`, unless it never skipped). False when the worker cannot tell
 * (`modelSeq` null): the snapshot must be fetched again, connected.
 */
export function earlySnapshotWhole(seq: number, sub: LiveSubscribed): boolean {
  return sub.modelSeq !== null && seq >= sub.modelSeq && (sub.modelSkippedAt === null || seq > sub.modelSkippedAt);
}

/**
 * Fold a batch into the state. Returns the same state object when the batch is not newer than
 * it (`batch.seq <= state.seq`), so callers can skip re-rendering.
 */
export function applyModelBatch(state: ModelState, batch: ModelBatch): ModelState {
  if (batch.seq <= state.seq) return state;
  const snapshot = applyModelChanges(state.snapshot, batch.changes, batch.seq);
  return { seq: snapshot.seq, snapshot };
}

/**
 * Apply the batches buffered while a snapshot was being fetched: only those newer than the
 * snapshot, in arrival order.
 */
export function applyBuffered(state: ModelState, buffered: readonly ModelBatch[]): ModelState {
  let s = state;
  for (const b of buffered) s = applyModelBatch(s, b);
  return s;
}

/** The state back as a plain snapshot (the state's own: do not mutate it). */
export function modelToSnapshot(state: ModelState): ModelSnapshot {
  return state.snapshot;
}

/** Memoise a derivation per array object (arrays are shared between states while unchanged). */
function perArray<T extends object, R>(): (arr: readonly T[], make: (arr: readonly T[]) => R) => R {
  const cache = new WeakMap<readonly T[], R>();
  return (arr, make) => {
    let r = cache.get(arr);
    if (r === undefined) {
      r = make(arr);
      cache.set(arr, r);
    }
    return r;
  };
}

const hostsSorted = perArray<HostView, HostView[]>();
const networksSorted = perArray<NetworkView, NetworkView[]>();
const memberCounts = perArray<HostView, Map<string, number>>();

/** Hosts sorted for display: named hosts by name, then anonymous VTEPs by IP. Memoised per hosts array: do not mutate. */
export function sortedHosts(state: ModelState): HostView[] {
  return hostsSorted(state.snapshot.hosts, (hosts) =>
    [...hosts].sort((a, b) => {
      if ((a.name === null) !== (b.name === null)) return a.name === null ? 1 : -1;
      return (a.name ?? a.vtep ?? a.id).localeCompare(b.name ?? b.vtep ?? b.id, undefined, { numeric: true });
    }),
  );
}

/** Networks sorted by VNI (unknown VNIs last), then id. Memoised per networks array: do not mutate. */
export function sortedNetworks(state: ModelState): NetworkView[] {
  return networksSorted(state.snapshot.networks, (networks) =>
    [...networks].sort((a, b) => (a.vni ?? Infinity) - (b.vni ?? Infinity) || a.id.localeCompare(b.id)),
  );
}

/** Network id -> how many hosts are members of it (hosts whose agent holds the network), for the network pickers. Memoised per hosts array. */
export function networkMemberCounts(state: ModelState): ReadonlyMap<string, number> {
  return memberCounts(state.snapshot.hosts, (hosts) => {
    const m = new Map<string, number>();
    for (const h of hosts) for (const n of Object.keys(h.networks)) m.set(n, (m.get(n) ?? 0) + 1);
    return m;
  });
}

/** One (network, vtep)'s entries, or undefined. */
export function vtepEntriesOf(state: ModelState, network: string, vtep: string): VtepEntries | undefined {
  return vtepEntriesIn(state.snapshot, network, vtep);
}

/** A port as l2pop knows it: a MAC on a VTEP, with the IPs the neighbour rows give it. */
export type PortView = VtepPort;

/** Ports of a VTEP on a network: its unicast MACs, with IPs from its neighbour rows (ip -> mac). Memoised per entries object. */
export function portsOf(entries: VtepEntries | undefined): PortView[] {
  return vtepPorts(entries);
}
