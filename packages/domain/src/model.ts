/**
 * The cluster model: what neutron-server's l2pop driver has told the agents, folded from
 * decoded messages. Deterministic and free of I/O: the same messages give the same model.
 *
 * Semantics mirror the agents, not just the server:
 * - neutron/agent/l2/.../l2population_rpc.py and the Linux bridge agent's `fdb_add`,
 *   `fdb_remove`, `_fdb_chg_ip` (neutron/plugins/ml2/drivers/linuxbridge/agent/
 *   linuxbridge_neutron_agent.py `LinuxBridgeRpcCallbacks`, `LinuxBridgeManager.add_fdb_entries`
 *   / `remove_fdb_entries`): a unicast `[mac, ip]` becomes one bridge FDB row `mac dst <vtep>`
 *   (keyed by MAC) and, with arp_responder, one neighbour row `ip lladdr mac`; a remove deletes
 *   the FDB row of the MAC and the neighbour row of that IP; `chg_ip` only touches neighbour rows
 *   ("after" added first, then "before" removed); the flood entry is one FDB row
 *   `00:00:00:00:00:00 dst <vtep>`. Duplicated casts are idempotent (the agent uses `replace`/`append`).
 * - An agent applies entries only for networks it has a local port on (`network_map`), skips its
 *   own VTEP (`agent_ip == local_ip`), and applies nothing with `l2_population = false`.
 *   The host-directed cast sent for a host's first port carries the whole network
 *   (mech_driver.py `_create_agent_fdb`), so what a member host holds equals the network's
 *   entries of every other VTEP: the model keeps one entry set per network (memory O(ports),
 *   not O(hosts x ports)) and derives each host's view from it.
 * - A host joins a network's `network_map` when its first port there comes up (its VTEP appears in
 *   a cast) or when it gets a host-directed cast. A Linux bridge host does NOT leave when its last
 *   port goes (the agent keeps `network_map` until `network_delete`, and keeps applying that
 *   network's casts: see fixtures lab2/lab3 step 5 on compute2); an OVS host does (`port_unbound`
 *   -> `reclaim_local_vlan`: network-lifecycle.ts `membershipEndsWithLastPort`). Any host leaves on
 *   an agent restart (`start_flag`) if it then has no port on the network.
 * - `network_delete` (rpc.py `AgentNotifierApi.network_delete`) ends the network: it leaves the
 *   model with its entries and every host's membership (`network_removed`); the stored messages
 *   and model changes keep its history. Networks are keyed by id, never by VNI: a later network
 *   reusing the VNI is another record.
 */
import { type AgentReport, isL2AgentReport } from './agent';
import { AGENT_DOWN_TIME_MS } from './agent-liveness';
import type { DecodedMessage } from './decode';
import { FLOOD_MAC } from './l2pop';
import { ChangeSet, cloneHost } from './model-change-set';
import type { HostMembership, HostNetworkFdb, HostView, ModelChange, ModelSnapshot, NetworkView, ToldFdbRow, VtepEntries } from './model-records';
import { membershipEndsWithLastPort } from './network-lifecycle';
import { type VtepConflict, vtepClaimConflict } from './vtep-conflict';

export * from './model-records';

interface VtepState {
  flood: boolean;
  macs: Set<string>;
  neigh: Map<string, string>;
  updatedAt: number;
}

interface NetworkState {
  view: NetworkView;
  vteps: Map<string, VtepState>;
}

const anonId = (vtep: string) => `vtep:${vtep}`;

function emptyHost(id: string, name: string | null, vtep: string | null): HostView {
  return {
    id,
    name,
    vtep,
    agentType: null,
    binary: null,
    l2population: null,
    arpResponder: null,
    distributedRouting: null,
    tunnelTypes: [],
    devices: null,
    startedAt: null,
    lastReportAt: null,
    networks: {},
  };
}

/**
 * The l2pop cluster model. `apply` folds one decoded message and returns the changes it made
 * (empty for duplicates and for messages that do not affect the model).
 */
