/**
 * What changed in the model between two times: the difference of two {@link ModelSnapshot}s (the
 * model as of T1 and as of T2, read from the stored model changes), in the operator's terms: hosts
 * that came or went, an agent's l2pop mode, VTEP or network membership that changed, networks
 * created or deleted, and per network and VTEP the flood entry, the unicast FDB rows and the ARP
 * responder rows added or removed. Heartbeats alone (`lastReportAt`, `devices`) are not changes.
 */
import type { HostView, ModelSnapshot, NetworkView, VtepEntries } from './model-records';

/** A host field whose value changed between the two times. */
export interface HostFieldChange {
  field: 'vtep' | 'agentType' | 'l2population' | 'arpResponder' | 'distributedRouting' | 'tunnelTypes' | 'startedAt';
  /** Values as JSON text (`null`, `true`, `"10.0.0.1"`, `["vxlan"]`); `startedAt` as ISO-8601. */
  before: string;
  after: string;
}

/** One host's difference. */
export interface HostDiff {
  host: string;
  change: 'added' | 'removed' | 'changed';
  /** Only for `changed`. */
  fields: HostFieldChange[];
  /** Networks it joined / left (its `network_map` as the model sees it). */
  joined: string[];
  left: string[];
}

/** One VTEP's entries on one network, before vs after. */
export interface VtepDiff {
  network: string;
  vtep: string;
  /** The flood entry: `added`, `removed`, or null when unchanged. */
  flood: 'added' | 'removed' | null;
  macsAdded: string[];
  macsRemoved: string[];
  /** Neighbour rows as `ip mac`. */
  neighAdded: string[];
  neighRemoved: string[];
}

/** The difference of the model between two times. */
export interface ModelDiff {
  hosts: HostDiff[];
  networks: { network: string; change: 'added' | 'removed' | 'changed'; before: NetworkView | null; after: NetworkView | null }[];
  vteps: VtepDiff[];
  /** Sum of every item (host, network, flood entry, FDB row, neighbour row) changed, listed or not. */
  total: number;
  /** A list was cut at the limit given to {@link diffModels}. */
  truncated: boolean;
}

const HOST_FIELDS: HostFieldChange['field'][] = ['vtep', 'agentType', 'l2population', 'arpResponder', 'distributedRouting', 'tunnelTypes', 'startedAt'];

function fieldText(h: HostView, f: HostFieldChange['field']): string {
  if (f === 'startedAt') return h.startedAt === null ? 'null' : JSON.stringify(new Date(h.startedAt).toISOString());
  return JSON.stringify(h[f] ?? null);
}

function minus<T>(a: Iterable<T>, b: Set<T>): T[] {
  const out: T[] = [];
  for (const x of a) if (!b.has(x)) out.push(x);
  return out;
}

function hostDiff(id: string, a: HostView | undefined, b: HostView | undefined): HostDiff | null {
  const na = new Set(Object.keys(a?.networks ?? {}));
  const nb = new Set(Object.keys(b?.networks ?? {}));
  const joined = minus(nb, na).sort();
  const left = minus(na, nb).sort();
  if (!a) return { host: id, change: 'added', fields: [], joined, left };
  if (!b) return { host: id, change: 'removed', fields: [], joined, left };
  const fields: HostFieldChange[] = [];
  for (const f of HOST_FIELDS) {
    const before = fieldText(a, f);
    const after = fieldText(b, f);
    if (before !== after) fields.push({ field: f, before, after });
  }
  if (fields.length === 0 && joined.length === 0 && left.length === 0) return null;
  return { host: id, change: 'changed', fields, joined, left };
}

const neighRows = (v: VtepEntries | undefined) => new Set(Object.entries(v?.neigh ?? {}).map(([ip, mac]) => `${ip} ${mac}`));

function vtepDiff(a: VtepEntries | undefined, b: VtepEntries | undefined): VtepDiff | null {
  const ref = (b ?? a)!;
  const ma = new Set(a?.macs ?? []);
  const mb = new Set(b?.macs ?? []);
  const xa = neighRows(a);
  const xb = neighRows(b);
  const fa = a?.flood ?? false;
  const fb = b?.flood ?? false;
  const d: VtepDiff = {
    network: ref.network,
    vtep: ref.vtep,
    flood: fa === fb ? null : fb ? 'added' : 'removed',
    macsAdded: minus(mb, ma).sort(),
    macsRemoved: minus(ma, mb).sort(),
    neighAdded: minus(xb, xa).sort(),
    neighRemoved: minus(xa, xb).sort(),
  };
  const n = d.macsAdded.length + d.macsRemoved.length + d.neighAdded.length + d.neighRemoved.length + (d.flood ? 1 : 0);
  return n ? d : null;
}

/**
 * The difference `after` minus `before` (two snapshots of the model, e.g. as of T1 and T2).
 * Pure; O(records of both). Lists sorted by host id, network id, then (network, VTEP), each cut
 * at `limit` entries (`truncated` says so; `total` counts everything).
 */
export function diffModels(before: ModelSnapshot, after: ModelSnapshot, limit = Number.POSITIVE_INFINITY): ModelDiff {
  const ha = new Map(before.hosts.map((h) => [h.id, h]));
  const hb = new Map(after.hosts.map((h) => [h.id, h]));
  const hosts: HostDiff[] = [];
  for (const id of [...new Set([...ha.keys(), ...hb.keys()])].sort()) {
    const d = hostDiff(id, ha.get(id), hb.get(id));
    if (d) hosts.push(d);
  }
  const na = new Map(before.networks.map((n) => [n.id, n]));
  const nb = new Map(after.networks.map((n) => [n.id, n]));
  const networks: ModelDiff['networks'] = [];
  for (const id of [...new Set([...na.keys(), ...nb.keys()])].sort()) {
    const a = na.get(id) ?? null;
    const b = nb.get(id) ?? null;
    if (a && b && a.vni === b.vni && a.networkType === b.networkType) continue;
    networks.push({ network: id, change: !a ? 'added' : !b ? 'removed' : 'changed', before: a, after: b });
  }
  const key = (v: VtepEntries) => `${v.network}\u0000${v.vtep}`;
  const va = new Map(before.vteps.map((v) => [key(v), v]));
  const vb = new Map(after.vteps.map((v) => [key(v), v]));
  const vteps: VtepDiff[] = [];
  for (const k of [...new Set([...va.keys(), ...vb.keys()])].sort()) {
    const d = vtepDiff(va.get(k), vb.get(k));
    if (d) vteps.push(d);
  }
  const total =
    hosts.length +
    networks.length +
    vteps.reduce((n, d) => n + d.macsAdded.length + d.macsRemoved.length + d.neighAdded.length + d.neighRemoved.length + (d.flood ? 1 : 0), 0);
  const truncated = hosts.length > limit || networks.length > limit || vteps.length > limit;
  return { hosts: hosts.slice(0, limit), networks: networks.slice(0, limit), vteps: vteps.slice(0, limit), total, truncated };
}
