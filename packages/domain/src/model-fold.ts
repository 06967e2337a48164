/**
 * Folding the model's changes into a plain snapshot, without a `ClusterModel`: what a browser
 * does with the worker's live `model` batches, and what a projection of the model can do with each
 * committed batch.
 *
 * Shapes (model.ts): a {@link ModelSnapshot} is `{ seq, hosts: HostView[], networks: NetworkView[],
 * vteps: VtepEntries[] }`; a {@link ModelChange} is an absolute upsert or removal of one record:
 * `{ type: 'host', host }` / `{ type: 'host_removed', id }` (key: host id), `{ type: 'network',
 * network }` (key: network id; networks are never removed), `{ type: 'vtep', entries }` /
 * `{ type: 'vtep_removed', network, vtep }` (key: (network, VTEP)).
 */
import type { HostView, ModelChange, ModelSnapshot, NetworkView, VtepEntries } from './model';
import { hostPositions, networkPositions, sharePositions, vtepKey, vtepPositions } from './model-index';

/**
 * The records of one snapshot array under a batch: replacements in place on a lazy copy, removals
 * marked, new records kept in arrival order (a record removed then upserted again in the batch is
 * new: it moves to the end, as a `Map` delete + set does in `ClusterModel`).
 */
class Draft<T extends object> {
  private copy: T[] | null = null;
  private removed: Set<number> | null = null;
  readonly added = new Map<string, T>();

  constructor(
    readonly base: readonly T[],
    private readonly index: ReadonlyMap<string, number>,
  ) {}

  private live(key: string): number | undefined {
    const i = this.index.get(key);
    return i === undefined || this.removed?.has(i) ? undefined : i;
  }

  upsert(key: string, value: T): void {
    const i = this.live(key);
    if (i !== undefined) (this.copy ??= this.base.slice())[i] = value;
    // a record added earlier in the batch keeps its place (Map.set); removed in between, it moved to the end
    else this.added.set(key, value);
  }

  remove(key: string): void {
    const i = this.live(key);
    if (i !== undefined) (this.removed ??= new Set()).add(i);
    else this.added.delete(key);
  }

  /** Nothing changed: the input array itself. */
  get untouched(): boolean {
    return this.copy === null && this.removed === null && this.added.size === 0;
  }

  /** Only replacements: same keys at the same positions (the position index carries over). */
  get inPlace(): boolean {
    return this.removed === null && this.added.size === 0;
  }

  /** The kept records, in their order, replacements applied. */
  kept(): T[] {
    const src = this.copy ?? this.base;
    if (this.removed === null) return this.copy ?? src.slice();
    const out: T[] = [];
    for (let i = 0; i < src.length; i++) if (!this.removed.has(i)) out.push(src[i]!);
    return out;
  }

  /** The array after the batch: the input itself when untouched, else new records appended. */
  result(): readonly T[] {
    if (this.untouched) return this.base;
    if (this.inPlace) {
      const out = this.copy!;
      sharePositions(out, this.index);
      return out;
    }
    const out = this.kept();
    for (const v of this.added.values()) out.push(v);
    return out;
  }
}

