/**
 * Queries over a plain {@link ModelSnapshot}, for consumers that keep the model as data (a browser
 * folding live batches with `applyModelChanges`) and must not rebuild a `ClusterModel` per
 * batch to ask it what a host was told. Each answer equals the one `ClusterModel.fromSnapshot(s)`
 * gives for the same snapshot.
 *
 * Cost: indexes are built once per snapshot array (arrays a batch did not touch are shared, so
 * their indexes are too), and {@link toldFdbOf} is memoised per host: recomputed only when the host
 * record, the network records or the VTEP entries of its networks are other objects than last time.
 * Treat snapshots as immutable (a record changes by being replaced).
 */
import { FLOOD_MAC } from './l2pop';
import type { HostNetworkFdb, HostView, ModelSnapshot, NetworkView, ToldFdbRow, VtepEntries } from './model';
import { hostPositions, networkPositions, vtepKey, vtepPositions } from './model-index';

/** A host record by id (`ClusterModel.host`). O(1) after the first query on this hosts array. */
export function hostIn(s: ModelSnapshot, id: string): HostView | undefined {
  const i = hostPositions(s.hosts).get(id);
  return i === undefined ? undefined : s.hosts[i];
}

/** A network record by id (`ClusterModel.network`; undefined for a network only VTEP entries name). */
export function networkIn(s: ModelSnapshot, id: string): NetworkView | undefined {
  const i = networkPositions(s.networks).get(id);
  return i === undefined ? undefined : s.networks[i];
}

/** One (network, VTEP)'s entries (`ClusterModel.vtepEntries`), or undefined when it holds none. */
export function vtepEntriesIn(s: ModelSnapshot, network: string, vtep: string): VtepEntries | undefined {
  const i = vtepPositions(s.vteps).get(vtepKey(network, vtep));
  return i === undefined ? undefined : s.vteps[i];
}

const ownerIndex = new WeakMap<readonly HostView[], Map<string, string>>();

/** The id of the host owning a VTEP IP (`ClusterModel.hostOfVtep`: the last host record holding it). */
export function hostOfVtepIn(s: ModelSnapshot, vtep: string): string | undefined {
  let m = ownerIndex.get(s.hosts);
  if (!m) {
    m = new Map();
    for (const h of s.hosts) if (h.vtep) m.set(h.vtep, h.id);
    ownerIndex.set(s.hosts, m);
  }
  return m.get(vtep);
}

/** What a snapshot's VTEP entries say per network and per VTEP, built once per `vteps` array. */
interface VtepIndex {
  /** Network -> its entries, one per VTEP (the last of duplicates, in first-seen order), as `ClusterModel` holds them. */
  byNetwork: Map<string, readonly VtepEntries[]>;
  /** VTEP IP -> networks it has entries on. */
  networksOf: Map<string, ReadonlySet<string>>;
}

const vtepIndexes = new WeakMap<readonly VtepEntries[], VtepIndex>();
/** The last index built: a network whose entries are the same objects keeps its list object (per-host memos stay valid). */
let lastVtepIndex: VtepIndex | null = null;

function vtepIndex(vteps: readonly VtepEntries[]): VtepIndex {
  let ix = vtepIndexes.get(vteps);
  if (ix) return ix;
  const grouped = new Map<string, Map<string, VtepEntries>>();
  const networksOf = new Map<string, Set<string>>();
  for (const v of vteps) {
    let g = grouped.get(v.network);
    if (!g) grouped.set(v.network, (g = new Map()));
    g.set(v.vtep, v);
    let n = networksOf.get(v.vtep);
    if (!n) networksOf.set(v.vtep, (n = new Set()));
    n.add(v.network);
  }
  const byNetwork = new Map<string, readonly VtepEntries[]>();
  for (const [network, g] of grouped) {
    const list = [...g.values()];
    const prev = lastVtepIndex?.byNetwork.get(network);
    byNetwork.set(network, prev && prev.length === list.length && prev.every((v, i) => v === list[i]) ? prev : list);
  }
  ix = { byNetwork, networksOf };
  vtepIndexes.set(vteps, ix);
  lastVtepIndex = ix;
  return ix;
}

/** The entries of every VTEP of one network (`ClusterModel.networkEntries`, same order); empty when none. */
export function networkEntriesIn(s: ModelSnapshot, network: string): readonly VtepEntries[] {
  return vtepIndex(s.vteps).byNetwork.get(network) ?? [];
}

/** VTEP IP -> the networks it has entries on (ports or a flood entry). Built once per `vteps` array. */
export function networksByVtepIn(s: ModelSnapshot): ReadonlyMap<string, ReadonlySet<string>> {
  return vtepIndex(s.vteps).networksOf;
}

interface ToldMemo {
  /** Per membership network (sorted): its entry list and its record, as read. */
  deps: (readonly VtepEntries[] | NetworkView | undefined)[];
  result: HostNetworkFdb[];
}

const toldMemo = new WeakMap<HostView, ToldMemo>();