export class ClusterModel {
  private readonly networks = new Map<string, NetworkState>();
  private readonly hosts = new Map<string, HostView>();
  /** VTEP IP -> host id (named or anonymous). */
  private readonly vtepOwner = new Map<string, string>();
  /** Claimant host id -> its report_state's claim on another live host's VTEP (not persisted: the next report finds it again). */
  private readonly conflicts = new Map<string, VtepConflict>();
  private seqValue = 0;
  private clockValue = 0;
  /** neutron-server's `agent_down_time` (ms): how long a VTEP's owner stays alive for {@link vtepClaimConflict}. */
  private readonly agentDownTimeMs: number;

  /**
   * An empty model.
   * @param opts.agentDownTimeMs neutron-server's configured `agent_down_time` (ms, default 75 000):
   *   a report_state claiming the VTEP of a host that reported within it is a VTEP conflict, an
   *   older owner is down and the VTEP is taken over (vtep-conflict.ts). Use the same value as the
   *   liveness options (agent-liveness.ts), so "alive" means one thing.
   */
  constructor(opts: { agentDownTimeMs?: number } = {}) {
    this.agentDownTimeMs = opts.agentDownTimeMs ?? AGENT_DOWN_TIME_MS;
  }

  /** neutron-server's `agent_down_time` (ms) this model judges liveness with (the constructor's option). */
  get agentDownTime(): number {
    return this.agentDownTimeMs;
  }

  /** Id of the last message applied. */
  get seq(): number {
    return this.seqValue;
  }

  /**
   * The model's clock: the latest receive time (epoch ms) of a message applied (any kind, even one
   * that changed nothing), of a record restored by {@link fromSnapshot}, or a live tap's quiet time
   * ({@link advanceClock}); 0 when none. Agent
   * liveness is judged at this time (agent-liveness.ts), never at the wall clock.
   */
  get clock(): number {
    return this.clockValue;
  }

  /**
   * Move the clock on to `at` (epoch ms) without a message, when later than it. Only for a source
   * that knows nothing arrived up to `at`: the worker's live tap while it is connected and its queue
   * is drained (silence on the bus is then a fact, and agent liveness must not wait for the next
   * message to judge it). Never for a replay or a tap gap.
   * @returns whether the clock moved
   */
  advanceClock(at: number): boolean {
    if (!(at > this.clockValue)) return false;
    this.clockValue = at;
    return true;
  }

  /**
   * Rebuild a model from a snapshot (e.g. the database's projection after a worker restart).
   * @param opts as for the constructor (`agentDownTimeMs`)
   */
  static fromSnapshot(s: ModelSnapshot, opts: { agentDownTimeMs?: number } = {}): ClusterModel {
    const m = new ClusterModel(opts);
    m.seqValue = s.seq;
    for (const n of s.networks) m.networks.set(n.id, { view: { ...n }, vteps: new Map() });
    for (const v of s.vteps) {
      let net = m.networks.get(v.network);
      if (!net) {
        net = { view: { id: v.network, vni: null, networkType: 'vxlan', firstSeenAt: v.updatedAt }, vteps: new Map() };
        m.networks.set(v.network, net);
      }
      net.vteps.set(v.vtep, { flood: v.flood, macs: new Set(v.macs), neigh: new Map(Object.entries(v.neigh)), updatedAt: v.updatedAt });
    }
    for (const h of s.hosts) {
      m.hosts.set(h.id, cloneHost(h));
      if (h.vtep) m.vtepOwner.set(h.vtep, h.id);
    }
    for (const h of s.hosts) m.clockValue = Math.max(m.clockValue, h.lastReportAt ?? 0, h.startedAt ?? 0);
    for (const v of s.vteps) m.clockValue = Math.max(m.clockValue, v.updatedAt);
    for (const n of s.networks) m.clockValue = Math.max(m.clockValue, n.firstSeenAt);
    return m;
  }

