/**
 * What l2scope reads from Neutron's API (`GET /v2.0/ports`, `/v2.0/networks`, `/v2.0/agents`, and
 * Keystone's `/v3/projects` when allowed), validated: the API is a second source and, like the
 * broker, hostile until checked. Each list is parsed entry by entry: a malformed entry is skipped
 * and counted (`skipped`), never the whole page; strings are length-capped.
 *
 * Field names follow the Neutron API reference (api-ref/source/v2/ports.inc, networks.inc,
 * agents.inc); `binding:host_id` / `provider:*` appear only to an admin (or with noauth).
 */
import { z } from 'zod';

const str = (max = 255) => z.string().max(max);
const optStr = (max = 255) => z.string().max(max).nullish();

/** Neutron's timestamps: `2026-12-05T21:31:00Z` (resources) or `2026-12-05 21:31:00` (agents' heartbeat, UTC) -> epoch ms, null when absent or unparsable. */
export function neutronTime(v: string | null | undefined): number | null {
  if (!v) return null;
  const iso = v.includes('T') ? v : v.replace(' ', 'T');
  const t = Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
  return Number.isFinite(t) ? t : null;
}

const ZPortRaw = z.object({
  id: str(64),
  name: optStr(),
  network_id: str(64),
  project_id: optStr(64),
  tenant_id: optStr(64),
  mac_address: z
    .string()
    .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/)
    .transform((m) => m.toLowerCase()),
  fixed_ips: z
    .array(z.object({ ip_address: str(64) }).loose())
    .max(1024)
    .nullish(),
  device_id: optStr(),
  device_owner: optStr(),
  status: optStr(32),
  'binding:host_id': optStr(),
  'binding:vif_type': optStr(64),
  updated_at: optStr(64),
});

/** A Neutron port, as l2scope keeps it. */
export interface NeutronPort {
  /** Port UUID. */
  id: string;
  name: string;
  networkId: string;
  /** `project_id` (or the older `tenant_id`); null when not shown. */
  projectId: string | null;
  /** Lower-case MAC. */
  mac: string;
  /** `fixed_ips[].ip_address`. */
  ips: string[];
  /** The instance (nova server UUID) for `compute:*`, the router for `network:router_interface`, ...; '' when unbound. */
  deviceId: string;
  /** `compute:nova`, `network:dhcp`, `network:router_interface`, ...; '' when none. */
  deviceOwner: string;
  /** `ACTIVE`, `DOWN`, `BUILD`, `ERROR`. */
  status: string;
  /** `binding:host_id` (the hypervisor's agent host); null when unbound or not visible. */
  host: string | null;
  /** `binding:vif_type` (`unbound`, `binding_failed`, `bridge`, `ovs`, ...); null when not visible. */
  vifType: string | null;
  /** `updated_at` (epoch ms): bumped by the status change to ACTIVE; null when absent. */
  updatedAt: number | null;
}

const ZNetworkRaw = z.object({
  id: str(64),
  name: optStr(),
  project_id: optStr(64),
  tenant_id: optStr(64),
  'provider:network_type': optStr(32),
  'provider:segmentation_id': z
    .number()
    .int()
    .min(0)
    .max(2 ** 32)
    .nullish(),
});

/** A Neutron network, as l2scope keeps it. */
export interface NeutronNetwork {
  id: string;
  /** The network's name ('' when unnamed). */
  name: string;
  projectId: string | null;
  /** `provider:network_type` (`vxlan`, `vlan`, ...); null when not visible (not admin). */
  networkType: string | null;
  /** `provider:segmentation_id` (the VNI on VXLAN); null when not visible. */
  segmentationId: number | null;
}

const ZAgentRaw = z.object({
  id: str(64),
  host: str(),
  agent_type: str(64),
  binary: optStr(64),
  alive: z.boolean(),
  admin_state_up: z.boolean().nullish(),
  heartbeat_timestamp: optStr(64),
  configurations: z
    .object({
      l2_population: z.boolean().nullish(),
      tunneling_ip: optStr(64),
      tunnel_types: z.array(str(32)).max(16).nullish(),
    })
    .loose()
    .nullish(),
});

/** A Neutron agent row (`GET /v2.0/agents`), as l2scope keeps it. */
export interface NeutronAgent {
  id: string;
  host: string;
  /** `Linux bridge agent`, `Open vSwitch agent`, `DHCP agent`, ... */
  agentType: string;
  binary: string | null;
  /** Neutron's own `alive` (its `is_agent_down` on `heartbeat_timestamp`). */
  alive: boolean;
  adminStateUp: boolean;
  /** `configurations.l2_population`; null when the agent does not report it (not an L2 agent). */
  l2population: boolean | null;
  /** `configurations.tunneling_ip` (the VTEP); null when none. */
  tunnelingIp: string | null;
  /** `heartbeat_timestamp` (epoch ms, UTC); null when absent. */
  heartbeatAt: number | null;
}

