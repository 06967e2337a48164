/**
 * The browser's copy of the l2pop cluster model: a snapshot (from `topology.snapshot`) with the
 * worker's live `model` batches folded in. Pure functions, no React, no I/O.
 *
 * Changes are absolute (upsert or removal of one record, keyed by `modelChangeKey`), so
 * re-applying a change is harmless; a batch is applied only when its `seq` is newer than the
 * state's (older batches are already contained in the snapshot).
 */
import {
  ClusterModel,
  type HostView,
  type ModelBatch,
  type ModelSnapshot,
  type NetworkView,
  type VtepEntries,
  modelChangeKey,
} from '@l2scope/domain';

/** Immutable model state; every applied batch yields new Map instances (cheap identity checks for React). */
export interface ModelState {
  seq: number;
  /** Keyed by `modelChangeKey` (`host:<id>`). */
  hosts: ReadonlyMap<string, HostView>;
  /** Keyed by `modelChangeKey` (`network:<id>`). */
  networks: ReadonlyMap<string, NetworkView>;
  /** Keyed by `modelChangeKey` (`vtep:<network>/<ip>`). */
  vteps: ReadonlyMap<string, VtepEntries>;
}

/** A live `model` batch as the worker emits it (the domain's live contract). */
export type { ModelBatch } from '@l2scope/domain';

/** The empty model (before any snapshot). */
export const EMPTY_MODEL: ModelState = { seq: 0, hosts: new Map(), networks: new Map(), vteps: new Map() };

/** Build the state from a snapshot. */
export function modelFromSnapshot(s: ModelSnapshot): ModelState {
  const hosts = new Map<string, HostView>();
  const networks = new Map<string, NetworkView>();
  const vteps = new Map<string, VtepEntries>();
  for (const host of s.hosts) hosts.set(modelChangeKey({ type: 'host', host }), host);
  for (const network of s.networks) networks.set(modelChangeKey({ type: 'network', network }), network);
  for (const entries of s.vteps) vteps.set(modelChangeKey({ type: 'vtep', entries }), entries);
  return { seq: s.seq, hosts, networks, vteps };
}

/**
 * Fold a batch into the state. Returns the same state object when the batch is not newer than
 * it (`batch.seq <= state.seq`), so callers can skip re-rendering.
 */
export function applyModelBatch(state: ModelState, batch: ModelBatch): ModelState {
  if (batch.seq <= state.seq) return state;
  let hosts: Map<string, HostView> | null = null;
  let networks: Map<string, NetworkView> | null = null;
  let vteps: Map<string, VtepEntries> | null = null;
  for (const c of batch.changes) {
    const key = modelChangeKey(c);
    switch (c.type) {
      case 'host':
        (hosts ??= new Map(state.hosts)).set(key, c.host);
        break;
      case 'host_removed':
        (hosts ??= new Map(state.hosts)).delete(key);
        break;
      case 'network':
        (networks ??= new Map(state.networks)).set(key, c.network);
        break;
      case 'vtep':
        (vteps ??= new Map(state.vteps)).set(key, c.entries);
        break;
      case 'vtep_removed':
        (vteps ??= new Map(state.vteps)).delete(key);
        break;
    }
  }
  return { seq: batch.seq, hosts: hosts ?? state.hosts, networks: networks ?? state.networks, vteps: vteps ?? state.vteps };
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

/** The state back as a plain snapshot (input of `ClusterModel.fromSnapshot`). */
export function modelToSnapshot(state: ModelState): ModelSnapshot {
  return { seq: state.seq, hosts: [...state.hosts.values()], networks: [...state.networks.values()], vteps: [...state.vteps.values()] };
}

const clusterCache = new WeakMap<ModelState, ClusterModel>();

/**
 * The domain's `ClusterModel` for a state (memoised per state object): the single source of the
 * told-FDB / flood-list computations.
 */
export function clusterOf(state: ModelState): ClusterModel {
  let m = clusterCache.get(state);
  if (!m) {
    m = ClusterModel.fromSnapshot(modelToSnapshot(state));
    clusterCache.set(state, m);
  }
  return m;
}

/** Hosts sorted for display: named hosts by name, then anonymous VTEPs by IP. */
export function sortedHosts(state: ModelState): HostView[] {
  return [...state.hosts.values()].sort((a, b) => {
    if ((a.name === null) !== (b.name === null)) return a.name === null ? 1 : -1;
    return (a.name ?? a.vtep ?? a.id).localeCompare(b.name ?? b.vtep ?? b.id, undefined, { numeric: true });
  });
}

/** Networks sorted by VNI (unknown VNIs last), then id. */
export function sortedNetworks(state: ModelState): NetworkView[] {
  return [...state.networks.values()].sort((a, b) => (a.vni ?? Infinity) - (b.vni ?? Infinity) || a.id.localeCompare(b.id));
}

/** Network id -> how many hosts are members of it (hosts whose agent holds the network), for the network pickers. */
export function networkMemberCounts(state: ModelState): Map<string, number> {
  const m = new Map<string, number>();
  for (const h of state.hosts.values()) for (const n of Object.keys(h.networks)) m.set(n, (m.get(n) ?? 0) + 1);
  return m;
}

/** One (network, vtep)'s entries, or undefined. */
export function vtepEntriesOf(state: ModelState, network: string, vtep: string): VtepEntries | undefined {
  return state.vteps.get(modelChangeKey({ type: 'vtep_removed', network, vtep }));
}

/** A port as l2pop knows it: a MAC on a VTEP, with the IPs the neighbour rows give it. */
export interface PortView {
  mac: string;
  ips: string[];
}

/** Ports of a VTEP on a network: its unicast MACs, with IPs from its neighbour rows (ip -> mac). */
export function portsOf(entries: VtepEntries | undefined): PortView[] {
  if (!entries) return [];
  const ips = new Map<string, string[]>();
  for (const [ip, mac] of Object.entries(entries.neigh)) {
    const list = ips.get(mac);
    if (list) list.push(ip);
    else ips.set(mac, [ip]);
  }
  const macs = new Set(entries.macs);
  // a neighbour row without a unicast MAC (e.g. after a partial remove) is still shown
  for (const mac of ips.keys()) macs.add(mac);
  return [...macs].sort().map((mac) => ({ mac, ips: ips.get(mac) ?? [] }));
}
