/**
 * The model projection tables (Host, Network, VtepEntries, ModelState) <-> @l2scope/domain's
 * ModelSnapshot / ModelChange. The one place that maps the model onto rows: the worker writes
 * through `writeModelChanges` (the rows of the domain's `modelEdits`, the same net edits the
 * browser folds with `applyModelChanges`), the worker (on restart) and the API read through
 * `readModelSnapshot`, a host page through `readHostModel`.
 */
import { type HostView, type ModelChange, type ModelSnapshot, type NetworkView, type VtepEntries, modelEdits } from '@l2scope/domain';
import { type BulkTable, insertRowsTx, storableString } from '../bulk';
import { type Db, readConsistent } from '../client';
import type { SqlTx } from '../sql-tx';

const HOST: BulkTable = {
  name: 'Host',
  columns: [
    'id',
    'name',
    'vtep',
    'agentType',
    'binary',
    'l2population',
    'arpResponder',
    'distributedRouting',
    'tunnelTypes',
    'devices',
    'startedAt',
    'lastReportAt',
    'networks',
  ],
  json: ['tunnelTypes', 'networks'],
  pgTypes: ['text', 'text', 'text', 'text', 'text', 'boolean', 'boolean', 'boolean', 'jsonb', 'integer', 'timestamp(3)', 'timestamp(3)', 'jsonb'],
};
const NETWORK: BulkTable = { name: 'Network', columns: ['id', 'vni', 'networkType', 'firstSeenAt'], pgTypes: ['text', 'integer', 'text', 'timestamp(3)'] };
const VTEP_ENTRIES: BulkTable = {
  name: 'VtepEntries',
  columns: ['networkId', 'vtep', 'flood', 'macs', 'neigh', 'updatedAt'],
  json: ['macs', 'neigh'],
  pgTypes: ['text', 'text', 'boolean', 'jsonb', 'jsonb', 'timestamp(3)'],
};

/** A client or an interactive-transaction client. */
type Client = Pick<Db, 'host' | 'network' | 'vtepEntries' | 'modelState'>;

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

type HostRow = Awaited<ReturnType<Db['host']['findMany']>>[number];
type NetworkRow = Awaited<ReturnType<Db['network']['findMany']>>[number];
type VtepEntriesRow = Awaited<ReturnType<Db['vtepEntries']['findMany']>>[number];

const hostView = (h: HostRow): HostView => ({
  id: h.id,
  name: h.name,
  vtep: h.vtep,
  agentType: h.agentType,
  binary: h.binary,
  l2population: h.l2population,
  arpResponder: h.arpResponder,
  distributedRouting: h.distributedRouting,
  tunnelTypes: h.tunnelTypes as string[],
  devices: h.devices,
  startedAt: h.startedAt?.getTime() ?? null,
  lastReportAt: h.lastReportAt?.getTime() ?? null,
  networks: h.networks as unknown as HostView['networks'],
});

const networkView = (n: NetworkRow): NetworkView => ({ id: n.id, vni: n.vni, networkType: n.networkType, firstSeenAt: n.firstSeenAt.getTime() });

const vtepEntries = (v: VtepEntriesRow): VtepEntries => ({
  network: v.networkId,
  vtep: v.vtep,
  flood: v.flood,
  macs: v.macs as string[],
  neigh: v.neigh as Record<string, string>,
  updatedAt: v.updatedAt.getTime(),
});

/** What {@link readModelSnapshot} reads. */
export interface ModelSnapshotParts {
  /** Read the VTEP entries (default true). Without them `vteps` is `[]`: about 90% of a fleet's rows (1,000 hosts x 300 networks: 10,500 of 11,800). */
  vteps?: boolean;
}

/**
 * Read the whole projection as a snapshot (`seq` = the last message folded in, 0 when empty).
 * With `{ vteps: false }` only the hosts and networks (and `vteps: []`): a large cloud's first
 * picture, its entries read apart by {@link readVtepEntries}.
 */
