/**
 * Names from Neutron's API on the model: which port, instance, network and project a MAC is, and
 * Neutron's own `alive` per host (`enrich`); and the two checks only the API makes possible
 * (`neutronApiFindings`): ports ACTIVE in the API that l2pop never announced, and agents Neutron
 * counts alive that the tap hears nothing from.
 *
 * Pure: the fetch time of the API snapshot is "now"; the tap's watch start is an input.
 */
import type { ModelSnapshot } from '../model';
import type { Finding } from '../node/analysis/findings';
import type { Evidence } from '../node/analysis/evidence';
import { AGENT_DOWN_TIME_MS } from '../agent-liveness';
import { L2_AGENT_TYPES, type NeutronAgent, type NeutronApiSnapshot, type NeutronPort } from './schema';

/** One port's names, keyed in the UI by (network, MAC). */
export interface PortName {
  /** Neutron port UUID. */
  portId: string;
  /** The port's own name ('' when unnamed). */
  name: string;
  /** Lower-case MAC. */
  mac: string;
  networkId: string;
  /** The network's name; null when the API did not list the network. */
  networkName: string | null;
  /** The instance (nova server UUID) for `compute:*` owners, else the owning router/DHCP id; '' when none. */
  deviceId: string;
  deviceOwner: string;
  projectId: string | null;
  /** From Keystone when it allowed listing projects; else null (the UI shows the id). */
  projectName: string | null;
  /** Neutron's port status (`ACTIVE`, `DOWN`, ...). */
  status: string;
  /** `binding:host_id`; null when unbound or not visible. */
  host: string | null;
  ips: string[];
  /** The model holds this MAC on this network (some VTEP's l2pop entries). */
  announced: boolean;
}

/** A network's names. */
export interface NetworkName {
  id: string;
  name: string;
  projectId: string | null;
  projectName: string | null;
  networkType: string | null;
  segmentationId: number | null;
}

/** A host's L2 agent as Neutron sees it. */
export interface AgentName {
  host: string;
  agentType: string;
  /** Neutron's `alive`. */
  alive: boolean;
  adminStateUp: boolean;
  l2population: boolean | null;
  tunnelingIp: string | null;
}

/** What the dashboard shows from the API: every port, network and L2 agent with its names. */
export interface NeutronNames {
  /** Epoch ms of the API fetch these come from. */
  fetchedAt: number;
  /** Sorted by network, then MAC. */
  ports: PortName[];
  /** Sorted by id. */
  networks: NetworkName[];
  /** L2 agents only (`Linux bridge agent`, `Open vSwitch agent`), sorted by host. */
  agents: AgentName[];
}

/** Settings of the checks. */
export interface NeutronCheckOptions {
  /**
   * Epoch ms since when the tap has watched without a break (null: not watching). A port that
   * became ACTIVE before it, or an agent whose silence started before it, is not judged: l2scope
   * cannot know what was cast while it was not listening.
   */
  watchingSince: number | null;
  /** neutron-server's `agent_down_time` (ms, default 75 s). */
  agentDownTimeMs?: number;
  /** Time a cast may take after the port went ACTIVE before its absence counts (ms, default 15 s). */
  castGraceMs?: number;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** MACs the model holds per network (flood entries aside), from every VTEP's unicast rows and neighbour entries. */
function announcedMacs(model: ModelSnapshot): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const v of model.vteps) {
    let s = out.get(v.network);
    if (!s) out.set(v.network, (s = new Set()));
    for (const m of v.macs) s.add(m.toLowerCase());
    for (const m of Object.values(v.neigh)) s.add(m.toLowerCase());
  }
  return out;
}

/** The L2 agent per host (the first alive one when a host lists several). */
function l2AgentsByHost(agents: readonly NeutronAgent[]): Map<string, NeutronAgent> {
  const m = new Map<string, NeutronAgent>();
  for (const a of agents) {
    if (!L2_AGENT_TYPES.includes(a.agentType)) continue;
    const prev = m.get(a.host);
    if (!prev || (!prev.alive && a.alive)) m.set(a.host, a);
  }
  return m;
}

/**
 * The API's names for the dashboard: every port with its network's and project's names and
 * whether the model holds its MAC; every network; each host's L2 agent with Neutron's `alive`.
 * @param model the model (what l2pop announced)
 * @param api one fetch of the API
 */