  /**
   * Fold one decoded message.
   *
   * @param msg the decoded message
   * @param at receive time, epoch ms
   * @param seq the message's id (monotonic); becomes `this.seq`
   * @returns the changes, in order; absolute values, so applying them again is harmless
   */
  apply(msg: DecodedMessage, at: number, seq: number): ModelChange[] {
    if (seq > this.seqValue) this.seqValue = seq;
    if (at > this.clockValue) this.clockValue = at;
    const changes = new ChangeSet();
    switch (msg.kind) {
      case 'fdb':
        if (msg.method === 'add_fdb_entries') this.addFdb(msg, at, changes);
        else this.removeFdb(msg, at, changes);
        break;
      case 'update_fdb':
        this.chgIp(msg, at, changes);
        break;
      case 'report_state':
        // a DHCP / L3 / metadata agent on the same host says nothing of its L2 agent
        if (isL2AgentReport(msg.agent)) this.report(msg.agent, at, changes);
        break;
      case 'network_delete':
        this.deleteNetwork(msg.network, at, changes);
        break;
      case 'other':
        break;
    }
    return changes.list(this);
  }

  private ensureNetwork(id: string, vni: number | null, networkType: string, at: number, changes: ChangeSet): NetworkState {
    let net = this.networks.get(id);
    if (!net) {
      net = { view: { id, vni, networkType, firstSeenAt: at }, vteps: new Map() };
      this.networks.set(id, net);
      changes.network(id);
    } else if ((vni !== null && net.view.vni !== vni) || net.view.networkType !== networkType) {
      net.view = { ...net.view, vni: vni ?? net.view.vni, networkType };
      changes.network(id);
    }
    return net;
  }

  /** Make sure a VTEP appears as a host: its owner if named, else an anonymous `vtep:<ip>` host. */
  private ensureVtepHost(vtep: string, changes: ChangeSet): void {
    if (this.vtepOwner.has(vtep)) return;
    const id = anonId(vtep);
    this.hosts.set(id, emptyHost(id, null, vtep));
    this.vtepOwner.set(vtep, id);
    changes.host(id);
  }

  private ensureNamedHost(name: string, changes: ChangeSet): HostView {
    let h = this.hosts.get(name);
    if (!h) {
      h = emptyHost(name, name, null);
      this.hosts.set(name, h);
      changes.host(name);
    }
    return h;
  }

  private addFdb(msg: Extract<DecodedMessage, { kind: 'fdb' }>, at: number, changes: ChangeSet): void {
    for (const e of msg.entries) {
      const net = this.ensureNetwork(e.network, e.vni, e.networkType, at, changes);
      let v = net.vteps.get(e.vtep);
      if (!v) {
        v = { flood: false, macs: new Set(), neigh: new Map(), updatedAt: at };
        net.vteps.set(e.vtep, v);
        changes.vtep(e.network, e.vtep);
      }
      let changed = false;
      if (e.flood) {
        if (!v.flood) {
          v.flood = true;
          changed = true;
        }
      } else {
        if (!v.macs.has(e.mac)) {
          v.macs.add(e.mac);
          changed = true;
        }
        if (v.neigh.get(e.ip) !== e.mac) {
          v.neigh.set(e.ip, e.mac);
          changed = true;
        }
      }
      if (changed) {
        v.updatedAt = at;
        changes.vtep(e.network, e.vtep);
      }
      this.ensureVtepHost(e.vtep, changes);
      // the VTEP's own agent has a port on the network now: it is in its network_map
      const owner = this.hosts.get(this.vtepOwner.get(e.vtep)!)!;
      if (!owner.networks[e.network]) {
        changes.ownNetworks(owner)[e.network] = { joinedAt: at, directedAt: null };
        changes.host(owner.id);
      }
    }
    if (msg.target && msg.target !== 'fanout') {
      const h = this.ensureNamedHost(msg.target, changes);
      for (const network of new Set(msg.entries.map((e) => e.network))) {
        const prev = h.networks[network];
        if (prev?.directedAt !== at) {
          changes.ownNetworks(h)[network] = { joinedAt: prev?.joinedAt ?? at, directedAt: at };
          changes.host(h.id);
        }
      }
    }
  }