/** One network's told rows, shared by every host of it (each skips its own VTEP). */
interface NetworkRows {
  /** Per VTEP, sorted by `localeCompare` (as `toldFdb`): its flood row (when announced), then its MACs sorted. */
  vteps: { vtep: string; flood: boolean; fdb: ToldFdbRow[] }[];
  /** Every neighbour row with its VTEP, in `toldFdb` order (VTEP order, then stable by IP). */
  neigh: { vtep: string; row: { ip: string; mac: string } }[];
}

const networkRowsMemo = new WeakMap<readonly VtepEntries[], NetworkRows>();

function networkRows(entries: readonly VtepEntries[]): NetworkRows {
  let r = networkRowsMemo.get(entries);
  if (r) return r;
  const sorted = [...entries].sort((a, b) => a.vtep.localeCompare(b.vtep));
  const vteps: NetworkRows['vteps'] = [];
  const neigh: NetworkRows['neigh'] = [];
  for (const v of sorted) {
    const fdb: ToldFdbRow[] = v.flood ? [{ mac: FLOOD_MAC, vtep: v.vtep, flood: true }] : [];
    for (const mac of [...new Set(v.macs)].sort()) fdb.push({ mac, vtep: v.vtep, flood: false });
    vteps.push({ vtep: v.vtep, flood: v.flood, fdb });
    for (const [ip, mac] of Object.entries(v.neigh)) neigh.push({ vtep: v.vtep, row: { ip, mac } });
  }
  // stable: skipping one VTEP's rows afterwards gives what sorting the others gives
  neigh.sort((a, b) => a.row.ip.localeCompare(b.row.ip));
  r = { vteps, neigh };
  networkRowsMemo.set(entries, r);
  return r;
}

/**
 * What the server told a host, per network it is a member of: every other VTEP's flood and unicast
 * entries (own VTEP skipped, as the agent does), with whether the agent applies them.
 * Mirrors mech_driver.py `_create_agent_fdb` for the host's networks; the same answer as
 * `ClusterModel.fromSnapshot(s).toldFdb(hostId)` (networks sorted, VTEPs by `localeCompare`, MACs
 * sorted, neighbours by IP), without building the model.
 *
 * Memoised per host record: recomputed only when the host, one of its networks' records or the
 * entries of one of its networks changed (O(memberships) to tell); a network's sorted rows are
 * computed once per entry list and shared by its hosts. Do not mutate the result (rows are shared).
 * @returns [] for an unknown host
 */
export function toldFdbOf(s: ModelSnapshot, hostId: string): HostNetworkFdb[] {
  const h = hostIn(s, hostId);
  if (!h) return [];
  const ix = vtepIndex(s.vteps);
  const memberships = Object.keys(h.networks).sort();
  const deps: ToldMemo['deps'] = [];
  for (const n of memberships) deps.push(ix.byNetwork.get(n), networkIn(s, n));
  const memo = toldMemo.get(h);
  if (memo && memo.deps.length === deps.length && memo.deps.every((d, i) => d === deps[i])) return memo.result;
  const result: HostNetworkFdb[] = [];
  for (let k = 0; k < memberships.length; k++) {
    const network = memberships[k]!;
    const entries = deps[2 * k] as readonly VtepEntries[] | undefined;
    const view = deps[2 * k + 1] as NetworkView | undefined;
    // ClusterModel.fromSnapshot knows a network from its record or from entries naming it
    if (!view && !entries) continue;
    const rows = networkRows(entries ?? []);
    const fdb: ToldFdbRow[] = [];
    const floodList: string[] = [];
    for (const v of rows.vteps) {
      if (v.vtep === h.vtep) continue;
      if (v.flood) floodList.push(v.vtep);
      for (const r of v.fdb) fdb.push(r);
    }
    const neigh: { ip: string; mac: string }[] = [];
    for (const n of rows.neigh) if (n.vtep !== h.vtep) neigh.push(n.row);
    result.push({ network, vni: view?.vni ?? null, applied: h.l2population, fdb, neigh, floodList });
  }
  toldMemo.set(h, { deps, result });
  return result;
}

/** A port as l2pop knows it: a MAC on a VTEP, with the IPs its neighbour rows give it. */
export interface VtepPort {
  mac: string;
  /** IPs announced for the MAC (neighbour rows `ip -> mac`), in the entries' IP order. */
  ips: string[];
}

const portsMemo = new WeakMap<VtepEntries, VtepPort[]>();

/**
 * The ports of one (network, VTEP): its unicast MACs, sorted, each with the IPs of its neighbour
 * rows; a neighbour row whose MAC has no unicast entry (e.g. after a partial remove) is still a port.
 * Memoised per entries object. @returns [] for undefined
 */
export function vtepPorts(entries: VtepEntries | undefined): VtepPort[] {
  if (!entries) return [];
  let out = portsMemo.get(entries);
  if (out) return out;
  const ips = new Map<string, string[]>();
  for (const [ip, mac] of Object.entries(entries.neigh)) {
    const list = ips.get(mac);
    if (list) list.push(ip);
    else ips.set(mac, [ip]);
  }
  const macs = new Set(entries.macs);
  for (const mac of ips.keys()) macs.add(mac);
  out = [...macs].sort().map((mac) => ({ mac, ips: ips.get(mac) ?? [] }));
  portsMemo.set(entries, out);
  return out;
}