export function enrich(model: ModelSnapshot, api: NeutronApiSnapshot): NeutronNames {
  const nets = new Map(api.networks.map((n) => [n.id, n]));
  const macs = announcedMacs(model);
  const project = (id: string | null) => (id ? (api.projects[id] ?? null) : null);
  const ports: PortName[] = api.ports
    .map((p) => ({
      portId: p.id,
      name: p.name,
      mac: p.mac,
      networkId: p.networkId,
      networkName: nets.get(p.networkId)?.name ?? null,
      deviceId: p.deviceId,
      deviceOwner: p.deviceOwner,
      projectId: p.projectId,
      projectName: project(p.projectId),
      status: p.status,
      host: p.host,
      ips: p.ips,
      announced: macs.get(p.networkId)?.has(p.mac) ?? false,
    }))
    .sort((a, b) => cmp(a.networkId, b.networkId) || cmp(a.mac, b.mac) || cmp(a.portId, b.portId));
  const networks: NetworkName[] = api.networks.map((n) => ({ ...n, projectName: project(n.projectId) })).sort((a, b) => cmp(a.id, b.id));
  const agents: AgentName[] = [...l2AgentsByHost(api.agents).values()]
    .map((a) => ({
      host: a.host,
      agentType: a.agentType,
      alive: a.alive,
      adminStateUp: a.adminStateUp,
      l2population: a.l2population,
      tunnelingIp: a.tunnelingIp,
    }))
    .sort((a, b) => cmp(a.host, b.host));
  return { fetchedAt: api.fetchedAt, ports, networks, agents };
}

/** Tunnel network types l2pop serves (`_validate_segment`: the segment's type among the agent's `tunnel_types`). */
const TUNNEL_TYPES = new Set(['vxlan', 'gre', 'geneve']);
/** Owners whose ports l2pop does not announce (`update_port_up`: DVR interfaces and HA router ports). */
const NOT_ANNOUNCED_OWNERS = new Set(['network:router_interface_distributed', 'network:router_ha_interface']);

const iso = (ms: number | null) => (ms === null ? '?' : new Date(ms).toISOString());
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * Whether l2pop should have announced this port by now: ACTIVE, bound (not `unbound` /
 * `binding_failed`) to a host whose L2 agent Neutron counts alive with `l2_population` on, on a
 * tunnel network, not a DVR or HA router port, and it went ACTIVE (its `updated_at`) while the tap
 * watched and at least `castGraceMs` before the fetch.
 * Mirrors neutron/plugins/ml2/drivers/l2pop/mech_driver.py `update_port_up`: it casts the
 * port's `[mac, ip]` entries in a fanout `add_fdb_entries`, even when no other agent serves the network.
 */
function expectsAnnouncement(
  p: NeutronPort,
  agent: NeutronAgent | undefined,
  netType: string | null | undefined,
  api: NeutronApiSnapshot,
  opts: NeutronCheckOptions,
): boolean {
  if (p.status !== 'ACTIVE' || !p.host || !agent || !agent.alive || agent.l2population !== true) return false;
  if (p.vifType === 'unbound' || p.vifType === 'binding_failed') return false;
  if (NOT_ANNOUNCED_OWNERS.has(p.deviceOwner)) return false;
  if (netType !== null && netType !== undefined && !TUNNEL_TYPES.has(netType)) return false;
  if (opts.watchingSince === null || p.updatedAt === null) return false;
  return p.updatedAt >= opts.watchingSince && p.updatedAt <= api.fetchedAt - (opts.castGraceMs ?? 15_000);
}

/** The `network` key of a host's `agent_silent_on_tap` finding: `agent:<host>`, as `agent_down`'s. */
const agentKey = (host: string) => `agent:${host}`;

/**
 * The API's consistency checks against the model:
 *
 * - `port_without_l2pop` (per network): ports l2pop should have announced (see
 *   `expectsAnnouncement`) whose MAC the model does not hold on that network. The server casts
 *   nothing for them: most often the `l2population` mechanism driver is missing from
 *   `[ml2] mechanism_drivers`, or the tap does not see the cast.
 * - `agent_silent_on_tap` (per host): Neutron says the host's L2 agent is alive, yet the tap saw
 *   no report_state from it within `agent_down_time` (after watching at least that long): the
 *   agent reports elsewhere (another broker, vhost or exchange) or the tap misses it.
 *
 * @param model the model at the time of the fetch (`lastReportAt`: receive times, epoch ms)
 * @param api one fetch of the API; its `fetchedAt` is "now"
 * @returns findings sorted by kind, then network
 */