  private removeFdb(msg: Extract<DecodedMessage, { kind: 'fdb' }>, at: number, changes: ChangeSet): void {
    const touched = new Set<string>();
    for (const e of msg.entries) {
      const net = this.networks.get(e.network);
      const v = net?.vteps.get(e.vtep);
      if (!net || !v) continue;
      let changed = false;
      if (e.flood) {
        if (v.flood) {
          v.flood = false;
          changed = true;
        }
      } else {
        if (v.macs.delete(e.mac)) changed = true;
        if (v.neigh.get(e.ip) === e.mac) {
          v.neigh.delete(e.ip);
          changed = true;
        }
      }
      if (changed) {
        v.updatedAt = at;
        changes.vtep(e.network, e.vtep);
        touched.add(e.vtep);
      }
      if (!v.flood && v.macs.size === 0 && v.neigh.size === 0) {
        net.vteps.delete(e.vtep);
        this.leaveWithLastPort(e.network, e.vtep, changes);
      }
    }
    for (const vtep of touched) this.dropAnonymousIfUnused(vtep, changes);
  }

  /** The VTEP's last entries on `network` went: its own host leaves the network if its agent drops it then (OVS). */
  private leaveWithLastPort(network: string, vtep: string, changes: ChangeSet): void {
    const id = this.vtepOwner.get(vtep);
    const h = id ? this.hosts.get(id) : undefined;
    if (!h || !h.networks[network] || !membershipEndsWithLastPort(h.agentType)) return;
    delete changes.ownNetworks(h)[network];
    changes.host(h.id);
  }

  /**
   * `network_delete`: the network, its VTEP entries and every host's membership of it leave the
   * model (each agent drops it from `network_map` / reclaims its local VLAN). O(hosts + entries of
   * the network). A network the model does not know changes nothing.
   */
  private deleteNetwork(id: string, at: number, changes: ChangeSet): void {
    for (const h of this.hosts.values()) {
      if (!h.networks[id]) continue;
      delete changes.ownNetworks(h)[id];
      changes.host(h.id);
    }
    const net = this.networks.get(id);
    if (!net) return;
    const vteps = [...net.vteps.keys()];
    for (const vtep of vteps) changes.vtep(id, vtep);
    this.networks.delete(id);
    changes.networkRemoved(id, at);
    for (const vtep of vteps) this.dropAnonymousIfUnused(vtep, changes);
  }

  private chgIp(msg: Extract<DecodedMessage, { kind: 'update_fdb' }>, at: number, changes: ChangeSet): void {
    for (const c of msg.chgIp) {
      const net = this.networks.get(c.network);
      if (!net) continue; // agents ignore networks they do not know (network_map)
      let v = net.vteps.get(c.vtep);
      if (!v) {
        v = { flood: false, macs: new Set(), neigh: new Map(), updatedAt: at };
        net.vteps.set(c.vtep, v);
        this.ensureVtepHost(c.vtep, changes);
      }
      let changed = false;
      for (const { mac, ip } of c.after) {
        if (v.neigh.get(ip) !== mac) {
          v.neigh.set(ip, mac);
          changed = true;
        }
      }
      for (const { mac, ip } of c.before) {
        if (v.neigh.get(ip) === mac) {
          v.neigh.delete(ip);
          changed = true;
        }
      }
      if (!changed) continue;
      v.updatedAt = at;
      changes.vtep(c.network, c.vtep);
      if (!v.flood && v.macs.size === 0 && v.neigh.size === 0) net.vteps.delete(c.vtep);
    }
  }

