/**
 * The fleet's timeline: the initial state (every agent's first report_state, then every port up),
 * then report_state per host every interval with jitter, port churn at a rate, an agent restart
 * storm, dead agents. A lazy generator on a virtual clock: the same fleet, seed and start give the
 * same messages; memory stays bounded by the fleet (one timer per host), whatever the duration.
 */
import { type Fleet, type FleetPort, MAX_PORTS, macOf, portIpOf } from './fleet';
import { type FleetMessage, NeutronSimulation } from './neutron';
import { NodeSimulation, nodeFaults } from './node';
import { Rng } from './random';
import type { WireTemplates } from './wire';

/** What happens after the fleet is up. */
export interface ScheduleOptions {
  /** Seed of the timeline's draws and of every id on the wire. */
  seed: number;
  /** Virtual epoch ms of the first message. */
  startMs: number;
  /** Seconds between two report_state of an agent (Neutron `[agent] report_interval`, default 30). */
  reportIntervalS?: number;
  /** Each interval is drawn in `report_interval ± jitter` seconds (default 1); the first report after the initial one at a seeded phase. */
  reportJitterS?: number;
  /** Port events per second (a new port, a deleted port or a fixed-IP change, 45/45/10); default 0. */
  churnPerS?: number;
  /** Seconds of timeline after the initial state; 0 = the initial state only (then the storm, if any); Infinity = endless. */
  durationS?: number;
  /** OVS agents that restart at once (an OVS agent restart storm), the first `storm` OVS hosts; default 0. */
  storm?: number;
  /** Seconds after the initial state when the storm happens (default 0: right after it). */
  stormAtS?: number;
  /** Agents that die after their first report (stop reporting; their ports stay): seeded hosts; default 0. */
  dead?: number;
  /** Port-up casts twice, as ML2 sends them (default true). */
  duplicates?: boolean;
  /**
   * The node agents' side (node.ts): every host's node agent sends a full snapshot every
   * `intervalS` (default 30, the agent's `--interval`) and a BUM report every `bumIntervalS`
   * (default 5, `--bum-interval`; 0: none), each at a seeded phase, the first ones after the
   * initial state (at its end when the timeline is shorter than the phase, so `durationS` 0 gives
   * every host's first snapshot and report); `drift` and `halfSwitched` faulty hosts are drawn then. Dead agents (`dead`)
   * send one snapshot and one BUM report, then nothing. Absent: no node messages.
   */
  nodes?: { intervalS?: number; bumIntervalS?: number; drift?: number; halfSwitched?: number };
}

type Timer = { at: number; seq: number; what: 'report' | 'churn' | 'storm' | 'snapshot' | 'bum'; host: number };

