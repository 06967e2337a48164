/**
 * What neutron-server's l2population mechanism driver and the L2 agents put on RabbitMQ, for a
 * fleet: the driver's casts as its port events produce them, and each agent's report_state.
 * Pure (no I/O): state in memory, messages out. Semantics mirror Neutron 21 (Zed)
 * neutron/plugins/ml2/drivers/l2pop/mech_driver.py; docs/l2pop.md, docs/wire-format.md.
 */
import { type AmqpProperties, L2POP_FANOUT_EXCHANGE, L2POP_TOPIC, NEUTRON_EXCHANGE, REPORTS_TOPIC } from '@l2scope/domain';
import type { Fleet, FleetHost, FleetPort } from './fleet';
import type { PyJsonValue } from './pyjson';
import { Rng, pyIsoTime, pyTimestamp } from './random';
import { type CastIds, type WireTemplates, castBody, reportBody } from './wire';

/** neutron_lib `FLOODING_ENTRY`: the flood entry of a VTEP (BUM replicated to it). */
export const FLOODING_ENTRY: readonly [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];

/**
 * How a message travels: fanout l2pop cast (every l2pop agent), host-directed cast, report_state
 * call (the server), or a node agent's snapshot / BUM report (exchange `l2scope.node`, node.ts).
 */
export type FleetMessageKind = 'fanout' | 'directed' | 'report' | 'snapshot' | 'bum';

/** One AMQP message of the fleet, at its virtual time. */
export interface FleetMessage {
  /** Epoch ms (virtual: the schedule's clock). */
  at: number;
  exchange: string;
  routingKey: string;
  properties: AmqpProperties;
  /** The oslo envelope, as neutron writes it (UTF-8 JSON text). */
  body: string;
  kind: FleetMessageKind;
  method: 'add_fdb_entries' | 'remove_fdb_entries' | 'update_fdb_entries' | 'report_state' | 'node_snapshot' | 'bum_report';
  /** Host of a host-directed cast, of a report_state, or of a node message (published as that host's own RabbitMQ user). */
  host?: string;
}

/** Options of the simulated server. */
export interface NeutronOptions {
  /** Send every port-up cast twice, as ML2 does (docs/lab.md#gotcha-14); default true. */
  duplicates?: boolean;
}

interface AgentProcess {
  uuid: string;
  replyQ: string;
  requestId: string;
  contextTimestamp: string;
  reported: boolean;
}

/**
 * neutron-server's l2pop driver and the fleet's agents. Ports are tracked per network and host
 * (the driver's `get_agent_network_active_port_count`); every event returns the messages it
 * causes, in the driver's order, stamped with `at`.
 */
export class NeutronSimulation {
  private readonly rng: Rng;
  private readonly duplicates: boolean;
  /** network index -> host index -> active ports, in the order they came up. */
  private readonly active = new Map<number, Map<number, FleetPort[]>>();
  private readonly agents = new Map<number, AgentProcess>();
  /**
   * host index -> networks its agent applies l2pop casts of (the model's memberships): a Linux
   * bridge agent keeps a network in `network_map` after its last port left, an OVS agent reclaims
   * the local VLAN with it (network-lifecycle.ts `membershipEndsWithLastPort`).
   */
  private readonly joined = new Map<number, Set<number>>();
  private readonly rpcCtx: { requestId: string; contextTimestamp: string };

  constructor(
    readonly fleet: Fleet,
    private readonly templates: WireTemplates,
    seed: number,
    startMs: number,
    opts: NeutronOptions = {},
  ) {
    this.rng = new Rng(seed);
    this.duplicates = opts.duplicates ?? true;
    // the driver's rpc_ctx (get_admin_context_without_session) is made once at server start:
    // every l2pop cast of a server carries the same request id and timestamp (fixtures/lab3.jsonl)
    this.rpcCtx = { requestId: `req-${this.rng.uuid()}`, contextTimestamp: pyTimestamp(startMs) };
  }

  /** The active ports of `host` on `network`, in the order they came up. */
  portsOn(network: number, host: number): readonly FleetPort[] {
    return this.active.get(network)?.get(host) ?? [];
  }

  /** The hosts with active ports on `network` and their ports (in the order the hosts joined). */
  hostsOn(network: number): ReadonlyMap<number, readonly FleetPort[]> {
    return this.active.get(network) ?? new Map();
  }