/** The L2 agents that take part in l2pop, by `agent_type` (neutron/plugins/ml2/drivers/l2pop/constants.py `SUPPORTED_AGENT_TYPES`, plus OVN is not an RPC agent). */
export const L2_AGENT_TYPES: readonly string[] = ['Linux bridge agent', 'Open vSwitch agent'];

/** One fetch of the API: what the enrichment and the checks read. */
export interface NeutronApiSnapshot {
  /** Epoch ms when the fetch completed. */
  fetchedAt: number;
  ports: NeutronPort[];
  networks: NeutronNetwork[];
  agents: NeutronAgent[];
  /** Project id -> name, when Keystone allowed `GET /v3/projects`; empty otherwise. */
  projects: Record<string, string>;
  /** Entries dropped as malformed, across the lists. */
  skipped: number;
}

/** A parsed list: the valid entries and how many were skipped. */
export interface ParsedList<T> {
  items: T[];
  skipped: number;
}

function parseEach<R, T>(list: unknown, schema: z.ZodType<R>, map: (r: R) => T): ParsedList<T> {
  if (!Array.isArray(list)) return { items: [], skipped: 1 };
  const items: T[] = [];
  let skipped = 0;
  for (const e of list) {
    const r = schema.safeParse(e);
    if (r.success) items.push(map(r.data));
    else skipped++;
  }
  return { items, skipped };
}

/** The page body's list under `key` (`{"ports": [...], "ports_links": [...]}`); null when the body is not such an object. */
function listOf(body: unknown, key: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  return (body as Record<string, unknown>)[key];
}

/**
 * The ports of one `GET /v2.0/ports` page body (already JSON-parsed and size-checked).
 * @returns valid ports (MAC lower-cased), and the count of malformed entries skipped (1 for a body without a `ports` array)
 */
export function parsePortsPage(body: unknown): ParsedList<NeutronPort> {
  return parseEach(listOf(body, 'ports'), ZPortRaw, (p) => ({
    id: p.id,
    name: p.name ?? '',
    networkId: p.network_id,
    projectId: p.project_id ?? p.tenant_id ?? null,
    mac: p.mac_address,
    ips: (p.fixed_ips ?? []).map((f) => f.ip_address),
    deviceId: p.device_id ?? '',
    deviceOwner: p.device_owner ?? '',
    status: p.status ?? '',
    host: p['binding:host_id'] || null,
    vifType: p['binding:vif_type'] ?? null,
    updatedAt: neutronTime(p.updated_at),
  }));
}

/** The networks of one `GET /v2.0/networks` page body. */
export function parseNetworksPage(body: unknown): ParsedList<NeutronNetwork> {
  return parseEach(listOf(body, 'networks'), ZNetworkRaw, (n) => ({
    id: n.id,
    name: n.name ?? '',
    projectId: n.project_id ?? n.tenant_id ?? null,
    networkType: n['provider:network_type'] ?? null,
    segmentationId: n['provider:segmentation_id'] ?? null,
  }));
}

/** The agents of one `GET /v2.0/agents` page body. */
export function parseAgentsPage(body: unknown): ParsedList<NeutronAgent> {
  return parseEach(listOf(body, 'agents'), ZAgentRaw, (a) => ({
    id: a.id,
    host: a.host,
    agentType: a.agent_type,
    binary: a.binary ?? null,
    alive: a.alive,
    adminStateUp: a.admin_state_up ?? true,
    l2population: a.configurations?.l2_population ?? null,
    tunnelingIp: a.configurations?.tunneling_ip ?? null,
    heartbeatAt: neutronTime(a.heartbeat_timestamp),
  }));
}

const ZProjectRaw = z.object({ id: str(64), name: str() });

/** Project id -> name from one Keystone `GET /v3/projects` page body (`{"projects": [...]}`). */
export function parseProjectsPage(body: unknown): ParsedList<[string, string]> {
  return parseEach(listOf(body, 'projects'), ZProjectRaw, (p) => [p.id, p.name] as [string, string]);
}

/** The `marker` query parameter of a link, URL-decoded; null when absent or malformed. */
function decodedMarker(href: string): string | null {
  const m = /[?&]marker=([^&#]{1,192})/.exec(href);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

/**
 * The `marker` of the next page, from Neutron's `<resource>_links` (`rel: next`, `?marker=<id>`),
 * or null on the last page. Only the `marker` query parameter is taken from the link (never its
 * host: a hostile server must not redirect l2scope elsewhere).
 */
export function nextMarker(body: unknown, key: string): string | null {
  const links = listOf(body, `${key}_links`);
  if (!Array.isArray(links)) return null;
  for (const l of links as unknown[]) {
    if (typeof l !== 'object' || l === null) continue;
    const { rel, href } = l as { rel?: unknown; href?: unknown };
    if (rel !== 'next' || typeof href !== 'string' || href.length > 4096) continue;
    const marker = decodedMarker(href);
    if (marker && marker.length <= 64) return marker;
  }
  return null;
}
