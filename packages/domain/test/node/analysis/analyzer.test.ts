/**
 * NodeAnalyzer (incremental analyzeNodes) against the full analysis: random sequences of changes
 * (ports added / removed / moved, IP changes, agent reports, snapshots changed / restamped / gone,
 * hosts and networks added) on a world that mixes a generated Linux bridge fleet and the real
 * captures and snapshots of the lab (mixed, ovs-node: Linux bridge and OVS hosts). After every step
 * the incremental result must equal `analyzeNodes` on the same inputs, byte for byte.
 */
import { describe, expect, it } from 'vitest';
import {
  ClusterModel,
  type DecodedMessage,
  type FullNodeSnapshot,
  L2POP_FANOUT_EXCHANGE,
  NodeAnalyzer,
  analyzeNodes,
  buildNodeSnapshot,
  decodeMessage,
  snapshotsFromBundle,
} from '../../../src';
import { FIXTURES, loadCapture, modelAt, snapshotTimes } from '../../fixtures';
import { prng } from '../../prng';
import { analyzeStep, bundleFilesOf, driftLines, stepsOf } from '../helpers';
import { HOSTS } from './lab';

const FLOOD: [string, string] = ['00:00:00:00:00:00', '0.0.0.0'];

function decoded(exchange: string, routingKey: string, message: unknown): DecodedMessage {
  const r = decodeMessage({ exchange, routingKey, body: JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(message) }) });
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

const fdbCast = (method: 'add_fdb_entries' | 'remove_fdb_entries', network: string, vni: number, ports: Record<string, [string, string][]>, target?: string) =>
  decoded(target ? 'neutron' : L2POP_FANOUT_EXCHANGE, target ? `q-agent-notifier-l2population-update.${target}` : '', {
    method,
    args: { fdb_entries: { [network]: { segment_id: vni, network_type: 'vxlan', ports } } },
  });

const chgIpCast = (network: string, vtep: string, before: [string, string][], after: [string, string][]) =>
  decoded(L2POP_FANOUT_EXCHANGE, '', { method: 'update_fdb_entries', args: { fdb_entries: { chg_ip: { [network]: { [vtep]: { before, after } } } } } });

const reportMsg = (host: string, ip: string, l2pop: boolean, start: boolean) =>
  decoded('neutron', 'q-reports-plugin', {
    method: 'report_state',
    args: {
      agent_state: {
        agent_state: {
          binary: 'neutron-linuxbridge-agent',
          host,
          agent_type: 'Linux bridge agent',
          start_flag: start,
          configurations: { tunneling_ip: ip, l2_population: l2pop, tunnel_types: ['vxlan'], devices: 1 },
        },
      },
    },
  });

interface Port {
  network: number;
  host: number;
  mac: string;
  ip: string;
}

type Fault = 'none' | 'drop-row' | 'wrong-vtep' | 'learned' | 'drop-neigh' | 'no-proxy' | 'group' | 'all-hosts-group' | 'unknown-vni' | 'stale-neigh';
const FAULTS: Fault[] = [
  'none',
  'none',
  'none',
  'drop-row',
  'wrong-vtep',
  'learned',
  'drop-neigh',
  'no-proxy',
  'group',
  'all-hosts-group',
  'unknown-vni',
  'stale-neigh',
];

/** A world: the model, the snapshots, and a generator of changes. */
class World {
  readonly model = new ClusterModel();
  readonly snaps = new Map<string, FullNodeSnapshot>();
  private seq = 0;
  private readonly ports: Port[] = [];
  private portSeq = 0;
  private hosts = 6;
  private networks = 4;
  private readonly vtepOf = new Map<number, string>();
  private readonly capture: ReturnType<typeof loadCapture>;
  private captureAt = 0;
  private readonly fixtureSteps: { scenario: string; step: string; at: number }[] = [];
  private readonly pending: import('../../../src').ModelChange[] = [];

