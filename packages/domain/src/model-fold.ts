/**
 * Folding the model's changes, without a `ClusterModel`: {@link modelEdits} resolves a batch into
 * one net edit per record (the one fold of `ModelChange` in l2scope), which {@link applyModelChanges}
 * folds into a plain snapshot (what a browser does with the worker's live `model` batches) and the
 * database's model projection (packages/db `model-projection.ts`) writes as rows per committed batch.
 *
 * Shapes (model.ts): a {@link ModelSnapshot} is `{ seq, hosts: HostView[], networks: NetworkView[],
 * vteps: VtepEntries[] }`; a {@link ModelChange} is an absolute upsert or removal of one record:
 * `{ type: 'host', host }` / `{ type: 'host_removed', id }` (key: host id), `{ type: 'network',
 * network }` / `{ type: 'network_removed', id, at }` (key: network id), `{ type: 'vtep', entries }` /
 * `{ type: 'vtep_removed', network, vtep }` (key: (network, VTEP)).
 */
import type { HostView, ModelChange, ModelSnapshot, NetworkView, VtepEntries } from './model';
import { hostPositions, networkPositions, sharePositions, vtepKey, vtepPositions } from './model-index';

/**
 * One record's net edit in a batch of {@link ModelChange}s: `value` is its last value, or null when
 * the batch removes it. `recreated`: it was removed and then upserted again within the batch (a fold
 * moves it to the end, as a `Map` delete + set does in `ClusterModel`); false for a removal.
 */
export interface RecordEdit<T, K> {
  /** The record's key: a host or network id, or a {@link VtepRef}. */
  key: K;
  value: T | null;
  recreated: boolean;
}

/** A (network, VTEP) pair: the key of a {@link VtepEntries} record. */
export interface VtepRef {
  network: string;
  vtep: string;
}

/**
 * The net effect of a batch on each record array of a {@link ModelSnapshot}: per record, the last
 * change wins. Each map holds one edit per record the batch touched, in the order a fold lists new
 * records (first upsert; after a removal, the upsert that re-created it). Map keys: the host id, the
 * network id, and for VTEP entries an internal key of (network, VTEP) (use the edit's `key`).
 */
export interface ModelEdits {
  /** By host id (`key`: the id). */
  hosts: ReadonlyMap<string, RecordEdit<HostView, string>>;
  /** By network id (`key`: the id); a `network_removed` is a removal (`value` null). */
  networks: ReadonlyMap<string, RecordEdit<NetworkView, string>>;
  /** By (network, VTEP). */
  vteps: ReadonlyMap<string, RecordEdit<VtepEntries, VtepRef>>;
}

function upsert<T, K>(m: Map<string, RecordEdit<T, K>>, id: string, key: K, value: T): void {
  const prev = m.get(id);
  if (prev === undefined) m.set(id, { key, value, recreated: false });
  else if (prev.value === null) {
    // removed earlier in the batch: re-created, so it is listed where it came back
    m.delete(id);
    m.set(id, { key, value, recreated: true });
  } else m.set(id, { key, value, recreated: prev.recreated });
}

function remove<T, K>(m: Map<string, RecordEdit<T, K>>, id: string, key: K): void {
  m.delete(id);
  m.set(id, { key, value: null, recreated: false });
}

/**
 * Resolve a batch of model changes into one net edit per record (the last change of a record wins):
 * the one reading of `ModelChange` that {@link applyModelChanges} folds into a snapshot and the
 * database's model projection writes as rows. Pure, O(changes).
 * @param changes `ModelChange[]` in the order they were made
 */
export function modelEdits(changes: readonly ModelChange[]): ModelEdits {
  const hosts = new Map<string, RecordEdit<HostView, string>>();
  const networks = new Map<string, RecordEdit<NetworkView, string>>();
  const vteps = new Map<string, RecordEdit<VtepEntries, VtepRef>>();
  for (const c of changes) {
    switch (c.type) {
      case 'host':
        upsert(hosts, c.host.id, c.host.id, c.host);
        break;
      case 'host_removed':
        remove(hosts, c.id, c.id);
        break;
      case 'network':
        upsert(networks, c.network.id, c.network.id, c.network);
        break;
      case 'network_removed':
        remove(networks, c.id, c.id);
        break;
      case 'vtep':
        upsert(vteps, vtepKey(c.entries.network, c.entries.vtep), { network: c.entries.network, vtep: c.entries.vtep }, c.entries);
        break;
      case 'vtep_removed':
        remove(vteps, vtepKey(c.network, c.vtep), { network: c.network, vtep: c.vtep });
        break;
    }
  }
  return { hosts, networks, vteps };
}

/**
 * The records of one snapshot array under a batch's edits: replacements in place on a lazy copy,
 * removals marked, new (and re-created) records kept in edit order.
 */
class Draft<T extends object> {
  private copy: T[] | null = null;
  private removed: Set<number> | null = null;
  readonly added: T[] = [];

  constructor(
    readonly base: readonly T[],
    private readonly index: ReadonlyMap<string, number>,
  ) {}

  /** This array's edits applied to `base` (`index`: its positions by the edits' map keys). */
  static of<T extends object, K>(base: readonly T[], index: ReadonlyMap<string, number>, edits: ReadonlyMap<string, RecordEdit<T, K>>): Draft<T> {
    const d = new Draft(base, index);
    for (const [key, e] of edits) {
      const i = index.get(key);
      if (i !== undefined && (e.value === null || e.recreated)) (d.removed ??= new Set()).add(i);
      if (e.value === null) continue;
      if (i === undefined || e.recreated) d.added.push(e.value);
      else (d.copy ??= base.slice())[i] = e.value;
    }
    return d;
  }

  /** Nothing changed: the input array itself. */
  get untouched(): boolean {
    return this.copy === null && this.removed === null && this.added.length === 0;
  }

  /** Only replacements: same keys at the same positions (the position index carries over). */
  get inPlace(): boolean {
    return this.removed === null && this.added.length === 0;
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
    for (const v of this.added) out.push(v);
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
  const e = modelEdits(changes);
  const hosts = e.hosts.size ? Draft.of(snapshot.hosts, hostPositions(snapshot.hosts), e.hosts) : null;
  const networks = e.networks.size ? Draft.of(snapshot.networks, networkPositions(snapshot.networks), e.networks) : null;
  const vteps = e.vteps.size ? Draft.of(snapshot.vteps, vtepPositions(snapshot.vteps), e.vteps) : null;
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
  if (d.added.length === 0) return d.result();
  const pos = networkPositions(networks);
  const rank = (v: VtepEntries) => pos.get(v.network) ?? Number.MAX_SAFE_INTEGER;
  // new entries by network rank (stable: arrival order within a network)
  const added = d.added.map((v, i) => ({ v, r: rank(v), i })).sort((a, b) => a.r - b.r || a.i - b.i);
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
