/**
 * The model projection tables (Host, Network, VtepEntries, ModelState) <-> @l2scope/domain's
 * ModelSnapshot / ModelChange. The one place that maps the model onto rows: the worker writes
 * through `applyModelChange`, the worker (on restart) and the API read through `readModelSnapshot`.
 */
import { type HostView, type ModelChange, type ModelSnapshot, type NetworkView, type VtepEntries, modelChangeKey } from '@l2scope/domain';
import { type BulkTable, insertRows } from '../bulk';
import type { Db } from '../client';
import type { DbProvider } from '../config';

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
};
const NETWORK: BulkTable = { name: 'Network', columns: ['id', 'vni', 'networkType', 'firstSeenAt'] };
const VTEP_ENTRIES: BulkTable = { name: 'VtepEntries', columns: ['networkId', 'vtep', 'flood', 'macs', 'neigh', 'updatedAt'], json: ['macs', 'neigh'] };

/** A client or an interactive-transaction client. */
type Client = Pick<Db, 'host' | 'network' | 'vtepEntries' | 'modelState'>;

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/** Read the whole projection as a snapshot (`seq` = the last message folded in, 0 when empty). */
export async function readModelSnapshot(db: Client): Promise<ModelSnapshot> {
  const [state, hosts, networks, vteps] = await Promise.all([
    db.modelState.findUnique({ where: { id: 1 } }),
    db.host.findMany({ where: { expiredAt: null }, orderBy: { id: 'asc' } }),
    db.network.findMany({ orderBy: { id: 'asc' } }),
    db.vtepEntries.findMany({ orderBy: [{ networkId: 'asc' }, { vtep: 'asc' }] }),
  ]);
  return {
    seq: state ? Number(state.seq) : 0,
    hosts: hosts.map((h): HostView => ({
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
    })),
    networks: networks.map((n): NetworkView => ({ id: n.id, vni: n.vni, networkType: n.networkType, firstSeenAt: n.firstSeenAt.getTime() })),
    vteps: vteps.map((v): VtepEntries => ({
      network: v.networkId,
      vtep: v.vtep,
      flood: v.flood,
      macs: v.macs as string[],
      neigh: v.neigh as Record<string, string>,
      updatedAt: v.updatedAt.getTime(),
    })),
  };
}

/**
 * Write a batch of model changes onto the projection: for each table, one `deleteMany` of every
 * record the batch touched and a multi-row insert of their final values (the last change per
 * record wins), so a batch costs a handful of statements whatever its size. Call inside a transaction.
 */
export async function applyModelChanges(db: Client & Pick<Db, '$executeRawUnsafe'>, provider: DbProvider, changes: ModelChange[]): Promise<void> {
  const last = new Map<string, ModelChange>();
  for (const c of changes) last.set(modelChangeKey(c), c);
  const hostIds: string[] = [];
  const hosts: unknown[][] = [];
  const networkIds: string[] = [];
  const networks: unknown[][] = [];
  const vtepKeys: { networkId: string; vtep: string }[] = [];
  const vteps: unknown[][] = [];
  for (const c of last.values()) {
    switch (c.type) {
      case 'host': {
        const h = c.host;
        hostIds.push(h.id);
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
        break;
      }
      case 'host_removed':
        hostIds.push(c.id);
        break;
      case 'network':
        networkIds.push(c.network.id);
        networks.push([c.network.id, c.network.vni, c.network.networkType, new Date(c.network.firstSeenAt)]);
        break;
      case 'vtep': {
        const v = c.entries;
        vtepKeys.push({ networkId: v.network, vtep: v.vtep });
        vteps.push([v.network, v.vtep, v.flood, v.macs, v.neigh, new Date(v.updatedAt)]);
        break;
      }
      case 'vtep_removed':
        vtepKeys.push({ networkId: c.network, vtep: c.vtep });
        break;
    }
  }
  for (const ids of chunks(hostIds)) await db.host.deleteMany({ where: { id: { in: ids } } });
  await insertRows(db, provider, HOST, hosts);
  for (const ids of chunks(networkIds)) await db.network.deleteMany({ where: { id: { in: ids } } });
  await insertRows(db, provider, NETWORK, networks);
  for (const keys of chunks(vtepKeys)) await db.vtepEntries.deleteMany({ where: { OR: keys } });
  await insertRows(db, provider, VTEP_ENTRIES, vteps);
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

/** Record the model's `seq` (the singleton ModelState row). Call in the transaction that applied the batch's changes. */
export async function writeModelSeq(db: Pick<Db, 'modelState'>, seq: number): Promise<void> {
  await db.modelState.upsert({ where: { id: 1 }, create: { id: 1, seq: BigInt(seq) }, update: { seq: BigInt(seq) } });
}

/** A network of the projection (`id` = Neutron network UUID, `vni` = its segmentation id), or null. */
export async function findNetwork(db: Pick<Db, 'network'>, id: string): Promise<{ id: string; vni: number | null; networkType: string } | null> {
  const n = await db.network.findUnique({ where: { id } });
  return n ? { id: n.id, vni: n.vni, networkType: n.networkType } : null;
}

/** Every network of the projection as the inspector's filter offers it, by VNI. */
export async function listNetworks(db: Pick<Db, 'network'>): Promise<{ id: string; vni: number | null }[]> {
  const rows = await db.network.findMany({ orderBy: { vni: 'asc' } });
  return rows.map((n) => ({ id: n.id, vni: n.vni }));
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
 * @returns how many rows were marked
 */
export async function expireHosts(db: Pick<Db, 'host'>, ids: readonly string[], at: Date): Promise<number> {
  let n = 0;
  for (const chunk of chunks([...ids])) n += (await db.host.updateMany({ where: { id: { in: chunk }, expiredAt: null }, data: { expiredAt: at } })).count;
  return n;
}