  /** The networks whose l2pop casts `host`'s agent applies (see `joined`), ascending. */
  networksOf(host: number): number[] {
    return [...(this.joined.get(host) ?? [])].sort((a, b) => a - b);
  }

  /** Every active port of `host`, network by network. */
  portsOfHost(host: number): FleetPort[] {
    const out: FleetPort[] = [];
    for (const byHost of this.active.values()) out.push(...(byHost.get(host) ?? []));
    return out;
  }

  /** Ports bound to `host` (report_state `devices`). */
  devicesOf(host: number): number {
    let n = 0;
    for (const byHost of this.active.values()) n += byHost.get(host)?.length ?? 0;
    return n;
  }

  /** (network index, host index) pairs with active ports: the expected told state. */
  *members(): Generator<{ network: number; host: number; ports: readonly FleetPort[] }> {
    for (const [network, byHost] of this.active) for (const [host, ports] of byHost) yield { network, host, ports };
  }

  /**
   * What every agent has been told, per (network, VTEP) with active ports: its unicast MACs
   * (sorted) and neighbour rows `{ip: mac}`, sorted by network id then VTEP. A VTEP listed here
   * also has its flood entry on the network.
   */
  told(): { network: string; vtep: string; macs: string[]; neigh: Record<string, string> }[] {
    const out: ReturnType<NeutronSimulation['told']> = [];
    for (const { network, host, ports } of this.members()) {
      const neigh: Record<string, string> = {};
      for (const p of [...ports].sort((a, b) => (a.ip < b.ip ? -1 : 1))) neigh[p.ip] = p.mac;
      out.push({ network: this.fleet.networks[network]!.id, vtep: this.fleet.hosts[host]!.vtep, macs: ports.map((p) => p.mac).sort(), neigh });
    }
    return out.sort((a, b) => (a.network === b.network ? (a.vtep < b.vtep ? -1 : 1) : a.network < b.network ? -1 : 1));
  }

  private ids(): CastIds {
    return { uniqueId: this.rng.uuidHex(), ...this.rpcCtx };
  }

  private cast(at: number, method: FleetMessage['method'], args: PyJsonValue, to?: FleetHost): FleetMessage {
    const body = castBody(this.templates.cast, method, args, this.ids());
    if (!to) return { at, exchange: L2POP_FANOUT_EXCHANGE, routingKey: '', properties: this.templates.cast.properties, body, kind: 'fanout', method };
    return {
      at,
      exchange: NEUTRON_EXCHANGE,
      routingKey: `${L2POP_TOPIC}.${to.name}`,
      properties: this.templates.cast.properties,
      body,
      kind: 'directed',
      method,
      host: to.name,
    };
  }

  private fdbEntries(network: number, ports: Record<string, PyJsonValue>): PyJsonValue {
    const net = this.fleet.networks[network]!;
    return { fdb_entries: { [net.id]: { segment_id: net.vni, network_type: 'vxlan', ports } } };
  }

  /**
   * A port goes ACTIVE on its host (`update_port_up`). On the host's first port of the network,
   * or on every port when its agent restarted (`agent_restarted`: uptime below `agent_boot_time`),
   * the host gets the network's full FDB, host-directed (`_create_agent_fdb`: every other VTEP
   * with active ports, its flood entry first, then its ports; not sent when there is none), and
   * the fanout carries the host's flood entry before the port's `[mac, ip]`. With `duplicates`,
   * the whole sequence is sent a second time (new `_unique_id`s).
   */
  portUp(at: number, port: FleetPort, restarted = false): FleetMessage[] {
    let byHost = this.active.get(port.network);
    if (!byHost) this.active.set(port.network, (byHost = new Map()));
    let mine = byHost.get(port.host);
    if (!mine) byHost.set(port.host, (mine = []));
    if (!restarted) mine.push(port);
    let nets = this.joined.get(port.host);
    if (!nets) this.joined.set(port.host, (nets = new Set()));
    nets.add(port.network);
    const host = this.fleet.hosts[port.host]!;
    const first = restarted || mine.length === 1;
    const once = (): FleetMessage[] => {
      const out: FleetMessage[] = [];
      if (first) {
        const full: Record<string, PyJsonValue> = {};
        for (const [h, ports] of byHost) {
          if (h === port.host || ports.length === 0) continue;
          full[this.fleet.hosts[h]!.vtep] = [FLOODING_ENTRY, ...ports.map((p) => [p.mac, p.ip])];
        }
        if (Object.keys(full).length > 0) out.push(this.cast(at, 'add_fdb_entries', this.fdbEntries(port.network, full), host));
      }
      const entries: PyJsonValue[] = first ? [FLOODING_ENTRY] : [];
      entries.push([port.mac, port.ip]);
      out.push(this.cast(at, 'add_fdb_entries', this.fdbEntries(port.network, { [host.vtep]: entries })));
      return out;
    };
    return this.duplicates ? [...once(), ...once()] : once();
  }