  private report(a: AgentReport, at: number, changes: ChangeSet): void {
    const h = this.ensureNamedHost(a.host, changes);
    this.conflicts.delete(h.id);
    if (a.tunnelingIp && h.vtep !== a.tunnelingIp) {
      if (h.vtep && this.vtepOwner.get(h.vtep) === h.id) {
        this.vtepOwner.delete(h.vtep);
        const old = h.vtep;
        h.vtep = null;
        if (this.vtepInUse(old)) this.ensureVtepHost(old, changes);
      }
      const previous = this.vtepOwner.get(a.tunnelingIp);
      const conflict =
        previous && previous !== h.id ? vtepClaimConflict({ host: a.host, vtep: a.tunnelingIp, at }, this.hosts.get(previous), this.agentDownTimeMs) : null;
      if (conflict) {
        // another live agent holds this VTEP: no takeover, a finding (the claimant keeps no VTEP)
        this.conflicts.set(h.id, conflict);
      } else if (previous && previous !== h.id) {
        const prev = this.hosts.get(previous);
        if (prev && prev.name === null) {
          // the VTEP was known only from casts: it is this agent's; keep what it joined
          h.networks = { ...prev.networks, ...h.networks };
          this.hosts.delete(previous);
          changes.hostRemoved(previous);
        } else if (prev) {
          prev.vtep = null; // another agent took this VTEP IP over
          changes.host(prev.id);
        }
      }
      if (!conflict) {
        this.vtepOwner.set(a.tunnelingIp, h.id);
        h.vtep = a.tunnelingIp;
      }
    }
    h.agentType = a.agentType;
    h.binary = a.binary;
    h.l2population = a.l2population;
    h.arpResponder = a.arpResponder;
    h.distributedRouting = a.distributedRouting;
    h.tunnelTypes = a.tunnelTypes;
    h.devices = a.devices;
    if (a.startFlag) {
      h.startedAt = at;
      // a restarted agent rebuilds network_map from its ports: networks it has none on are gone
      const kept: Record<string, HostMembership> = {};
      for (const [network, m] of Object.entries(h.networks)) {
        if (h.vtep && this.networks.get(network)?.vteps.has(h.vtep)) kept[network] = m;
      }
      h.networks = kept;
    }
    h.lastReportAt = at;
    changes.host(h.id);
  }

  private vtepInUse(vtep: string): boolean {
    for (const net of this.networks.values()) if (net.vteps.has(vtep)) return true;
    return false;
  }

  private dropAnonymousIfUnused(vtep: string, changes: ChangeSet): void {
    const id = this.vtepOwner.get(vtep);
    if (!id || !id.startsWith('vtep:')) return;
    if (this.vtepInUse(vtep)) return;
    this.vtepOwner.delete(vtep);
    this.hosts.delete(id);
    changes.hostRemoved(id);
  }

  /** Open VTEP conflicts: report_states claiming another live host's VTEP, by claimant, sorted by VTEP then claimant. */
  vtepConflicts(): VtepConflict[] {
    return [...this.conflicts.values()].sort((x, y) => (x.vtep === y.vtep ? (x.claimant < y.claimant ? -1 : 1) : x.vtep < y.vtep ? -1 : 1));
  }

  /**
   * Forget the named hosts whose last report_state is older than `before` (epoch ms) and whose VTEP
   * no network holds entries for: a host that vanished (or a spoofed report_state) and that l2pop
   * no longer tells anyone about. A host whose VTEP still carries entries stays (neutron-server
   * still tells the others about it); anonymous `vtep:<ip>` hosts follow their entries as before.
   * No `ModelChange` is emitted: the caller marks the stored rows (history) instead of deleting them.
   * @returns the ids forgotten, sorted
   */
  expireHosts(before: number): string[] {
    const gone: string[] = [];
    for (const [id, h] of this.hosts) {
      if (id.startsWith('vtep:') || (h.lastReportAt ?? 0) >= before) continue;
      if (h.vtep && this.vtepInUse(h.vtep)) continue;
      this.hosts.delete(id);
      if (h.vtep && this.vtepOwner.get(h.vtep) === id) this.vtepOwner.delete(h.vtep);
      gone.push(id);
    }
    return gone.sort();
  }

  /** Current host record by id. */
  host(id: string): HostView | undefined {
    return this.hosts.get(id);
  }