  constructor(
    private readonly rnd: () => number,
    private readonly scenario: string,
  ) {
    this.capture = loadCapture(scenario);
    const times = snapshotTimes(scenario);
    for (const step of stepsOf(scenario)) this.fixtureSteps.push({ scenario, step, at: times.get(step)! });
    for (let h = 0; h < this.hosts; h++) this.apply(reportMsg(this.name(h), this.vtep(h), true, true));
  }

  name = (h: number) => `gen-${h}`;
  vtep(h: number): string {
    return this.vtepOf.get(h) ?? `10.9.0.${h + 1}`;
  }
  netId = (n: number) => `00000000-0000-4000-8000-${(n + 1).toString(16).padStart(12, '0')}`;
  vni = (n: number) => 5001 + n;
  private pick<T>(xs: T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)]!;
  }

  apply(m: DecodedMessage): void {
    this.seq++;
    this.pending.push(...this.model.apply(m, 1_000_000 + this.seq, this.seq));
  }

  /** Model changes since the last call. */
  takeChanges() {
    return this.pending.splice(0);
  }

  private addPort(network: number, host: number, mac?: string, ip?: string): void {
    const first = !this.ports.some((p) => p.network === network && p.host === host);
    this.portSeq++;
    const p = {
      network,
      host,
      mac: mac ?? `fa:16:3e:00:${(this.portSeq >> 8).toString(16).padStart(2, '0')}:${(this.portSeq & 255).toString(16).padStart(2, '0')}`,
      ip: ip ?? `192.168.${network}.${this.portSeq % 250}`,
    };
    this.ports.push(p);
    const entries: [string, string][] = first ? [FLOOD, [p.mac, p.ip]] : [[p.mac, p.ip]];
    this.apply(fdbCast('add_fdb_entries', this.netId(network), this.vni(network), { [this.vtep(host)]: entries }));
    if (first && this.rnd() < 0.5) {
      // the host-directed full FDB of the network for its first port
      const all: Record<string, [string, string][]> = {};
      for (const q of this.ports.filter((x) => x.network === network && x.host !== host)) (all[this.vtep(q.host)] ??= [FLOOD]).push([q.mac, q.ip]);
      if (Object.keys(all).length) this.apply(fdbCast('add_fdb_entries', this.netId(network), this.vni(network), all, this.name(host)));
    }
  }

  private removePort(p: Port): void {
    this.ports.splice(this.ports.indexOf(p), 1);
    const last = !this.ports.some((q) => q.network === p.network && q.host === p.host);
    this.apply(
      fdbCast('remove_fdb_entries', this.netId(p.network), this.vni(p.network), { [this.vtep(p.host)]: last ? [FLOOD, [p.mac, p.ip]] : [[p.mac, p.ip]] }),
    );
  }

  /** Build a generated host's snapshot from what the model says it was told, with a fault. */
  snapshotOf(h: number, fault: Fault, seq: number): FullNodeSnapshot {
    const name = this.name(h);
    const local = this.vtep(h);
    const fdb: Record<string, unknown>[] = [];
    const neigh: Record<string, unknown>[] = [];
    const links: Record<string, unknown>[] = [];
    const told = this.model.toldFdb(name);
    for (const n of told) {
      if (n.vni === null) continue;
      const dev = `vxlan-${n.vni}`;
      const data: Record<string, unknown> = { id: n.vni, local, link: 'ul0', port: 8472, learning: false, proxy: fault !== 'no-proxy' || links.length > 0 };
      if (fault === 'group' && links.length === 0) data.group = '239.1.1.1';
      if (fault === 'all-hosts-group' && links.length === 0) data.group = '224.0.0.1';
      links.push({ ifname: dev, flags: ['UP'], master: `brq${n.network.slice(0, 11)}`, linkinfo: { info_kind: 'vxlan', info_data: data } });
      for (const r of n.fdb) fdb.push({ mac: r.mac, ifname: dev, dst: r.vtep, flags: ['self'], state: 'permanent' });
      for (const r of n.neigh) neigh.push({ dst: r.ip, dev, lladdr: r.mac, state: ['PERMANENT'] });
    }
    const dev0 = (links[0]?.ifname as string | undefined) ?? 'vxlan-5001';
    if (fault === 'drop-row' && fdb.length) fdb.splice(Math.floor(this.rnd() * fdb.length), 1);
    if (fault === 'wrong-vtep' && fdb.length) fdb[Math.floor(this.rnd() * fdb.length)]!.dst = '10.9.0.250';
    if (fault === 'learned') fdb.push({ mac: 'fa:16:3e:aa:aa:aa', ifname: dev0, dst: this.vtep((h + 1) % this.hosts), flags: ['self'], state: '' });
    if (fault === 'drop-neigh' && neigh.length) neigh.splice(Math.floor(this.rnd() * neigh.length), 1);
    if (fault === 'stale-neigh') neigh.push({ dst: '192.168.77.7', dev: dev0, lladdr: 'fa:16:3e:77:77:77', state: ['PERMANENT'] });
    if (fault === 'unknown-vni') {
      links.push({ ifname: 'vxlan-5099', flags: ['UP'], linkinfo: { info_kind: 'vxlan', info_data: { id: 5099, local, port: 8472, proxy: true } } });
      fdb.push({ mac: FLOOD[0], ifname: 'vxlan-5099', dst: this.vtep((h + 2) % this.hosts), flags: ['self'], state: 'permanent' });
    }
    return buildNodeSnapshot({
      host: name,
      instance: `i-${h}`,
      seq,
      takenAt: 1_700_000_000_000 + seq,
      agentType: 'linuxbridge',
      raw: { bridgeFdb: JSON.stringify(fdb), ipNeigh: JSON.stringify(neigh), ipLinkVxlan: JSON.stringify(links) },
    });
  }

  /** One random change; returns its name. */
  step(): string {
    const r = this.rnd();
    const gen = Array.from({ length: this.hosts }, (_, h) => h);
    if (r < 0.12 && this.captureAt < this.capture.length) {
      // the next real message of the capture
      const rec = this.capture[this.captureAt++]!;
      const d = decodeMessage({ exchange: rec.exchange, routingKey: rec.routingKey, body: rec.body });
      if (d.ok) this.apply(d.message);
      return 'capture message';
    }
    if (r < 0.3) {
      this.addPort(Math.floor(this.rnd() * this.networks), this.pick(gen));
      return 'port added';
    }
    if (r < 0.38 && this.ports.length) {
      this.removePort(this.pick(this.ports));
      return 'port removed';
    }
    if (r < 0.45 && this.ports.length) {
      const p = this.pick(this.ports);
      this.removePort(p);
      this.addPort(p.network, this.pick(gen), p.mac, p.ip);
      return 'port moved';
    }
    if (r < 0.5 && this.ports.length) {
      const p = this.pick(this.ports);
      const ip = `192.168.${p.network}.${200 + Math.floor(this.rnd() * 50)}`;
      this.apply(chgIpCast(this.netId(p.network), this.vtep(p.host), [[p.mac, p.ip]], [[p.mac, ip]]));
      p.ip = ip;
      return 'ip changed';
    }
    if (r < 0.58) {
      const h = this.pick(gen);
      const x = this.rnd();
      if (x < 0.1) this.vtepOf.set(h, `10.9.1.${h + 1}`); // the agent's tunneling_ip changed
      this.apply(reportMsg(this.name(h), this.vtep(h), x > 0.3, x < 0.5));
      return 'report_state';
    }
    if (r < 0.62) {
      // a new host: its first port announced before its report_state sometimes
      const h = this.hosts++;
      if (this.rnd() < 0.5) this.apply(reportMsg(this.name(h), this.vtep(h), true, true));
      this.addPort(Math.floor(this.rnd() * this.networks), h);
      return 'host added';
    }
    if (r < 0.65) {
      this.addPort(this.networks++, this.pick(gen));
      return 'network added';
    }
    if (r < 0.67) {
      this.addPort(98, this.pick(gen)); // VNI 5099: the one the `unknown-vni` fault's device has
      return 'port on VNI 5099';
    }
    if (r < 0.85) {
      const h = this.pick(gen);
      this.snaps.set(this.name(h), this.snapshotOf(h, this.pick(FAULTS), this.seq + 1));
      return 'snapshot';
    }
    if (r < 0.9 && this.snaps.size) {
      // a delta without sections: the same state, a new stamp
      const s = this.pick([...this.snaps.values()]);
      this.snaps.set(s.host, { ...s, seq: s.seq + 1, takenAt: new Date(Date.parse(s.takenAt) + 1000).toISOString() });
      return 'snapshot restamped';
    }
    if (r < 0.97) {
      const f = this.pick(this.fixtureSteps);
      const { snapshots } = snapshotsFromBundle(bundleFilesOf(f.scenario, f.step), { takenAt: f.at });
      const s = this.pick(snapshots);
      this.snaps.set(s.host, s);
      return 'real snapshot';
    }
    if (this.snaps.size) {
      this.snaps.delete(this.pick([...this.snaps.keys()]));
      return 'snapshot gone';
    }
    return 'nothing';
  }
}

