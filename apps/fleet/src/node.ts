/**
 * The node-agent side of the fleet: what each host's l2scope node agent (apps/agent) would send
 * for the state l2pop told its L2 agent. Per host, a full `l2scope.node-snapshot/1` of what its
 * kernel (Linux bridge: `bridge fdb` / `ip neigh` rows on `vxlan-<VNI>`, the devices, the bridges)
 * or its br-tun (Open vSwitch: tunnel ports, local VLANs, tables 20 / 21 / 22) holds, and
 * `l2scope.bum/1` reports of the BUM it replicates; with injected faults. Pure (no I/O): the same
 * fleet, seed and events give the same bytes. The row shapes are those `buildNodeSnapshot` makes of
 * the real agents' outputs in fixtures/lab3 and fixtures/ovs-node (compute1, ovs1).
 */
import {
  BUM_LIMITS,
  BUM_REPORT_SCHEMA,
  type BumCounters,
  type BumFlow,
  type BumReport,
  type AgentIni,
  type FullNodeSnapshot,
  NODE_AGENT_WIRE,
  NODE_SNAPSHOT_SCHEMA,
  emptyBumCounters,
  nodeAgentUser,
} from '@l2scope/domain';
import type { Fleet, FleetHost, FleetPort } from './fleet';
import type { FleetMessage, NeutronSimulation } from './neutron';
import { Rng } from './random';

/** The flood MAC of a flood entry (`bridge fdb` / br-tun table 22). */
const FLOOD_MAC = '00:00:00:00:00:00';
/** The multicast group a half-switched device keeps (the Linux bridge agent's default `vxlan_group`). */
export const HALF_SWITCHED_GROUP = '224.0.0.1';
/** The VXLAN UDP port of the fleet (the Linux kernel's default, set on OVS too, as in fixtures/ovs-node). */
export const FLEET_VXLAN_PORT = 8472;
/** The underlay interface of every host (VXLAN devices' `link`, the BUM meter's capture interface). */
const UNDERLAY = 'eth1';

/** One injected drift: the host's snapshots miss a flood entry, or hold a MAC l2pop never announced. */
export interface DriftFault {
  host: number;
  kind: 'missing_flood' | 'stale_entry';
}

/** Faults of the node side, each a set of host indices (node.ts `nodeFaults` draws them). */
export interface NodeFaults {
  /** Hosts whose snapshots differ from what they were told by one row (see {@link DriftFault}). */
  drift: DriftFault[];
  /** Linux bridge hosts whose VXLAN devices kept their multicast group beside the l2pop entries (docs/lab.md#gotcha-12). */
  halfSwitched: Set<number>;
  /** Hosts whose node agent (and L2 agent) dies after its first snapshot and BUM report. */
  dead: Set<number>;
}

/** No faults. */
export const noNodeFaults = (): NodeFaults => ({ drift: [], halfSwitched: new Set(), dead: new Set() });

/**
 * Draw the faulty hosts: `drift` hosts among those with a network shared with another host after
 * the initial state (alternately `missing_flood` and `stale_entry`), `halfSwitched` Linux bridge
 * hosts with a network, distinct from the drift hosts; `dead` is given (the schedule's dead agents).
 * @throws Error when the fleet has fewer such hosts than asked for
 */
export function nodeFaults(sim: NeutronSimulation, opts: { seed: number; drift?: number; halfSwitched?: number; dead?: Set<number> }): NodeFaults {
  const rng = new Rng(opts.seed ^ 0x0de_f417);
  const fleet = sim.fleet;
  const shared = (h: number) => sim.networksOf(h).some((n) => [...sim.hostsOn(n).keys()].some((o) => o !== h));
  const dead = opts.dead ?? new Set<number>();
  const pick = (n: number, ok: (h: number) => boolean, taken: Set<number>, what: string): number[] => {
    const pool = fleet.hosts.map((h) => h.index).filter((h) => ok(h) && !taken.has(h) && !dead.has(h));
    if (n > pool.length) throw new Error(`${n} ${what} hosts asked for, the fleet has ${pool.length} that fit`);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const j = rng.int(pool.length);
      out.push(pool[j]!);
      pool[j] = pool[pool.length - 1]!;
      pool.pop();
    }
    return out;
  };
  const taken = new Set<number>();
  const drift = pick(opts.drift ?? 0, shared, taken, 'drift').map((host, i) => ({ host, kind: i % 2 === 0 ? 'missing_flood' : 'stale_entry' }) as DriftFault);
  for (const d of drift) taken.add(d.host);
  const half = pick(
    opts.halfSwitched ?? 0,
    (h) => fleet.hosts[h]!.agent === 'linuxbridge' && sim.networksOf(h).length > 0,
    taken,
    'half-switched (Linux bridge)',
  );
  return { drift, halfSwitched: new Set(half), dead };
}