/**
 * Fold model changes into a snapshot, as `ClusterModel.apply` folds messages: the result
 * equals `ClusterModel.snapshot()` of a model that made these changes: the same records and, for a
 * snapshot that came from `ClusterModel.snapshot()` or from this function, in the same order (a
 * record replaced keeps its place, a new host / network is appended, a new VTEP entry goes after
 * the entries of its network, which follow the order of `networks`). One exception, order only:
 * `ClusterModel.apply` lists each record at its latest change, so when one message creates host A,
 * then host B, then changes A again (a cast with several networks naming A's VTEP in each), A comes
 * after B here and before B in the model.
 *
 * Pure and structurally shared: the input is not modified; an array no change touched is the input
 * array itself, a replaced record is the change's object (treat both as immutable), the records the
 * batch did not change are the input's objects. Cost: O(changes) plus one copy of each array a
 * change touched (O(n) of that array), plus, when VTEP entries are added or removed, one O(vteps)
 * merge; indexes (key -> position) are built once per array and reused across batches. E.g. a batch
 * of 1,000 agents' `report_state` copies the hosts array once and shares `networks` and `vteps`.
 *
 * Changes are absolute and idempotent: re-applying one, or a batch whose changes the snapshot
 * already holds, leaves the same records. Removing a record that is not there is a no-op. The
 * worker's live batches (coalesced per record) fold the same way; a record removed and re-created
 * within such a batch keeps its old place.
 *
 * @param snapshot the state to fold into (e.g. `topology.snapshot`, or the previous result)
 * @param changes `ModelChange[]` in the order they were made (what `ClusterModel.apply` returned,
 *   or a live `ModelBatch.changes`)
 * @param seq the id of the last message these changes come from (`ModelBatch.seq`); the result's
 *   `seq` is the larger of it and `snapshot.seq`
 * @returns `snapshot` itself when nothing changed (no change and no newer `seq`)
 */
export function applyModelChanges(snapshot: ModelSnapshot, changes: readonly ModelChange[], seq?: number): ModelSnapshot {
  const nextSeq = seq !== undefined && seq > snapshot.seq ? seq : snapshot.seq;
  if (changes.length === 0) return nextSeq === snapshot.seq ? snapshot : { ...snapshot, seq: nextSeq };
  let hosts: Draft<HostView> | null = null;
  let networks: Draft<NetworkView> | null = null;
  let vteps: Draft<VtepEntries> | null = null;
  for (const c of changes) {
    switch (c.type) {
      case 'host':
        (hosts ??= new Draft(snapshot.hosts, hostPositions(snapshot.hosts))).upsert(c.host.id, c.host);
        break;
      case 'host_removed':
        (hosts ??= new Draft(snapshot.hosts, hostPositions(snapshot.hosts))).remove(c.id);
        break;
      case 'network':
        (networks ??= new Draft(snapshot.networks, networkPositions(snapshot.networks))).upsert(c.network.id, c.network);
        break;
      case 'vtep':
        (vteps ??= new Draft(snapshot.vteps, vtepPositions(snapshot.vteps))).upsert(vtepKey(c.entries.network, c.entries.vtep), c.entries);
        break;
      case 'vtep_removed':
        (vteps ??= new Draft(snapshot.vteps, vtepPositions(snapshot.vteps))).remove(vtepKey(c.network, c.vtep));
        break;
    }
  }
  const nextNetworks = networks ? networks.result() : snapshot.networks;
  const out: ModelSnapshot = {
    seq: nextSeq,
    hosts: (hosts ? hosts.result() : snapshot.hosts) as HostView[],
    networks: nextNetworks as NetworkView[],
    vteps: (vteps ? foldVteps(vteps, nextNetworks) : snapshot.vteps) as VtepEntries[],
  };
  return out;
}

/**
 * The VTEP entries after a batch. New entries go after the kept entries of their network, networks
 * in `networks` order (entries of a network `networks` does not list: last), which is the order
 * of `ClusterModel.snapshot()` (per network, per VTEP as they appeared) when the input has it.
 */
function foldVteps(d: Draft<VtepEntries>, networks: readonly NetworkView[]): readonly VtepEntries[] {
  if (d.added.size === 0) return d.result();
  const pos = networkPositions(networks);
  const rank = (v: VtepEntries) => pos.get(v.network) ?? Number.MAX_SAFE_INTEGER;
  // new entries by network rank (stable: arrival order within a network)
  const added = [...d.added.values()].map((v, i) => ({ v, r: rank(v), i })).sort((a, b) => a.r - b.r || a.i - b.i);
  const kept = d.kept();
  const out: VtepEntries[] = [];
  let j = 0;
  for (const v of kept) {
    const r = rank(v);
    while (j < added.length && added[j]!.r < r) out.push(added[j++]!.v);
    out.push(v);
  }
  while (j < added.length) out.push(added[j++]!.v);
  return out;
}
