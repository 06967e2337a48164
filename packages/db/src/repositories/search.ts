/**
 * The header search: hosts, networks and ports matching what an operator typed (domain
 * `parseSearchQuery`: a host name or VTEP IP, a MAC, a port IP, a UUID or a prefix of one, a VNI,
 * a Neutron name), each kind bounded.
 *
 * Where each reading is matched:
 * - hosts: `Host.id` / `name` by prefix, `vtep` by IPv4 prefix (live hosts only; the primary key and
 *   the `vtep` index serve these);
 * - networks: `Network.id` by prefix, `vni` exactly (primary key, `vni` index); Neutron network
 *   names by prefix (the poller's last names, one row);
 * - ports: a MAC (prefix) among the l2pop entries of the projection (`VtepEntries.macs`, and the
 *   neighbour rows' MACs), an IPv4 (prefix) among the neighbour rows' IPs, which give the port's
 *   network and VTEP, hence its host; Neutron ports by id, name, MAC or IP prefix (their
 *   `binding:host_id`). The `VtepEntries` match is a scan of the JSON text (one row per network and
 *   VTEP: about 50,000 rows for 1,000 hosts on 50 networks), then an exact check of each entry.
 */
import { type NeutronNames, type SearchQuery } from '@l2scope/domain';
import type { Db } from '../client';
import { parseColumn } from './json';
import { readNeutronApi } from './neutron-api';

/** One search result. */
export type SearchHit =
  | { kind: 'host'; host: string; vtep: string | null }
  | { kind: 'network'; network: string; vni: number | null; name: string | null }
  | {
      kind: 'port';
      /** Lower-case MAC. */
      mac: string;
      ips: string[];
      network: string;
      /** The VTEP l2pop told the hosts the port is behind; null for a Neutron port the model does not hold. */
      vtep: string | null;
      /** The host of that VTEP (or the port's `binding:host_id`); null when unknown. */
      host: string | null;
      /** Neutron port UUID and name, when the Neutron API poller knows the port. */
      portId: string | null;
      name: string | null;
    };

/** Results per kind at most, whatever `limit` asks. */
export const SEARCH_MAX_PER_KIND = 50;

/** Queries shorter than this find nothing (too many matches to be useful). */
export const SEARCH_MIN_CHARS = 2;

type Client = Pick<Db, 'host' | 'network' | 'neutronApiState' | '$queryRaw'>;

/** A `VtepEntries` row with its JSON columns as text. */
interface EntriesRow {
  networkId: string;
  vtep: string;
  macs: string;
  neigh: string;
}

/**
 * Hosts, networks and ports matching `q`: at most `limit` of each kind (1 to
 * {@link SEARCH_MAX_PER_KIND}), hosts by id, networks by VNI, ports by MAC. Nothing for a query
 * shorter than {@link SEARCH_MIN_CHARS}.
 */
export async function searchEntities(db: Client, q: SearchQuery, limit = 10): Promise<SearchHit[]> {
  if (q.text.length < SEARCH_MIN_CHARS) return [];
  const take = Math.max(1, Math.min(SEARCH_MAX_PER_KIND, Math.floor(limit)));
  const [hosts, networks, entries, api] = await Promise.all([
    db.host.findMany({
      where: {
        expiredAt: null,
        OR: [{ id: { startsWith: q.text } }, { name: { startsWith: q.text } }, ...(q.ip ? [{ vtep: { startsWith: q.ip } }] : [])],
      },
      select: { id: true, vtep: true },
      orderBy: { id: 'asc' },
      take,
    }),
    db.network.findMany({
      where: { OR: [{ id: { startsWith: q.text } }, ...(q.vni !== null ? [{ vni: q.vni }] : [])] },
      select: { id: true, vni: true },
      orderBy: [{ vni: 'asc' }, { id: 'asc' }],
      take,
    }),
    q.mac || q.ip ? matchingEntries(db, q, take * 4) : Promise.resolve([]),
    readNeutronApi(db),
  ]);
  const names = api?.names ?? null;
  const netName = new Map((names?.networks ?? []).map((n) => [n.id, n.name]));
  const hits: SearchHit[] = hosts.map((h) => ({ kind: 'host', host: h.id, vtep: h.vtep }));

  const nets = new Map(networks.map((n) => [n.id, { id: n.id, vni: n.vni }]));
  for (const n of names?.networks ?? [])
    if (nets.size < take && !nets.has(n.id) && n.name.toLowerCase().startsWith(q.text)) nets.set(n.id, { id: n.id, vni: n.segmentationId });
  for (const n of nets.values()) hits.push({ kind: 'network', network: n.id, vni: n.vni, name: netName.get(n.id) ?? null });

  hits.push(...(await portHits(db, q, entries, names, take)));
  return hits;
}