/** The MAC a `stale_entry` host holds: outside the ports' range (`fa:16:3f:` + the host index). */
export const staleMacOf = (host: number) =>
  `fa:16:3f:${[(host >> 16) & 255, (host >> 8) & 255, host & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

/** What a host holds on one network: per remote VTEP its ports, and the faults' changes. */
interface HeldNetwork {
  network: number;
  remotes: { host: FleetHost; ports: readonly FleetPort[] }[];
  own: readonly FleetPort[];
  /** A remote VTEP whose flood entry is missing (drift). */
  missingFlood: string | null;
  /** An extra permanent row `[mac, vtep]` (drift). */
  stale: { mac: string; vtep: string } | null;
}

interface NodeAgent {
  instance: string;
  seq: number;
  bumSeq: number;
  /** The end of the last BUM interval (epoch ms). */
  bumFrom: number;
  /** OVS: ofport per remote VTEP, lvid per network (allocated once, as ovs-vswitchd / the agent do). */
  ofports: Map<string, number>;
  lvids: Map<number, number>;
  /** BUM frames per second this host's VMs send per network (seeded). */
  bumRate: number;
}

/**
 * The fleet's node agents. `snapshot(at, host)` and `bum(at, host)` read the server simulation's
 * current state, so call them in time order with the schedule.
 */
export class NodeSimulation {
  private readonly rng: Rng;
  private readonly agents = new Map<number, NodeAgent>();
  private drift = new Map<number, DriftFault['kind']>();
  /** The injected faults ({@link setFaults}; none until then). */
  faults: NodeFaults = noNodeFaults();

  constructor(
    readonly sim: NeutronSimulation,
    seed: number,
  ) {
    this.rng = new Rng(seed ^ 0x40de_5eed);
  }

  /** Inject faults from now on (the schedule draws them with {@link nodeFaults} once the initial state is up). */
  setFaults(faults: NodeFaults): void {
    this.faults = faults;
    this.drift = new Map(faults.drift.map((d) => [d.host, d.kind]));
  }

  private get fleet(): Fleet {
    return this.sim.fleet;
  }

  private agent(host: number, at: number): NodeAgent {
    let a = this.agents.get(host);
    if (!a) {
      a = { instance: this.rng.hex(16), seq: 0, bumSeq: 0, bumFrom: at, ofports: new Map(), lvids: new Map(), bumRate: 0.2 + this.rng.next() * 2 };
      this.agents.set(host, a);
    }
    return a;
  }

  /** What `host` holds per network it is a member of, with its drift fault applied (to the first network it shares). */
  held(host: number): HeldNetwork[] {
    const own = this.fleet.hosts[host]!;
    const out: HeldNetwork[] = [];
    const fault = this.drift.get(host);
    let faulted = false;
    const nets = this.sim.networksOf(host).sort((a, b) => (this.fleet.networks[a]!.id < this.fleet.networks[b]!.id ? -1 : 1));
    for (const network of nets) {
      const remotes = [...this.sim.hostsOn(network)]
        .filter(([h]) => h !== host)
        .map(([h, ports]) => ({ host: this.fleet.hosts[h]!, ports }))
        .sort((a, b) => a.host.index - b.host.index);
      const n: HeldNetwork = { network, remotes, own: this.sim.portsOn(network, host), missingFlood: null, stale: null };
      if (fault && !faulted && remotes.length > 0) {
        faulted = true;
        if (fault === 'missing_flood') n.missingFlood = remotes[0]!.host.vtep;
        else n.stale = { mac: staleMacOf(own.index), vtep: remotes[0]!.host.vtep };
      }
      out.push(n);
    }
    return out;
  }

  /** The full snapshot `host`'s node agent takes at `at` (its state: {@link held}). */
  snapshotOf(at: number, host: number): FullNodeSnapshot {
    const a = this.agent(host, at);
    const h = this.fleet.hosts[host]!;
    a.seq++;
    const held = this.held(host);
    const half = this.faults.halfSwitched.has(host);
    const common = {
      schema: NODE_SNAPSHOT_SCHEMA as typeof NODE_SNAPSHOT_SCHEMA,
      kind: 'full' as const,
      host: h.name,
      instance: a.instance,
      seq: a.seq,
      takenAt: new Date(at).toISOString(),
      truncated: [],
      errors: [],
    };
    const ini: AgentIni = {
      type: h.agent,
      localIp: h.vtep,
      l2population: true,
      arpResponder: true,
      arpResponderEffective: true,
      tunnelTypes: ['vxlan'],
      vxlanGroup: h.agent === 'linuxbridge' ? HALF_SWITCHED_GROUP : null,
      multicastRanges: [],
      udpPortConfigured: h.agent === 'linuxbridge' ? null : FLEET_VXLAN_PORT,
      udpPort: FLEET_VXLAN_PORT,
      distributedRouting: h.agent === 'linuxbridge' ? null : false,
      invalid: [],
    };
    if (h.agent === 'linuxbridge') return { ...common, agent: { type: 'linuxbridge', ini }, linuxbridge: this.linuxbridge(h, held, half), openvswitch: null };
    return { ...common, agent: { type: 'openvswitch', ini }, linuxbridge: null, openvswitch: this.openvswitch(h, held, a) };
  }

  private linuxbridge(h: FleetHost, held: HeldNetwork[], half: boolean): NonNullable<FullNodeSnapshot['linuxbridge']> {
    const fdb: NonNullable<FullNodeSnapshot['linuxbridge']>['fdb'] = [];
    const neigh: NonNullable<FullNodeSnapshot['linuxbridge']>['neigh'] = [];
    const vxlan: NonNullable<FullNodeSnapshot['linuxbridge']>['vxlan'] = [];
    const bridges: NonNullable<FullNodeSnapshot['linuxbridge']>['bridges'] = [];
    const row = (mac: string, dev: string, dst: string) => ({ mac, dev, dst, master: null, flags: ['self'], state: 'permanent' });
    for (const n of held) {
      const net = this.fleet.networks[n.network]!;
      const dev = `vxlan-${net.vni}`;
      const brq = `brq${net.id.slice(0, 11)}`;
      vxlan.push({
        name: dev,
        vni: net.vni,
        local: h.vtep,
        group: half ? HALF_SWITCHED_GROUP : null,
        remote: null,
        link: UNDERLAY,
        dstport: FLEET_VXLAN_PORT,
        proxy: !half,
        learning: true,
        external: false,
        master: brq,
        up: true,
      });
      bridges.push({
        name: brq,
        up: true,
        ports: [...n.own.map((p) => ({ name: `tap${p.index.toString(16).padStart(8, '0')}-00`, state: 'forwarding' })), { name: dev, state: 'forwarding' }],
      });
      // the kernel's default entry of a device with a group (flood-and-learn), kept by a half-switched one
      if (half) fdb.push(row(FLOOD_MAC, dev, HALF_SWITCHED_GROUP));
      for (const r of n.remotes) {
        for (const p of r.ports) {
          fdb.push(row(p.mac, dev, r.host.vtep));
          neigh.push({ ip: p.ip, dev, mac: p.mac, state: ['PERMANENT'] });
        }
        if (n.missingFlood !== r.host.vtep) fdb.push(row(FLOOD_MAC, dev, r.host.vtep));
      }
      if (n.stale) fdb.push(row(n.stale.mac, dev, n.stale.vtep));
    }
    return { fdb, neigh, vxlan, bridges };
  }

  private openvswitch(h: FleetHost, held: HeldNetwork[], a: NodeAgent): NonNullable<FullNodeSnapshot['openvswitch']> {
    const needed = new Set<string>();
    for (const n of held) for (const r of n.remotes) needed.add(r.host.vtep);
    // ofports are never reused by ovs-vswitchd; a tunnel port no network needs is deleted (l2pop cleanup_tunnel_port)
    for (const v of [...needed].sort()) if (!a.ofports.has(v)) a.ofports.set(v, 2 + a.ofports.size);
    const hex = (ip: string) =>
      ip
        .split('.')
        .map((o) => Number(o).toString(16).padStart(2, '0'))
        .join('');
    const tunnelPorts = [...needed]
      .sort()
      .map((v) => ({ name: `vxlan-${hex(v)}`, ofport: a.ofports.get(v)!, type: 'vxlan', remoteIp: v, localIp: h.vtep, dstPort: FLEET_VXLAN_PORT }));
    // the local VLAN goes with the network's last port (reclaim_local_vlan); the lowest free lvid is taken next
    const live = new Set(held.map((n) => n.network));
    for (const k of [...a.lvids.keys()]) if (!live.has(k)) a.lvids.delete(k);
    const used = new Set(a.lvids.values());
    for (const n of held) {
      if (a.lvids.has(n.network)) continue;
      let l = 1;
      while (used.has(l)) l++;
      a.lvids.set(n.network, l);
      used.add(l);
    }
    const localVlans: { tunnelType: string; vni: number; lvid: number }[] = [];
    const unicast: { lvid: number; mac: string; ofport: number | null; vni: number | null; learned: boolean }[] = [];
    const responder: { lvid: number; ip: string; mac: string | null }[] = [];
    const flood: { lvid: number; vni: number | null; ofports: number[] }[] = [];
    for (const n of held) {
      const vni = this.fleet.networks[n.network]!.vni;
      const lvid = a.lvids.get(n.network)!;
      localVlans.push({ tunnelType: 'vxlan', vni, lvid });
      const outs: number[] = [];
      for (const r of n.remotes) {
        const ofport = a.ofports.get(r.host.vtep)!;
        for (const p of r.ports) {
          unicast.push({ lvid, mac: p.mac, ofport, vni, learned: false });
          responder.push({ lvid, ip: p.ip, mac: p.mac });
        }
        if (n.missingFlood !== r.host.vtep) outs.push(ofport);
      }
      if (n.stale) unicast.push({ lvid, mac: n.stale.mac, ofport: a.ofports.get(n.stale.vtep)!, vni, learned: false });
      if (outs.length) flood.push({ lvid, vni, ofports: outs.sort((x, y) => x - y) });
    }
    const tunnelOfports = tunnelPorts.map((p) => p.ofport).sort((x, y) => x - y);
    // the agent's cookie on every flow of br-tun: its fixed tables, one per tunnel port and per row
    const flows = 12 + tunnelPorts.length + 2 * localVlans.length + unicast.length + responder.length + flood.length;
    const cookie = `0x${a.instance}`;
    return {
      tunnelPorts,
      brTun: { localVlans, unicast, responder, flood, tunnelOfports, arpResponderEnabled: true, cookies: [{ cookie, flows }] },
    };
  }

  /** The snapshot as the node agent publishes it (apps/agent publisher.ts `snapshotMessage`), as `host`'s own user. */
  snapshot(at: number, host: number): FleetMessage {
    const s = this.snapshotOf(at, host);
    return {
      at,
      exchange: NODE_AGENT_WIRE.exchange,
      routingKey: NODE_AGENT_WIRE.snapshotKey(s.host),
      properties: {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 2,
        headers: { [NODE_AGENT_WIRE.schemaHeader]: NODE_SNAPSHOT_SCHEMA },
        messageId: `${s.instance}:${s.seq}`,
        timestamp: Math.floor(at / 1000),
        type: 'full',
        userId: nodeAgentUser(s.host),
        appId: 'l2scope-agent',
      },
      body: JSON.stringify(s),
      kind: 'snapshot',
      method: 'node_snapshot',
      host: s.host,
    };
  }

  /**
   * The BUM report of `host` for the interval since its last one: per network, each VM's BUM
   * (ARP requests, seeded Poisson counts at the host's rate) replicated to every flood entry it
   * holds (head-end replication, one `tx` flow per VNI and remote VTEP), and, on a half-switched
   * host, once more to its multicast group (`outerMulticast`). Flows past {@link BUM_LIMITS} are
   * summed into `other`.
   */
  bumReportOf(at: number, host: number): BumReport {
    const a = this.agent(host, at);
    const h = this.fleet.hosts[host]!;
    const seconds = Math.max(0, at - a.bumFrom) / 1000;
    const flows: BumFlow[] = [];
    const half = this.faults.halfSwitched.has(host);
    let captured = 0;
    const frame = 92; // an ARP request in VXLAN: 42 + 50 bytes of outer headers
    for (const n of this.held(host)) {
      const vni = this.fleet.networks[n.network]!.vni;
      const k = n.own.length ? this.poisson(a.bumRate * seconds * n.own.length) : 0;
      if (k === 0) continue;
      const counts = (): BumCounters => ({ ...emptyBumCounters(), broadcast: k, arp: k, arpRequest: k, packets: k, bytes: k * frame });
      const targets = n.remotes.map((r) => r.host.vtep).filter((v) => v !== n.missingFlood);
      for (const v of targets) flows.push({ ...counts(), vni, remoteVtep: v, direction: 'tx', outerMulticast: false });
      if (half) flows.push({ ...counts(), vni, remoteVtep: HALF_SWITCHED_GROUP, direction: 'tx', outerMulticast: true });
      captured += k * (targets.length + (half ? 1 : 0));
    }
    let other: BumCounters | null = null;
    if (flows.length > BUM_LIMITS.flows) {
      other = emptyBumCounters();
      for (const f of flows.splice(BUM_LIMITS.flows)) for (const key of Object.keys(other) as (keyof BumCounters)[]) other[key] += f[key];
    }
    const r: BumReport = {
      schema: BUM_REPORT_SCHEMA,
      host: h.name,
      instance: a.instance,
      vtep: h.vtep,
      iface: UNDERLAY,
      udpPort: FLEET_VXLAN_PORT,
      from: new Date(a.bumFrom).toISOString(),
      to: new Date(at).toISOString(),
      seconds,
      sampled: 1,
      captureDropped: 0,
      captured,
      undecodable: 0,
      undecodableReasons: {},
      flows,
      other,
      unavailable: null,
    };
    a.bumFrom = at;
    return r;
  }

  /** The BUM report as the node agent publishes it (publisher.ts `bumMessage`), as `host`'s own user. */
  bum(at: number, host: number): FleetMessage {
    const r = this.bumReportOf(at, host);
    const a = this.agents.get(host)!;
    a.bumSeq++;
    return {
      at,
      exchange: NODE_AGENT_WIRE.exchange,
      routingKey: NODE_AGENT_WIRE.bumKey(r.host),
      properties: {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 1,
        headers: { [NODE_AGENT_WIRE.schemaHeader]: BUM_REPORT_SCHEMA },
        messageId: `${r.instance}:bum:${a.bumSeq}`,
        timestamp: Math.floor(at / 1000),
        type: 'bum',
        userId: nodeAgentUser(r.host),
        appId: 'l2scope-agent',
      },
      body: JSON.stringify(r),
      kind: 'bum',
      method: 'bum_report',
      host: r.host,
    };
  }

  /** A Poisson draw of mean `m` (Knuth's method below 30, a rounded normal approximation above). */
  private poisson(m: number): number {
    if (m <= 0) return 0;
    if (m > 30) return Math.max(0, Math.round(m + Math.sqrt(m) * Math.sqrt(-2 * Math.log(1 - this.rng.next())) * Math.cos(2 * Math.PI * this.rng.next())));
    const limit = Math.exp(-m);
    let k = 0;
    for (let p = this.rng.next(); p > limit; p *= this.rng.next()) k++;
    return k;
  }
}