/** A binary min-heap of timers by (at, seq): deterministic order for equal times. */
class Timers {
  private readonly a: Timer[] = [];
  private seq = 0;
  private less = (x: Timer, y: Timer) => x.at < y.at || (x.at === y.at && x.seq < y.seq);
  push(t: Omit<Timer, 'seq'>): void {
    const a = this.a;
    a.push({ ...t, seq: this.seq++ });
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Timer | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Hosts whose agents restart in a storm of `n`: the first `n` OVS hosts. @throws Error when the fleet has fewer */
export function stormHosts(fleet: Fleet, n: number): number[] {
  const ovs = fleet.hosts.filter((h) => h.agent === 'openvswitch').map((h) => h.index);
  if (n > ovs.length) throw new Error(`a storm of ${n} OVS agents needs ${n} OVS hosts, the fleet has ${ovs.length}`);
  return ovs.slice(0, n);
}

/** Agents that die after their first report: `n` hosts drawn from `seed`. */
export function deadHosts(fleet: Fleet, n: number, seed: number): Set<number> {
  const rng = new Rng(seed ^ 0x5eed_dead);
  const out = new Set<number>();
  while (out.size < Math.min(n, fleet.hosts.length)) out.add(rng.int(fleet.hosts.length));
  return out;
}

/**
 * The fleet's messages in time order. `sim` receives the state (pass one to read the expected
 * state afterwards), `node` the node agents' (pass one to read the injected faults; with
 * `opts.nodes` only). The server's messages are the same bytes with or without `opts.nodes`.
 * @throws Error on a storm larger than the fleet's OVS hosts, or more faulty hosts than fit
 */
export function* fleetSchedule(
  fleet: Fleet,
  templates: WireTemplates,
  opts: ScheduleOptions,
  sim = new NeutronSimulation(fleet, templates, opts.seed, opts.startMs, { duplicates: opts.duplicates ?? true }),
  node = new NodeSimulation(sim, opts.seed),
): Generator<FleetMessage, void, undefined> {
  const interval = (opts.reportIntervalS ?? 30) * 1000;
  const jitter = (opts.reportJitterS ?? 1) * 1000;
  const churn = opts.churnPerS ?? 0;
  const duration = opts.durationS ?? 0;
  const rng = new Rng(opts.seed ^ 0x7111_e11e);
  const t0 = opts.startMs;
  const storm = stormHosts(fleet, opts.storm ?? 0);
  const dead = deadHosts(fleet, opts.dead ?? 0, opts.seed);

  // the initial state: every agent starts and reports, then every port comes up
  for (const h of fleet.hosts) yield sim.report(t0, h.index);
  const live: FleetPort[] = [];
  for (const p of fleet.ports) {
    const port = { ...p };
    live.push(port);
    yield* sim.portUp(t0, port);
  }

  const end = t0 + duration * 1000;
  const timers = new Timers();
  const nodes = opts.nodes;
  const nodeInterval = (nodes?.intervalS ?? 30) * 1000;
  const bumInterval = (nodes?.bumIntervalS ?? 5) * 1000;
  if (nodes) {
    // the node side draws from its own generator: the server's bytes do not change with it
    const nrng = new Rng(opts.seed ^ 0x40de_71e5);
    node.setFaults(nodeFaults(sim, { seed: opts.seed, drift: nodes.drift ?? 0, halfSwitched: nodes.halfSwitched ?? 0, dead }));
    // the first ones at a seeded phase, within the timeline: with durationS 0 (--once) right after the initial state
    const first = (period: number) => Math.min(t0 + 1 + Math.round(nrng.next() * period), end);
    for (const h of fleet.hosts) {
      timers.push({ at: first(nodeInterval), what: 'snapshot', host: h.index });
      if (bumInterval > 0) timers.push({ at: first(bumInterval), what: 'bum', host: h.index });
    }
  }
  if (storm.length > 0) timers.push({ at: t0 + (opts.stormAtS ?? 0) * 1000, what: 'storm', host: -1 });
  for (const h of fleet.hosts) if (!dead.has(h.index)) timers.push({ at: t0 + 1 + Math.round(rng.next() * interval), what: 'report', host: h.index });
  const nextChurn = (at: number) => at + Math.max(1, Math.round((-Math.log(1 - rng.next()) / churn) * 1000));
  if (churn > 0) timers.push({ at: nextChurn(t0), what: 'churn', host: -1 });
  let nextPort = fleet.ports.length;
  let nextIp = MAX_PORTS;
  for (;;) {
    const t = timers.pop();
    if (!t || t.at > end) return;
    if (t.what === 'storm') {
      for (const h of storm) yield* sim.agentRestart(t.at, h);
    } else if (t.what === 'snapshot') {
      yield node.snapshot(t.at, t.host);
      if (!dead.has(t.host)) timers.push({ at: t.at + nodeInterval, what: 'snapshot', host: t.host });
    } else if (t.what === 'bum') {
      yield node.bum(t.at, t.host);
      if (!dead.has(t.host)) timers.push({ at: t.at + bumInterval, what: 'bum', host: t.host });
    } else if (t.what === 'report') {
      yield sim.report(t.at, t.host);
      timers.push({ at: t.at + Math.max(1, interval + Math.round((rng.next() * 2 - 1) * jitter)), what: 'report', host: t.host });
    } else {
      const r = rng.next();
      if ((r < 0.45 || live.length === 0) && nextPort < MAX_PORTS) {
        nextPort++;
        const port = {
          index: nextPort - 1,
          network: rng.int(fleet.networks.length),
          host: rng.int(fleet.hosts.length),
          mac: macOf(nextPort),
          ip: portIpOf(nextPort),
        };
        live.push(port);
        yield* sim.portUp(t.at, port);
      } else if (live.length > 0 && r < 0.9) {
        const i = rng.int(live.length);
        const port = live[i]!;
        live[i] = live[live.length - 1]!;
        live.pop();
        yield* sim.portDown(t.at, port);
      } else if (live.length > 0) {
        // fixed IPs past the ports' own, unique for 11M changes, then reused
        nextIp = nextIp + 1 >= MAX_PORTS + 11_000_000 ? MAX_PORTS + 1 : nextIp + 1;
        yield* sim.ipChange(t.at, live[rng.int(live.length)]!, portIpOf(nextIp));
      }
      timers.push({ at: nextChurn(t.at), what: 'churn', host: -1 });
    }
  }
}

/** How many queues receive `m`: a fanout cast reaches every l2pop agent of the fleet (all hosts), the rest one (node messages: the worker's). */
export function deliveries(fleet: Fleet, m: FleetMessage): number {
  return m.kind === 'fanout' ? fleet.hosts.length : 1;
}
