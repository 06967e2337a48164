/**
 * The model projection tables (Host, Network, VtepEntries, ModelState) <-> @l2scope/domain's
 * ModelSnapshot / ModelChange. The one place that maps the model onto rows: the worker writes
 * through `applyModelChange`, the worker (on restart) and the API read through `readModelSnapshot`.
 */
import type { HostView, ModelChange, ModelSnapshot, NetworkView, VtepEntries } from '@l2scope/domain';
import type { Db } from './index';

/** A client or an interactive-transaction client. */
type Client = Pick<Db, 'host' | 'network' | 'vtepEntries' | 'modelState'>;

const date = (ms: number | null) => (ms === null ? null : new Date(ms));

/** Read the whole projection as a snapshot (`seq` = the last message folded in, 0 when empty). */
export async function readModelSnapshot(db: Client): Promise<ModelSnapshot> {
  const [state, hosts, networks, vteps] = await Promise.all([
    db.modelState.findUnique({ where: { id: 1 } }),
    db.host.findMany({ orderBy: { id: 'asc' } }),
    db.network.findMany({ orderBy: { id: 'asc' } }),
    db.vtepEntries.findMany({ orderBy: [{ networkId: 'asc' }, { vtep: 'asc' }] }),
  ]);
  return {
    seq: state ? Number(state.seq) : 0,
    hosts: hosts.map(
      (h): HostView => ({
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
      }),
    ),
    networks: networks.map((n): NetworkView => ({ id: n.id, vni: n.vni, networkType: n.networkType, firstSeenAt: n.firstSeenAt.getTime() })),
    vteps: vteps.map(
      (v): VtepEntries => ({
        network: v.networkId,
        vtep: v.vtep,
        flood: v.flood,
        macs: v.macs as string[],
        neigh: v.neigh as Record<string, string>,
        updatedAt: v.updatedAt.getTime(),
      }),
    ),
  };
}

/** Write one model change onto the projection (upsert or delete of its record). */
export async function applyModelChange(db: Client, c: ModelChange): Promise<void> {
  switch (c.type) {
    case 'host': {
      const h = c.host;
      const data = {
        name: h.name,
        vtep: h.vtep,
        agentType: h.agentType,
        binary: h.binary,
        l2population: h.l2population,
        arpResponder: h.arpResponder,
        distributedRouting: h.distributedRouting,
        tunnelTypes: h.tunnelTypes,
        devices: h.devices,
        startedAt: date(h.startedAt),
        lastReportAt: date(h.lastReportAt),
        networks: h.networks as object,
      };
      await db.host.upsert({ where: { id: h.id }, create: { id: h.id, ...data }, update: data });
      return;
    }
    case 'host_removed':
      await db.host.deleteMany({ where: { id: c.id } });
      return;
    case 'network': {
      const n = c.network;
      const data = { vni: n.vni, networkType: n.networkType, firstSeenAt: new Date(n.firstSeenAt) };
      await db.network.upsert({ where: { id: n.id }, create: { id: n.id, ...data }, update: data });
      return;
    }
    case 'vtep': {
      const v = c.entries;
      const data = { flood: v.flood, macs: v.macs, neigh: v.neigh, updatedAt: new Date(v.updatedAt) };
      await db.vtepEntries.upsert({
        where: { networkId_vtep: { networkId: v.network, vtep: v.vtep } },
        create: { networkId: v.network, vtep: v.vtep, ...data },
        update: data,
      });
      return;
    }
    case 'vtep_removed':
      await db.vtepEntries.deleteMany({ where: { networkId: c.network, vtep: c.vtep } });
      return;
  }
}