describe('NodeAnalyzer: incremental == full analyzeNodes after every change', () => {
  it.each([
    [1, 'mixed'],
    [2, 'ovs-node'],
    [3, 'faults'],
    [4, 'mixed'],
  ])(
    'seed %i, with the real %s capture and snapshots',
    (seed, scenario) => {
      const world = new World(prng(seed), scenario);
      const analyzer = new NodeAnalyzer();
      let hostsAnalyzed = 0;
      let hostsSeen = 0;
      const kinds = new Set<string>();
      for (let i = 0; i < 220; i++) {
        const what = i === 0 ? 'start' : world.step();
        kinds.add(what);
        const snapshots = [...world.snaps.values()];
        analyzer.modelChanged(world.takeChanges());
        const inc = analyzer.analyze({ model: world.model, snapshots });
        const full = analyzeNodes({ model: world.model, snapshots });
        if (JSON.stringify(inc) !== JSON.stringify(full)) expect({ step: i, what, inc }).toEqual({ step: i, what, inc: full });
        expect(JSON.stringify(inc), `step ${i}: ${what}`).toBe(JSON.stringify(full));
        if (i > 0) {
          hostsAnalyzed += analyzer.stats.hostsAnalyzed;
          hostsSeen += analyzer.stats.hosts;
        }
      }
      expect(kinds.size).toBeGreaterThan(12);
      // and it is incremental: most hosts are reused
      expect(hostsAnalyzed).toBeLessThan(hostsSeen / 2);
    },
    60_000,
  );

  it('re-analyses only the hosts of the changed network, and one host for one snapshot', () => {
    const world = new World(prng(9), 'mixed');
    for (let i = 0; i < 60; i++) world.step();
    for (let h = 0; h < 6; h++) world.snaps.set(world.name(h), world.snapshotOf(h, 'none', 1000 + h));
    const analyzer = new NodeAnalyzer();
    world.takeChanges();
    analyzer.analyze({ model: world.model, snapshots: [...world.snaps.values()] });
    expect(analyzer.stats.full).toBe(true);
    // a restamped snapshot: nothing analysed again
    const s = world.snaps.get('gen-1')!;
    world.snaps.set('gen-1', { ...s, seq: s.seq + 1 });
    analyzer.analyze({ model: world.model, snapshots: [...world.snaps.values()] });
    expect(analyzer.stats).toMatchObject({ full: false, hostsAnalyzed: 0 });
    // one host's new snapshot: that host only
    world.snaps.set('gen-2', world.snapshotOf(2, 'drop-row', 2000));
    analyzer.analyze({ model: world.model, snapshots: [...world.snaps.values()] });
    expect(analyzer.stats).toMatchObject({ full: false, hostsAnalyzed: 1 });
    // a port on a network: at most the hosts that hold, are members of, or have ports on it
    const net = world.netId(0);
    const on = [...world.snaps.keys()].filter((h) => world.model.memberships(h).includes(net));
    world.apply(fdbCast('add_fdb_entries', net, 5001, { '10.9.0.1': [['fa:16:3e:99:99:99', '192.168.0.99']] }));
    analyzer.modelChanged(world.takeChanges());
    const inc = analyzer.analyze({ model: world.model, snapshots: [...world.snaps.values()] });
    expect(analyzer.stats.hostsAnalyzed).toBeLessThanOrEqual(on.length + 1);
    expect(analyzer.stats.networksAnalyzed).toBe(1);
    expect(JSON.stringify(inc)).toBe(JSON.stringify(analyzeNodes({ model: world.model, snapshots: [...world.snaps.values()] })));
    // another model instance: a full analysis
    analyzer.analyze({ model: ClusterModel.fromSnapshot(world.model.snapshot()), snapshots: [...world.snaps.values()] });
    expect(analyzer.stats.full).toBe(true);
  }, 60_000);
});

