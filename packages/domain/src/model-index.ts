/**
 * Position indexes over a `ModelSnapshot`'s arrays (record key -> array position), memoised
 * per array object. Snapshots are treated as immutable, and `applyModelChanges` shares every
 * array a batch did not touch (and hands the index of an array whose records were only replaced in
 * place on to the new array), so an index is built once per array, not once per query or batch.
 * Internal to the domain: model-fold.ts and model-query.ts.
 */
import type { HostView, NetworkView, VtepEntries } from './model';

/** Key of a host record: its id. */
export const hostKey = (h: HostView): string => h.id;
/** Key of a network record: its id. */
export const networkKey = (n: NetworkView): string => n.id;
/** Key of a (network, VTEP) record. */
export const vtepKey = (network: string, vtep: string): string => `${network}\u0000${vtep}`;
const entriesKey = (v: VtepEntries): string => vtepKey(v.network, v.vtep);

const indexes = new WeakMap<readonly object[], ReadonlyMap<string, number>>();

function positions<T extends object>(arr: readonly T[], key: (x: T) => string): ReadonlyMap<string, number> {
  let m = indexes.get(arr);
  if (!m) {
    const built = new Map<string, number>();
    // a key held twice (not from a ClusterModel): the last one, whose value `ClusterModel.fromSnapshot` keeps
    for (let i = 0; i < arr.length; i++) built.set(key(arr[i]!), i);
    indexes.set(arr, built);
    m = built;
  }
  return m;
}

/** Host id -> position in `hosts`. */
export const hostPositions = (hosts: readonly HostView[]): ReadonlyMap<string, number> => positions(hosts, hostKey);
/** Network id -> position in `networks`. */
export const networkPositions = (networks: readonly NetworkView[]): ReadonlyMap<string, number> => positions(networks, networkKey);
/** {@link vtepKey} -> position in `vteps`. */
export const vtepPositions = (vteps: readonly VtepEntries[]): ReadonlyMap<string, number> => positions(vteps, entriesKey);

/** `next` holds the same keys at the same positions as the array `index` was built for: reuse it. */
export function sharePositions(next: readonly object[], index: ReadonlyMap<string, number>): void {
  indexes.set(next, index);
}