export async function readModelSnapshot(db: Client, parts: ModelSnapshotParts = {}): Promise<ModelSnapshot> {
  // one snapshot for the four reads: a batch committed between them would give a `seq` whose rows
  // are partly missing, and a browser that loads it skips the live changes up to that `seq`
  const [state, hosts, networks, vteps] = await readConsistent(db, (tx) =>
    Promise.all([
      tx.modelState.findUnique({ where: { id: 1 } }),
      tx.host.findMany({ where: { expiredAt: null }, orderBy: { id: 'asc' } }),
      tx.network.findMany({ where: { deletedAt: null }, orderBy: { id: 'asc' } }),
      parts.vteps === false ? Promise.resolve([]) : tx.vtepEntries.findMany({ orderBy: [{ networkId: 'asc' }, { vtep: 'asc' }] }),
    ]),
  );
  return {
    seq: state ? Number(state.seq) : 0,
    hosts: hosts.map(hostView),
    networks: networks.map(networkView),
    vteps: vteps.map(vtepEntries),
  };
}

/**
 * Every VTEP's entries of the projection with the `seq` they are current at (one read
 * transaction): the rest of a snapshot read with `{ vteps: false }`. The two reads may be at
 * different `seq`s; a reader joins them at the lower one and re-applies the live changes after it
 * (changes are absolute: re-applying an older one before the newer ones ends on the newest value).
 */
export async function readVtepEntries(db: Client): Promise<{ seq: number; vteps: VtepEntries[] }> {
  const [state, vteps] = await readConsistent(db, (tx) =>
    Promise.all([tx.modelState.findUnique({ where: { id: 1 } }), tx.vtepEntries.findMany({ orderBy: [{ networkId: 'asc' }, { vtep: 'asc' }] })]),
  );
  return { seq: state ? Number(state.seq) : 0, vteps: vteps.map(vtepEntries) };
}

/**
 * The part of the projection one host's told FDB depends on, as a snapshot: the host's record, the
 * records of the networks it is a member of, and every VTEP's entries on those networks (`seq` =
 * the last message folded in). The domain's `hostIn` and `toldFdbOf` answer on it as on the whole
 * snapshot, for three indexed reads whatever the size of the cloud.
 * @returns hosts `[]` when the projection does not know `hostId`
 */
export async function readHostModel(db: Client, hostId: string): Promise<ModelSnapshot> {
  return readConsistent(db, async (tx) => {
    const [state, host] = await Promise.all([tx.modelState.findUnique({ where: { id: 1 } }), tx.host.findUnique({ where: { id: hostId } })]);
    const seq = state ? Number(state.seq) : 0;
    if (!host) return { seq, hosts: [], networks: [], vteps: [] };
    const view = hostView(host);
    const ids = Object.keys(view.networks);
    const [networks, vteps] = await Promise.all([
      tx.network.findMany({ where: { id: { in: ids }, deletedAt: null }, orderBy: { id: 'asc' } }),
      tx.vtepEntries.findMany({ where: { networkId: { in: ids } }, orderBy: [{ networkId: 'asc' }, { vtep: 'asc' }] }),
    ]);
    return { seq, hosts: [view], networks: networks.map(networkView), vteps: vteps.map(vtepEntries) };
  });
}

/**
 * Write a batch of model changes onto the projection, in the batch's write transaction
 * (`writeTransaction`): the domain's `modelEdits` gives one net edit per record (the last change
 * wins); for each table, the rows of every record the batch touched are deleted and the final
 * values inserted (a re-inserted host has no `expiredAt`: it reported again). SQLite: one prepared
 * DELETE per record; PostgreSQL: one DELETE per table (array parameters), whatever the batch's size.
 */
