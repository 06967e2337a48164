/**
 * A minimal client of the lab's Neutron API (v2.0, `auth_strategy = noauth`: every request is an
 * admin of project `fake_project_id`, so `provider:*` and `binding:host_id` are allowed; docs/lab.md#server).
 */
import { API_URL } from './paths';

/** The fields of a Neutron agent the lab reads (GET /v2.0/agents). */
export interface NeutronAgent {
  id: string;
  host: string;
  agent_type: string;
  binary: string;
  alive: boolean;
  admin_state_up: boolean;
  /** UTC `YYYY-MM-DD HH:MM:SS` (1 s resolution; docs/lab.md#gotcha-11). */
  started_at: string;
  heartbeat_timestamp: string;
  configurations: { l2_population?: boolean; tunneling_ip?: string; arp_responder_enabled?: boolean; devices?: number; [k: string]: unknown };
}

/** The fields of a Neutron port the lab reads. */
export interface NeutronPort {
  id: string;
  name: string;
  network_id: string;
  mac_address: string;
  status: string;
  device_id: string;
  device_owner: string;
  'binding:host_id': string;
  'binding:vif_type'?: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
}

/** A Neutron network (the fields the lab reads). */
export interface NeutronNetwork {
  id: string;
  name: string;
  status: string;
  mtu: number;
  'provider:network_type': string;
  'provider:segmentation_id': number | null;
  subnets: string[];
}

/**
 * One API request.
 * @throws Error `<METHOD> <path>: <status> <body>` on a non-2xx answer or a connection failure
 */
export async function neutron<T>(method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
  const res = await fetch(`${API_URL}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** Whether the API answers (GET /v2.0/networks returns 200). */
export async function apiUp(): Promise<boolean> {
  try {
    await neutron('GET', '/v2.0/networks?limit=1', undefined, 3000);
    return true;
  } catch {
    return false;
  }
}

/** All agents, optionally of one host. */
export async function listAgents(host?: string): Promise<NeutronAgent[]> {
  const q = host ? `?host=${encodeURIComponent(host)}` : '';
  return (await neutron<{ agents: NeutronAgent[] }>('GET', `/v2.0/agents${q}`)).agents;
}

/** All ports of a network. */
export async function listPorts(networkId: string): Promise<NeutronPort[]> {
  return (await neutron<{ ports: NeutronPort[] }>('GET', `/v2.0/ports?network_id=${networkId}`)).ports;
}

/** One port, or null when it is gone (404). */
export async function getPort(id: string): Promise<NeutronPort | null> {
  try {
    return (await neutron<{ port: NeutronPort }>('GET', `/v2.0/ports/${id}`)).port;
  } catch (e) {
    if (/: 404 /.test((e as Error).message)) return null;
    throw e;
  }
}

/** Networks with a given name. */
export async function findNetworks(name: string): Promise<NeutronNetwork[]> {
  return (await neutron<{ networks: NeutronNetwork[] }>('GET', `/v2.0/networks?name=${encodeURIComponent(name)}`)).networks;
}

/**
 * `started_at` as epoch ms (the API prints UTC without a zone).
 * @throws Error on an unparseable value
 */
export function startedAtMs(a: Pick<NeutronAgent, 'started_at'>): number {
  const ms = Date.parse(`${a.started_at.replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) throw new Error(`bad started_at "${a.started_at}"`);
  return ms;
}