  /** Current network record. */
  network(id: string): NetworkView | undefined {
    return this.networks.get(id)?.view;
  }

  /** Absolute entries of one (network, vtep), or undefined when it holds none. */
  vtepEntries(network: string, vtep: string): VtepEntries | undefined {
    const v = this.networks.get(network)?.vteps.get(vtep);
    if (!v) return undefined;
    return toVtepEntries(network, vtep, v);
  }

  /** Every network record (copies), in the order the model first saw them, as in {@link snapshot}. */
  networkViews(): NetworkView[] {
    return [...this.networks.values()].map((n) => ({ ...n.view }));
  }

  /**
   * Absolute entries of every VTEP of one network (copies, in the order the VTEPs appeared), as in
   * {@link snapshot}'s `vteps`; empty for a network without entries or unknown. O(entries of the network).
   */
  networkEntries(network: string): VtepEntries[] {
    const net = this.networks.get(network);
    if (!net) return [];
    const out: VtepEntries[] = [];
    for (const [vtep, v] of net.vteps) out.push(toVtepEntries(network, vtep, v));
    return out;
  }

  /** VNI of a network if known (used to index messages without `segment_id`, such as chg_ip). */
  vniOf(network: string): number | null {
    return this.networks.get(network)?.view.vni ?? null;
  }

  /** Host names and anonymous VTEPs. */
  hostIds(): string[] {
    return [...this.hosts.keys()];
  }

  /** The host id owning a VTEP IP. */
  hostOfVtep(vtep: string): string | undefined {
    return this.vtepOwner.get(vtep);
  }

  /** Networks in a host's agent `network_map` (see the class comment for when it joins and leaves). */
  memberships(hostId: string): string[] {
    const h = this.hosts.get(hostId);
    return h ? Object.keys(h.networks).sort() : [];
  }

  /**
   * What the server told a host, per network it is a member of: every other VTEP's flood and
   * unicast entries (own VTEP skipped, as the agent does), with whether the agent applies them.
   * Mirrors mech_driver.py `_create_agent_fdb` for the host's networks.
   */
  toldFdb(hostId: string): HostNetworkFdb[] {
    const h = this.hosts.get(hostId);
    if (!h) return [];
    const out: HostNetworkFdb[] = [];
    for (const network of this.memberships(hostId)) {
      const net = this.networks.get(network);
      if (!net) continue;
      const fdb: ToldFdbRow[] = [];
      const neigh: { ip: string; mac: string }[] = [];
      const floodList: string[] = [];
      for (const [vtep, v] of [...net.vteps].sort(([a], [b]) => a.localeCompare(b))) {
        if (vtep === h.vtep) continue;
        if (v.flood) {
          fdb.push({ mac: FLOOD_MAC, vtep, flood: true });
          floodList.push(vtep);
        }
        for (const mac of [...v.macs].sort()) fdb.push({ mac, vtep, flood: false });
        for (const [ip, mac] of v.neigh) neigh.push({ ip, mac });
      }
      neigh.sort((a, b) => a.ip.localeCompare(b.ip));
      out.push({ network, vni: net.view.vni, applied: h.l2population, fdb, neigh, floodList });
    }
    return out;
  }

  /** The whole model as plain data. */
  snapshot(): ModelSnapshot {
    const vteps: VtepEntries[] = [];
    for (const [network, net] of this.networks) for (const [vtep, v] of net.vteps) vteps.push(toVtepEntries(network, vtep, v));
    return {
      seq: this.seqValue,
      hosts: [...this.hosts.values()].map(cloneHost),
      networks: [...this.networks.values()].map((n) => ({ ...n.view })),
      vteps,
    };
  }
}

function toVtepEntries(network: string, vtep: string, v: VtepState): VtepEntries {
  const neigh: Record<string, string> = {};
  for (const ip of [...v.neigh.keys()].sort()) neigh[ip] = v.neigh.get(ip)!;
  return { network, vtep, flood: v.flood, macs: [...v.macs].sort(), neigh, updatedAt: v.updatedAt };
}
