/**
 * The fleet view's data: past {@link FLEET_THRESHOLD} hosts the topology stops drawing one React
 * Flow card per host and shows every host as a point, grouped and coloured. Pure: no React, no
 * sigma; the view (components/topology/FleetView.tsx) turns these into graphology attributes.
 *
 * Grouping, first rule that applies:
 * 1. a zone the caller knows (`zoneOf`: availability zone / host aggregate). Neutron's agent rows
 *    carry `availability_zone` only for DHCP and L3 agents and l2scope does not read Nova's
 *    aggregates today: the hook is there for when it does (see docs/fleet-view.md);
 * 2. the host name's pattern, its last run of digits replaced by `*` (`compute-r12-07` ->
 *    `compute-r12-*`), when that splits the fleet into 2 .. hosts/2 groups;
 * 3. the VTEP's /24 (`10.20.3.0/24`); hosts no report named yet and without a VTEP: `unknown`.
 */
import type { HostNodeSummary, HostView } from '@l2scope/domain';

/** Above this many hosts the topology opens on the fleet view (override: `?fleet=<n>` on the page URL). */
export const FLEET_THRESHOLD = 60;

/** How a point is coloured. */
export type FleetColourBy = 'drift' | 'liveness' | 'mode';

/** A host's state as the fleet view colours it. */
export interface FleetHostState {
  /** Drift items from its node agent's analysis; null without a node agent. */
  drift: number | null;
  /** Its L2 agent is down (the worker's `agent_down` verdict). */
  down: boolean;
  /** `l2_population` as its agent reports it. */
  l2pop: boolean | null;
  /** OVS `arp_responder`; null when not reported. */
  arpResponder: boolean | null;
}

/** One host of the fleet. */
export interface FleetHost {
  id: string;
  /** Host name, or the VTEP IP for a host no report named yet. */
  title: string;
  vtep: string | null;
  group: string;
  /** Networks it is a member of (network ids, sorted). */
  networks: string[];
  state: FleetHostState;
}

/** One group of hosts, largest first. */
export interface FleetGroup {
  key: string;
  /** Host ids, sorted by title. */
  hosts: string[];
}

/** How hosts were grouped (shown beside the view). */
export type GroupRule = 'zone' | 'name' | 'subnet';

/** The fleet: hosts, their groups, and the rule that made the groups. */
export interface Fleet {
  hosts: FleetHost[];
  groups: FleetGroup[];
  rule: GroupRule;
}

/** `compute-r12-07` -> `compute-r12-*`; a name without digits is its own pattern. */
export function namePattern(name: string): string {
  return name.replace(/\d+(?!.*\d)/, '*');
}

/** `10.20.3.17` -> `10.20.3.0/24`; null for anything but a dotted IPv4 address. */
export function vtepSubnet(vtep: string | null): string | null {
  const m = vtep ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(vtep) : null;
  return m ? `${m[1]}.${m[2]}.${m[3]}.0/24` : null;
}

function groupBy(hosts: readonly HostView[], key: (h: HostView) => string): Map<string, HostView[]> {
  const out = new Map<string, HostView[]>();
  for (const h of hosts) {
    const k = key(h);
    const list = out.get(k);
    if (list) list.push(h);
    else out.set(k, [h]);
  }
  return out;
}

const titleOf = (h: HostView) => h.name ?? h.vtep ?? h.id;

/**
 * Group the hosts: by `zoneOf` when it names a zone for at least one host, else by name pattern
 * when that gives 2 .. max(2, hosts/2) groups, else by VTEP /24.
 * @param zoneOf availability zone / aggregate of a host name, null when unknown (the hook: none today)
 */
export function groupHosts(hosts: readonly HostView[], zoneOf?: (host: string) => string | null): { groups: Map<string, HostView[]>; rule: GroupRule } {
  if (zoneOf && hosts.some((h) => h.name && zoneOf(h.name))) {
    return { groups: groupBy(hosts, (h) => (h.name && zoneOf(h.name)) || 'no zone'), rule: 'zone' };
  }
  const named = hosts.filter((h) => h.name);
  const byName = groupBy(named, (h) => namePattern(h.name!));
  if (byName.size >= 2 && byName.size <= Math.max(2, hosts.length / 2)) {
    for (const h of hosts) if (!h.name) (byName.get('unnamed') ?? byName.set('unnamed', []).get('unnamed')!).push(h);
    return { groups: byName, rule: 'name' };
  }
  return { groups: groupBy(hosts, (h) => vtepSubnet(h.vtep) ?? 'unknown'), rule: 'subnet' };
}