export function neutronApiFindings(model: ModelSnapshot, api: NeutronApiSnapshot, opts: NeutronCheckOptions): Finding[] {
  const out: Finding[] = [];
  const agents = l2AgentsByHost(api.agents);
  const nets = new Map(api.networks.map((n) => [n.id, n]));
  const modelNets = new Map(model.networks.map((n) => [n.id, n]));
  const macs = announcedMacs(model);

  const missing = new Map<string, NeutronPort[]>();
  for (const p of api.ports) {
    const netType = nets.get(p.networkId)?.networkType ?? modelNets.get(p.networkId)?.networkType;
    if (!expectsAnnouncement(p, agents.get(p.host ?? ''), netType, api, opts)) continue;
    if (macs.get(p.networkId)?.has(p.mac)) continue;
    const list = missing.get(p.networkId) ?? [];
    list.push(p);
    missing.set(p.networkId, list);
  }
  for (const [network, ports] of [...missing].sort(([a], [b]) => cmp(a, b))) {
    const hosts = [...new Set(ports.map((p) => p.host!))].sort(cmp);
    const vni = modelNets.get(network)?.vni ?? nets.get(network)?.segmentationId ?? null;
    const name = nets.get(network)?.name;
    const evidence: Evidence[] = ports.slice(0, 8).map((p) => ({
      host: p.host!,
      source: 'neutron_api',
      file: null,
      text:
        `port ${p.id} mac ${p.mac} ${p.ips.join(',') || '-'} ACTIVE since ${iso(p.updatedAt)} on ${p.host} ` +
        `(${p.deviceOwner || 'no owner'} ${p.deviceId || '-'}); no l2pop entry for it on the tap (VTEP ${agents.get(p.host!)?.tunnelingIp ?? '?'})`,
    }));
    out.push({
      kind: 'port_without_l2pop',
      network,
      vni,
      hosts,
      detail:
        `${ports.length} port${ports.length === 1 ? '' : 's'} of network ${name ? `"${name}" ` : ''}${network} went ACTIVE on ${hosts.join(', ')} while l2scope watched, ` +
        `on hosts whose L2 agent runs with l2_population on, yet no l2pop add_fdb_entries announced ${ports.length === 1 ? 'its' : 'their'} MAC. ` +
        `Other hosts get no FDB or ARP responder entries for ${ports.length === 1 ? 'it' : 'them'}: unicast to ${ports.length === 1 ? 'it' : 'them'} is dropped or flooded. ` +
        `Check that neutron-server's [ml2] mechanism_drivers lists l2population, and that the tap sees the server's casts (docs/neutron-api.md#checks).`,
      evidence,
    });
  }

  const downTime = opts.agentDownTimeMs ?? AGENT_DOWN_TIME_MS;
  const watchedLongEnough = opts.watchingSince !== null && api.fetchedAt - opts.watchingSince >= downTime;
  if (watchedLongEnough) {
    const lastReport = new Map<string, number | null>();
    for (const h of model.hosts) if (h.name) lastReport.set(h.name, h.lastReportAt);
    for (const a of [...agents.values()].sort((x, y) => cmp(x.host, y.host))) {
      if (!a.alive || !a.adminStateUp) continue;
      const last = lastReport.get(a.host) ?? null;
      if (last !== null && api.fetchedAt - last <= downTime) continue;
      out.push({
        kind: 'agent_silent_on_tap',
        network: agentKey(a.host),
        vni: null,
        hosts: [a.host],
        detail:
          `Neutron counts the ${a.agentType} on ${a.host} alive (last heartbeat ${iso(a.heartbeatAt)}), but l2scope's tap has seen ` +
          `${last === null ? 'no report_state from it' : `no report_state from it since ${iso(last)}`}, longer than agent_down_time (${seconds(downTime)}). ` +
          `The agent reports to neutron-server by a path the tap does not see (another broker, vhost or exchange), or the tap misses its messages: ` +
          `l2scope's view of this host (its VTEP, mode, liveness) is stale (docs/neutron-api.md#checks).`,
        evidence: [
          {
            host: a.host,
            source: 'neutron_api',
            file: null,
            text: `GET /v2.0/agents: ${a.agentType} on ${a.host} alive=true heartbeat_timestamp=${iso(a.heartbeatAt)}; tap's last report_state ${iso(last)}`,
          },
        ],
      });
    }
  }
  return out;
}

/** Lookups over {@link NeutronNames} for the UI, built once per names object. */
export interface NamesIndex {
  /** The port with this MAC on this network. */
  port(network: string, mac: string): PortName | undefined;
  /** Ports with this MAC on any network (a MAC may repeat across networks). */
  portsByMac(mac: string): readonly PortName[];
  /** The ports of a network, by MAC. */
  portsOf(network: string): readonly PortName[];
  /** Epoch ms of the read the names come from. */
  fetchedAt: number;
  network(id: string): NetworkName | undefined;
  agent(host: string): AgentName | undefined;
}

const indexes = new WeakMap<NeutronNames, NamesIndex>();

/** The lookups of one names object (memoised per object). */
export function namesIndex(names: NeutronNames): NamesIndex {
  let ix = indexes.get(names);
  if (ix) return ix;
  const byKey = new Map<string, PortName>();
  const byMac = new Map<string, PortName[]>();
  const byNet = new Map<string, PortName[]>();
  for (const p of names.ports) {
    const n = byNet.get(p.networkId);
    if (n) n.push(p);
    else byNet.set(p.networkId, [p]);
    byKey.set(`${p.networkId}/${p.mac}`, p);
    const l = byMac.get(p.mac);
    if (l) l.push(p);
    else byMac.set(p.mac, [p]);
  }
  const nets = new Map(names.networks.map((n) => [n.id, n]));
  const agents = new Map(names.agents.map((a) => [a.host, a]));
  ix = {
    port: (network, mac) => byKey.get(`${network}/${mac.toLowerCase()}`),
    portsByMac: (mac) => byMac.get(mac.toLowerCase()) ?? [],
    portsOf: (network) => byNet.get(network) ?? [],
    fetchedAt: names.fetchedAt,
    network: (id) => nets.get(id),
    agent: (host) => agents.get(host),
  };
  indexes.set(names, ix);
  return ix;
}