  /**
   * A port is deleted (`delete_port_postcommit` -> `_get_agent_fdb`): a fanout remove of its
   * `[mac, ip]`, after the host's flood entry when it was the host's last port on the network.
   * @throws Error when the port is not active
   */
  portDown(at: number, port: FleetPort): FleetMessage[] {
    const mine = this.active.get(port.network)?.get(port.host);
    const i = mine?.indexOf(port) ?? -1;
    if (!mine || i < 0) throw new Error(`port ${port.mac} is not active`);
    mine.splice(i, 1);
    if (mine.length === 0) {
      this.active.get(port.network)!.delete(port.host);
      if (this.fleet.hosts[port.host]!.agent === 'openvswitch') this.joined.get(port.host)?.delete(port.network);
    }
    const entries: PyJsonValue[] = mine.length === 0 ? [FLOODING_ENTRY] : [];
    entries.push([port.mac, port.ip]);
    return [this.cast(at, 'remove_fdb_entries', this.fdbEntries(port.network, { [this.fleet.hosts[port.host]!.vtep]: entries }))];
  }

  /**
   * A port's fixed IP changes (`_fixed_ips_changed`): a fanout `update_fdb_entries` with
   * `chg_ip` (no segment_id). `port.ip` becomes `ip`.
   */
  ipChange(at: number, port: FleetPort, ip: string): FleetMessage[] {
    const net = this.fleet.networks[port.network]!;
    const vtep = this.fleet.hosts[port.host]!.vtep;
    const args = { fdb_entries: { chg_ip: { [net.id]: { [vtep]: { before: [[port.mac, port.ip]], after: [[port.mac, ip]] } } } } };
    port.ip = ip;
    return [this.cast(at, 'update_fdb_entries', args)];
  }

  /** The agent of `host` (re)starts: a new process (uuid, reply queue, context); its next report has `start_flag`. */
  agentStart(host: number, at: number): void {
    this.agents.set(host, {
      uuid: this.rng.uuid(),
      replyQ: `reply_${this.rng.uuidHex()}`,
      requestId: `req-${this.rng.uuid()}`,
      contextTimestamp: pyTimestamp(at),
      reported: false,
    });
  }

  /** The agent of `host` calls report_state (`PluginReportStateAPI.report_state`, topic q-reports-plugin). */
  report(at: number, host: number): FleetMessage {
    if (!this.agents.has(host)) this.agentStart(host, at);
    const agent = this.agents.get(host)!;
    const h = this.fleet.hosts[host]!;
    const t = this.templates.report[h.agent];
    const body = reportBody(t, {
      host: h.name,
      vtep: h.vtep,
      devices: this.devicesOf(host),
      start: !agent.reported,
      agentUuid: agent.uuid,
      time: pyIsoTime(at),
      msgId: this.rng.uuidHex(),
      replyQ: agent.replyQ,
      uniqueId: this.rng.uuidHex(),
      requestId: agent.requestId,
      contextTimestamp: agent.contextTimestamp,
    });
    agent.reported = true;
    return { at, exchange: NEUTRON_EXCHANGE, routingKey: REPORTS_TOPIC, properties: t.properties, body, kind: 'report', method: 'report_state', host: h.name };
  }

  /**
   * An agent restart on `host` (an OVS agent restart storm is this on many hosts at once): a new
   * process reports with `start_flag`, then every port of the host is reported up again with
   * `agent_restarted`: per port a host-directed full FDB and a fanout add with the flood entry,
   * P x (1 + H) deliveries for P ports and H l2pop agents (x2 with duplicates).
   */
  agentRestart(at: number, host: number): FleetMessage[] {
    this.agentStart(host, at);
    const out = [this.report(at, host)];
    for (const port of this.portsOfHost(host)) out.push(...this.portUp(at, port, true));
    return out;
  }
}