/** The per-host state inputs: the node analysis and the down agents (both may be empty). */
export interface FleetOverlay {
  summaries: ReadonlyMap<string, HostNodeSummary>;
  downAgents: ReadonlySet<string>;
}

/** The state of one host (the analysis' liveness first, then an `agent_down` finding). */
export function fleetHostState(h: HostView, o: FleetOverlay): FleetHostState {
  const s = h.name ? o.summaries.get(h.name) : undefined;
  const down = s?.agent ? !s.agent.alive : !!h.name && o.downAgents.has(h.name);
  return { drift: s ? s.driftTotal : null, down, l2pop: h.l2population, arpResponder: h.arpResponder };
}

/** The fleet of a model's hosts (groups largest first, then by key; hosts in a group by title). */
export function buildFleet(hosts: readonly HostView[], o: FleetOverlay, zoneOf?: (host: string) => string | null): Fleet {
  const { groups, rule } = groupHosts(hosts, zoneOf);
  const out: FleetHost[] = [];
  const list: FleetGroup[] = [];
  for (const [key, members] of groups) {
    const sorted = [...members].sort((a, b) => titleOf(a).localeCompare(titleOf(b), 'en', { numeric: true }));
    list.push({ key, hosts: sorted.map((h) => h.id) });
    for (const h of sorted) {
      out.push({ id: h.id, title: titleOf(h), vtep: h.vtep, group: key, networks: Object.keys(h.networks).sort(), state: fleetHostState(h, o) });
    }
  }
  list.sort((a, b) => b.hosts.length - a.hosts.length || a.key.localeCompare(b.key, 'en', { numeric: true }));
  return { hosts: out, groups: list, rule };
}

/** Point colours (the legend shows the same). */
export const FLEET_COLOURS = {
  ok: '#16a34a',
  drift: '#dc2626',
  noAgent: '#94a3b8',
  alive: '#16a34a',
  down: '#111827',
  l2pop: '#2563eb',
  l2popArp: '#0891b2',
  floodLearn: '#d97706',
  unknown: '#94a3b8',
} as const;

/**
 * A point's colour: `drift`: red with drift, green without, grey without a node agent;
 * `liveness`: near-black when its agent is down, green else; `mode`: blue l2pop, cyan l2pop with
 * ARP responder, amber flood-and-learn (l2_population = false), grey unknown.
 */
export function hostColour(s: FleetHostState, by: FleetColourBy): string {
  if (by === 'liveness') return s.down ? FLEET_COLOURS.down : FLEET_COLOURS.alive;
  if (by === 'drift') return s.drift === null ? FLEET_COLOURS.noAgent : s.drift > 0 ? FLEET_COLOURS.drift : FLEET_COLOURS.ok;
  if (s.l2pop === null) return FLEET_COLOURS.unknown;
  if (!s.l2pop) return FLEET_COLOURS.floodLearn;
  return s.arpResponder ? FLEET_COLOURS.l2popArp : FLEET_COLOURS.l2pop;
}

/** Point size (px at zoom 1): larger when it needs a look (drift or down). */
export function hostSize(s: FleetHostState): number {
  return s.down || (s.drift ?? 0) > 0 ? 7 : 4;
}

/** Counts per colour class of a group (its label and tooltip). */
export function groupCounts(fleet: Fleet, group: string): { hosts: number; drift: number; down: number; floodLearn: number } {
  let hosts = 0;
  let drift = 0;
  let down = 0;
  let floodLearn = 0;
  for (const h of fleet.hosts) {
    if (h.group !== group) continue;
    hosts++;
    if ((h.state.drift ?? 0) > 0) drift++;
    if (h.state.down) down++;
    if (h.state.l2pop === false) floodLearn++;
  }
  return { hosts, drift, down, floodLearn };
}
