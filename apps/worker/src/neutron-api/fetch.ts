/**
 * One read of Neutron's API: every port, network and agent (paginated with `limit` + `marker`,
 * only the fields l2scope uses), and the project names Keystone lets the user list. GET only.
 */
import { type NeutronApiSnapshot, type ParsedList, nextMarker, parseAgentsPage, parseNetworksPage, parsePortsPage, parseProjectsPage } from '@l2scope/domain';
import { HttpError, type HttpLimits, requestJson } from './http';

/** Bounds of one read. */
export interface FetchLimits extends HttpLimits {
  /** Entries per page (`limit`). */
  pageSize: number;
  /** Stop reading a resource after this many entries (the rest is not read; the resource is listed in `truncated`). */
  maxItems: number;
}

/** Where to read and with which token (none for a noauth endpoint). */
export interface ApiTarget {
  /** Neutron's endpoint, with or without `/v2.0`. */
  networkUrl: string;
  token?: string;
  /** Keystone's v3 root, for project names; none for noauth. */
  identityUrl?: string;
}

/** The fields asked for per resource (`fields=`: smaller answers; Neutron returns only these). */
const FIELDS = {
  ports: [
    'id',
    'name',
    'network_id',
    'project_id',
    'tenant_id',
    'mac_address',
    'fixed_ips',
    'device_id',
    'device_owner',
    'status',
    'binding:host_id',
    'binding:vif_type',
    'updated_at',
  ],
  networks: ['id', 'name', 'project_id', 'tenant_id', 'provider:network_type', 'provider:segmentation_id'],
  agents: ['id', 'host', 'agent_type', 'binary', 'alive', 'admin_state_up', 'heartbeat_timestamp', 'configurations'],
} as const;

/** `<endpoint>/v2.0` whether or not the catalog's URL carries the version. */
export const v2Base = (url: string) => (/\/v2\.0$/.test(url.replace(/\/+$/, '')) ? url.replace(/\/+$/, '') : `${url.replace(/\/+$/, '')}/v2.0`);

/** A resource read to the end (or `maxItems`): its entries, the malformed count, and whether it was cut. */
async function listAll<T>(
  target: ApiTarget,
  key: keyof typeof FIELDS,
  parse: (body: unknown) => ParsedList<T>,
  limits: FetchLimits,
): Promise<ParsedList<T> & { truncated: boolean }> {
  const items: T[] = [];
  let skipped = 0;
  let marker: string | null = null;
  const seen = new Set<string>();
  const headers: Record<string, string> = target.token ? { 'X-Auth-Token': target.token } : {};
  for (;;) {
    const q = new URLSearchParams([['limit', String(limits.pageSize)], ...FIELDS[key].map((f): [string, string] => ['fields', f])]);
    if (marker) q.set('marker', marker);
    const { json } = await requestJson(`${v2Base(target.networkUrl)}/${key}?${q.toString()}`, { headers }, limits);
    const page = parse(json);
    items.push(...page.items);
    skipped += page.skipped;
    if (items.length >= limits.maxItems) return { items: items.slice(0, limits.maxItems), skipped, truncated: true };
    marker = page.items.length ? nextMarker(json, key) : null;
    // a server that repeats a marker would loop forever
    if (!marker || seen.has(marker)) return { items, skipped, truncated: false };
    seen.add(marker);
  }
}

/** Project id -> name: `GET /v3/projects` (admin), else `GET /v3/auth/projects` (the user's own); {} when neither answers. */
async function projectNames(target: ApiTarget, limits: FetchLimits): Promise<Record<string, string>> {
  if (!target.identityUrl || !target.token) return {};
  for (const path of ['/projects', '/auth/projects']) {
    try {
      const { json } = await requestJson(`${target.identityUrl}${path}`, { headers: { 'X-Auth-Token': target.token } }, limits);
      const r = parseProjectsPage(json);
      return Object.fromEntries(r.items.slice(0, limits.maxItems));
    } catch (err) {
      if (!(err instanceof HttpError) || (err.status !== 403 && err.status !== 401 && err.status !== 404)) throw err;
    }
  }
  return {};
}

/** What one read gives: the snapshot and which resources hit `maxItems`. */
export interface FetchResult {
  snapshot: NeutronApiSnapshot;
  /** Resources cut at `maxItems`. */
  truncated: string[];
}

/**
 * Read ports, networks, agents (and project names) once.
 * @throws HttpError / Error on the first failing request (the poll fails as a whole: a partial read would fake findings)
 */
export async function fetchNeutronApi(target: ApiTarget, limits: FetchLimits, now: () => number = Date.now): Promise<FetchResult> {
  const ports = await listAll(target, 'ports', parsePortsPage, limits);
  const networks = await listAll(target, 'networks', parseNetworksPage, limits);
  const agents = await listAll(target, 'agents', parseAgentsPage, limits);
  const projects = await projectNames(target, limits).catch(() => ({}));
  const truncated = [ports.truncated && 'ports', networks.truncated && 'networks', agents.truncated && 'agents'].filter((x): x is string => !!x);
  return {
    snapshot: {
      fetchedAt: now(),
      ports: ports.items,
      networks: networks.items,
      agents: agents.items,
      projects,
      skipped: ports.skipped + networks.skipped + agents.skipped,
    },
    truncated,
  };
}