describe('model semantics', () => {
  it('idempotent: every message applied twice gives the same analysis', () => {
    const at = snapshotTimes('lab3').get('4-after-ip-change')!;
    const twice = new ClusterModel();
    let seq = 0;
    for (const r of loadCapture('lab3')) {
      if (r.ts.getTime() > at) break;
      const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
      if (!d.ok) continue;
      twice.apply(d.message, r.ts.getTime(), ++seq);
      twice.apply(d.message, r.ts.getTime(), ++seq);
    }
    const { snapshots } = snapshotsFromBundle(bundleFilesOf('lab3', '4-after-ip-change'), { takenAt: at });
    expect(analyzeNodes({ model: twice, snapshots })).toEqual(analyzeStep('lab3', '4-after-ip-change'));
  });

  it('a ModelSnapshot gives the same result as the live model', () => {
    const at = snapshotTimes('lab2').get('2-after-ping')!;
    const model = modelAt(loadCapture('lab2'), at);
    const { snapshots } = snapshotsFromBundle(bundleFilesOf('lab2', '2-after-ping'), { takenAt: at });
    expect(analyzeNodes({ model: model.snapshot(), snapshots })).toEqual(analyzeNodes({ model, snapshots }));
  });

  it('without report_state, l2pop comes from the ini; without both, from the kernel', () => {
    const at = snapshotTimes('faults').get('0-baseline')!;
    const noReports = loadCapture('faults').filter((r) => r.routingKey !== 'q-reports-plugin');
    const files = bundleFilesOf('faults', '0-baseline');
    const withIni = analyzeNodes({ model: modelAt(noReports, at), snapshots: snapshotsFromBundle(files).snapshots });
    expect(withIni.hosts.controller!.mode).toMatchObject({
      l2pop: 'on',
      l2popSource: 'ini',
      arpResponder: 'on',
      arpResponderSource: 'ini',
      vtep: '10.0.20.11',
    });
    expect(driftLines(withIni, 'controller')).toEqual([]);
    const bare = Object.fromEntries(Object.entries(files).filter(([f]) => !f.endsWith('-agent.ini')));
    const kernelOnly = analyzeNodes({ model: modelAt(noReports, at), snapshots: snapshotsFromBundle(bare).snapshots });
    expect(kernelOnly.hosts.controller!.mode).toMatchObject({ l2pop: 'on', l2popSource: 'kernel', arpResponderSource: 'vxlan_proxy' });
  });

  it('a host the model knows but without a snapshot is listed, not evaluated', () => {
    const at = snapshotTimes('lab2').get('2-after-ping')!;
    const files = Object.fromEntries(Object.entries(bundleFilesOf('lab2', '2-after-ping')).filter(([f]) => f.startsWith('controller-')));
    const a = analyzeNodes({ model: modelAt(loadCapture('lab2'), at), snapshots: snapshotsFromBundle(files).snapshots });
    expect(Object.keys(a.hosts)).toEqual(HOSTS);
    expect(a.hosts.compute1).toMatchObject({
      snapshot: null,
      drift: [],
      flood: {},
      mode: { l2pop: 'on', notes: ['no node snapshot: drift and flood lists not evaluated'] },
    });
  });

  it('fixtures root is where the tests read', () => {
    expect(FIXTURES).toMatch(/fixtures$/);
  });
});