export async function writeModelChanges(tx: SqlTx, changes: readonly ModelChange[]): Promise<void> {
  const edits = modelEdits(changes);
  // keyed as stored: ids that differ only by NUL or lone surrogates are one row once made storable
  // (a hostile publisher's 'h\u0000' and 'h\uFFFD'), so they must not be inserted twice: the last wins
  const hostEdits = lastByStorable(edits.hosts.values(), (e) => storableString(e.key));
  const networkEdits = lastByStorable(edits.networks.values(), (e) => storableString(e.key));
  const vtepEdits = lastByStorable(edits.vteps.values(), (e) => `${storableString(e.key.network)}\n${storableString(e.key.vtep)}`);
  const hostIds: string[] = [];
  const hosts: unknown[][] = [];
  for (const { key, value: h } of hostEdits) {
    hostIds.push(storableString(key));
    if (h)
      hosts.push([
        h.id,
        h.name,
        h.vtep,
        h.agentType,
        h.binary,
        h.l2population,
        h.arpResponder,
        h.distributedRouting,
        h.tunnelTypes,
        h.devices,
        date(h.startedAt),
        date(h.lastReportAt),
        h.networks,
      ]);
  }
  const networkIds: string[] = [];
  const networks: unknown[][] = [];
  // a removed network's row stays as history, marked with when Neutron deleted it
  const deleted: [id: string, at: Date][] = [];
  const deletedAt = new Map<string, number>();
  for (const c of changes) if (c.type === 'network_removed') deletedAt.set(c.id, c.at);
  for (const { key, value: n } of networkEdits) {
    if (n) {
      networkIds.push(storableString(key));
      networks.push([n.id, n.vni, n.networkType, new Date(n.firstSeenAt)]);
    } else deleted.push([storableString(key), new Date(deletedAt.get(key) ?? 0)]);
  }
  const vtepKeys: [networkId: string, vtep: string][] = [];
  const vteps: unknown[][] = [];
  for (const { key, value: v } of vtepEdits) {
    vtepKeys.push([storableString(key.network), storableString(key.vtep)]);
    if (v) vteps.push([v.network, v.vtep, v.flood, v.macs, v.neigh, new Date(v.updatedAt)]);
  }
  if (tx.provider === 'postgresql') {
    if (hostIds.length) await tx.run('DELETE FROM "Host" WHERE "id" = ANY($1::text[])', [hostIds]);
    await insertRowsTx(tx, HOST, hosts);
    if (networkIds.length) await tx.run('DELETE FROM "Network" WHERE "id" = ANY($1::text[])', [networkIds]);
    await insertRowsTx(tx, NETWORK, networks);
    await tx.runEach('UPDATE "Network" SET "deletedAt" = $2 WHERE "id" = $1', deleted);
    if (vtepKeys.length)
      await tx.run('DELETE FROM "VtepEntries" AS v USING unnest($1::text[], $2::text[]) AS k(n, t) WHERE v."networkId" = k.n AND v."vtep" = k.t', [
        vtepKeys.map((k) => k[0]),
        vtepKeys.map((k) => k[1]),
      ]);
    await insertRowsTx(tx, VTEP_ENTRIES, vteps);
    return;
  }
  await tx.runEach(
    'DELETE FROM "Host" WHERE "id" = ?',
    hostIds.map((id) => [id]),
  );
  await insertRowsTx(tx, HOST, hosts);
  await tx.runEach(
    'DELETE FROM "Network" WHERE "id" = ?',
    networkIds.map((id) => [id]),
  );
  await insertRowsTx(tx, NETWORK, networks);
  await tx.runEach(
    'UPDATE "Network" SET "deletedAt" = ? WHERE "id" = ?',
    deleted.map(([id, at]) => [at, id]),
  );
  await tx.runEach('DELETE FROM "VtepEntries" WHERE "networkId" = ? AND "vtep" = ?', vtepKeys);
  await insertRowsTx(tx, VTEP_ENTRIES, vteps);
}

/** The edits with one per stored key (the last of twins wins), in edit order. */
function lastByStorable<E>(edits: Iterable<E>, storableKey: (e: E) => string): E[] {
  const m = new Map<string, E>();
  for (const e of edits) {
    const k = storableKey(e);
    m.delete(k);
    m.set(k, e);
  }
  return [...m.values()];
}

/** Split a list for IN / OR clauses (SQLite's bound-parameter limit, PostgreSQL plan sizes). */
function chunks<T>(items: T[], size = 400): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, size + i));
  return out;
}

/** The model's `seq` as persisted: the id of the last message folded into the projection, 0 when empty. */
export async function readModelSeq(db: Pick<Db, 'modelState'>): Promise<number> {
  const state = await db.modelState.findUnique({ where: { id: 1 } });
  return state ? Number(state.seq) : 0;
}