/** `VtepEntries` rows whose MACs or neighbour rows may match (a LIKE on their JSON text; checked exactly after). */
async function matchingEntries(db: Pick<Db, '$queryRaw'>, q: SearchQuery, take: number): Promise<EntriesRow[]> {
  // mac and ip hold only [0-9a-f:.]: no LIKE wildcard can come from the query
  if (q.mac) {
    const like = `%"${q.mac}%`;
    return db.$queryRaw<EntriesRow[]>`
      SELECT "networkId", "vtep", CAST("macs" AS TEXT) AS "macs", CAST("neigh" AS TEXT) AS "neigh" FROM "VtepEntries"
      WHERE CAST("macs" AS TEXT) LIKE ${like} OR CAST("neigh" AS TEXT) LIKE ${like}
      ORDER BY "networkId", "vtep" LIMIT ${take}`;
  }
  const like = `%"${q.ip}%`;
  return db.$queryRaw<EntriesRow[]>`
    SELECT "networkId", "vtep", CAST("macs" AS TEXT) AS "macs", CAST("neigh" AS TEXT) AS "neigh" FROM "VtepEntries"
    WHERE CAST("neigh" AS TEXT) LIKE ${like}
    ORDER BY "networkId", "vtep" LIMIT ${take}`;
}

async function portHits(db: Pick<Db, 'host'>, q: SearchQuery, entries: EntriesRow[], names: NeutronNames | null, take: number): Promise<SearchHit[]> {
  const ports = new Map<string, Extract<SearchHit, { kind: 'port' }>>();
  const add = (mac: string, network: string, vtep: string | null, ip: string | null) => {
    const key = `${network}/${mac}`;
    const p = ports.get(key) ?? { kind: 'port' as const, mac, ips: [], network, vtep, host: null, portId: null, name: null };
    if (ip && !p.ips.includes(ip)) p.ips.push(ip);
    p.vtep ??= vtep;
    if (ports.size < take || ports.has(key)) ports.set(key, p);
  };
  for (const e of entries) {
    const macs = parseColumn(e.macs, (t) => {
      const v: unknown = JSON.parse(String(t));
      return Array.isArray(v) ? v.filter((m): m is string => typeof m === 'string') : [];
    });
    const neigh = parseColumn(e.neigh, (t) => {
      const v: unknown = JSON.parse(String(t));
      if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
      return Object.entries(v as Record<string, unknown>).filter((x): x is [string, string] => typeof x[1] === 'string');
    });
    const rows = neigh.ok ? neigh.value : [];
    for (const mac of macs.ok ? macs.value : []) if (q.mac && mac.toLowerCase().startsWith(q.mac)) add(mac.toLowerCase(), e.networkId, e.vtep, null);
    for (const [ip, mac] of rows)
      if ((q.mac && mac.toLowerCase().startsWith(q.mac)) || (q.ip && ip.startsWith(q.ip))) add(mac.toLowerCase(), e.networkId, e.vtep, ip);
  }
  for (const n of names?.ports ?? []) {
    const hit =
      n.portId.toLowerCase().startsWith(q.text) ||
      (n.name !== '' && n.name.toLowerCase().startsWith(q.text)) ||
      (q.mac !== null && n.mac.startsWith(q.mac)) ||
      (q.ip !== null && n.ips.some((ip) => ip.startsWith(q.ip!)));
    const key = `${n.networkId}/${n.mac}`;
    if (!hit && !ports.has(key)) continue;
    if (hit) add(n.mac, n.networkId, null, null);
    const p = ports.get(key);
    if (!p) continue;
    p.portId = n.portId;
    p.name = n.name || null;
    p.host ??= n.host;
    for (const ip of n.ips) if (!p.ips.includes(ip)) p.ips.push(ip);
  }
  const vteps = [...new Set([...ports.values()].flatMap((p) => (p.vtep ? [p.vtep] : [])))];
  const byVtep = new Map<string, string>();
  if (vteps.length)
    for (const h of await db.host.findMany({ where: { vtep: { in: vteps }, expiredAt: null }, select: { id: true, vtep: true }, orderBy: { id: 'asc' } }))
      if (h.vtep && !byVtep.has(h.vtep)) byVtep.set(h.vtep, h.id);
  return [...ports.values()].map((p) => ({ ...p, host: (p.vtep && byVtep.get(p.vtep)) ?? p.host }));
}