/** Record the model's `seq` in the batch's write transaction (`writeTransaction`): what {@link writeModelSeq} does. */
export async function writeModelSeqTx(tx: SqlTx, seq: number): Promise<void> {
  const p = tx.provider === 'postgresql' ? '$1' : '?';
  await tx.run(`INSERT INTO "ModelState" ("id", "seq") VALUES (1, ${p}) ON CONFLICT ("id") DO UPDATE SET "seq" = excluded."seq"`, [BigInt(seq)]);
}

/** Record the model's `seq` (the singleton ModelState row). Call in the transaction that applied the batch's changes. */
export async function writeModelSeq(db: Pick<Db, 'modelState'>, seq: number): Promise<void> {
  await db.modelState.upsert({ where: { id: 1 }, create: { id: 1, seq: BigInt(seq) }, update: { seq: BigInt(seq) } });
}

/**
 * A network of the projection (`id` = Neutron network UUID, `vni` = its segmentation id,
 * `deletedAt` = epoch ms of its `network_delete`, null while it lives), or null when never seen.
 */
export async function findNetwork(
  db: Pick<Db, 'network'>,
  id: string,
): Promise<{ id: string; vni: number | null; networkType: string; deletedAt: number | null } | null> {
  const n = await db.network.findUnique({ where: { id } });
  return n ? { id: n.id, vni: n.vni, networkType: n.networkType, deletedAt: n.deletedAt?.getTime() ?? null } : null;
}

/** Every live network of the projection (deleted ones left out), by VNI. */
export async function listNetworks(db: Pick<Db, 'network'>): Promise<{ id: string; vni: number | null }[]> {
  const rows = await db.network.findMany({ where: { deletedAt: null }, orderBy: { vni: 'asc' } });
  return rows.map((n) => ({ id: n.id, vni: n.vni }));
}

/**
 * Every network the projection ever held, as the inspector's filter offers it (history: a deleted
 * network's messages stay searchable): live ones by VNI, then deleted ones by VNI, `deletedAt` in
 * epoch ms (null while it lives).
 */
export async function listNetworksWithDeleted(db: Pick<Db, 'network'>): Promise<{ id: string; vni: number | null; deletedAt: number | null }[]> {
  const rows = await db.network.findMany({ orderBy: [{ vni: 'asc' }, { id: 'asc' }] });
  const out = rows.map((n) => ({ id: n.id, vni: n.vni, deletedAt: n.deletedAt?.getTime() ?? null }));
  return [...out.filter((n) => n.deletedAt === null), ...out.filter((n) => n.deletedAt !== null)];
}

/** Every live host of the projection (id, report_state name, VTEP address; expired ones left out) by id, as the inspector's filter offers it. */
export async function listHosts(db: Pick<Db, 'host'>): Promise<{ id: string; name: string | null; vtep: string | null }[]> {
  const rows = await db.host.findMany({ where: { expiredAt: null }, select: { id: true, name: true, vtep: true }, orderBy: { id: 'asc' } });
  return rows.map((h) => ({ id: h.id, name: h.name, vtep: h.vtep }));
}

/**
 * Mark hosts of the projection expired at `at` (the worker's `--host-expiry`: no report_state for
 * that long): they leave the snapshot ({@link readModelSnapshot}) and the hosts lists, and their
 * rows stay as history. A later `host` change of the same id (it reports again) clears the mark.
 * Their L3 agents' rows (`L3Agent`, same host name) are deleted in the same transaction (per 400
 * ids): the L3 agent is shown beside its host, so it leaves the live view with it; its next
 * report_state writes the row again.
 * @returns how many `Host` rows were marked
 */
export async function expireHosts(db: Pick<Db, 'host' | 'l3Agent' | '$transaction'>, ids: readonly string[], at: Date): Promise<number> {
  let n = 0;
  // keyed as stored (a hostile host name with NUL would otherwise match nothing, or be refused by PostgreSQL)
  for (const chunk of chunks(ids.map(storableString))) {
    const [marked] = await db.$transaction([
      db.host.updateMany({ where: { id: { in: chunk }, expiredAt: null }, data: { expiredAt: at } }),
      db.l3Agent.deleteMany({ where: { host: { in: chunk } } }),
    ]);
    n += marked.count;
  }
  return n;
}
