/**
 * Node analysis (expected vs actual) for a 1000-hypervisor fleet against a baseline measured in the
 * same run: listing what every host was told (`ClusterModel.toldFdb` per host), the least any
 * comparison must do. The model is built by the real decoder from re-addressed real lab3 casts; each
 * host's snapshot is built by the real parsers (`buildNodeSnapshot`) from `bridge -j fdb show`,
 * `ip -j neigh show` and `ip -j -d link show type vxlan` JSON holding exactly what it was told,
 * plus a few injected faults. Also the incremental re-analysis (`NodeAnalyzer`) after one port
 * change and after one host's snapshot change.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ClusterModel, type FullNodeSnapshot, type ModelChange, NodeAnalyzer, analyzeNodes, buildNodeSnapshot, decodeMessage } from '@l2scope/domain';
import { type NetworkFleet, networkFleet, root } from './workload';

/** One real `ip -j -d link show type vxlan` device of lab3 (l2pop + ARP responder: `proxy`, `local`). */
const vxlanTemplate = (
  JSON.parse(readFileSync(path.join(root, 'fixtures/lab3/2-after-ping/compute1-ip-link-vxlan.json'), 'utf8')) as Record<string, unknown>[]
)[0]!;

/** Faults injected into a host's outputs, by host index. */
export interface Faults {
  /** Drop the first flood row of its first network (missing_flood). */
  dropFlood?: boolean;
  /** Add a permanent row for a MAC nobody announced (stale_entry). */
  staleMac?: boolean;
  /** Point its first unicast row at another VTEP (wrong_vtep). */
  wrongVtep?: boolean;
  /** Drop its first neighbour row (neigh_missing). */
  dropNeigh?: boolean;
  /** Its first VXLAN device lost `proxy` (half_switched_vxlan and mixed_arp_responder findings). */
  noProxy?: boolean;
}

/**
 * The raw outputs of a host that holds exactly what the model says it was told, as iproute2 prints
 * them, with `faults` applied, parsed into a snapshot by the real parsers.
 */
export function hostSnapshot(model: ClusterModel, fleet: NetworkFleet, h: number, seq: number, faults: Faults = {}): FullNodeSnapshot {
  const host = fleet.hostName(h);
  const local = fleet.vtep(h);
  const fdb: Record<string, unknown>[] = [];
  const neigh: Record<string, unknown>[] = [];
  const links: Record<string, unknown>[] = [];
  for (const n of model.toldFdb(host)) {
    if (n.vni === null) continue;
    const dev = `vxlan-${n.vni}`;
    const master = `brq${n.network.slice(0, 11)}`;
    const data: Record<string, unknown> = { ...(vxlanTemplate.linkinfo as { info_data: Record<string, unknown> }).info_data, id: n.vni, local };
    if (faults.noProxy && links.length === 0) delete data.proxy;
    links.push({ ...vxlanTemplate, ifname: dev, master, linkinfo: { ...(vxlanTemplate.linkinfo as object), info_data: data } });
    // the bridge's own rows on the device (not `self`: the snapshot builder drops them)
    fdb.push({
      mac: `46:fb:0b:${(n.vni >> 8).toString(16).padStart(2, '0')}:${(n.vni & 255).toString(16).padStart(2, '0')}:1f`,
      ifname: dev,
      flags: [],
      master,
      state: 'permanent',
    });
    for (const r of n.fdb) fdb.push({ mac: r.mac, ifname: dev, dst: r.vtep, flags: ['self'], state: 'permanent' });
    for (const r of n.neigh) neigh.push({ dst: r.ip, dev, lladdr: r.mac, state: ['PERMANENT'] });
  }
  if (faults.dropFlood)
    fdb.splice(
      fdb.findIndex((r) => r.mac === '00:00:00:00:00:00'),
      1,
    );
  if (faults.staleMac)
    fdb.push({ mac: 'fa:16:3e:de:ad:01', ifname: links[0]!.ifname, dst: fleet.vtep((h + 1) % fleet.hosts), flags: ['self'], state: 'permanent' });
  if (faults.wrongVtep) {
    const r = fdb.find((x) => x.dst && x.mac !== '00:00:00:00:00:00')!;
    r.dst = fleet.vtep((h + 2) % fleet.hosts);
  }
  if (faults.dropNeigh) neigh.shift();
  // the underlay's own neighbours (not on a VXLAN device: dropped by the builder)
  neigh.push({ dst: fleet.vtep((h + 1) % fleet.hosts), dev: 'ul0', lladdr: 'd2:d5:ea:c8:8a:37', state: ['REACHABLE'] });
  return buildNodeSnapshot({
    host,
    instance: 'bench',
    seq,
    takenAt: Date.UTC(2026, 10, 22) + seq,
    agentType: 'linuxbridge',
    raw: { bridgeFdb: JSON.stringify(fdb), ipNeigh: JSON.stringify(neigh), ipLinkVxlan: JSON.stringify(links) },
  });
}

/** The injected faults, by host index (spread over the fleet). */
const faultsOf = (hosts: number): Record<number, Faults> => ({
  3: { dropFlood: true },
  17: { staleMac: true },
  [Math.floor(hosts * 0.1) + 1]: { wrongVtep: true },
  [Math.floor(hosts * 0.4) + 4]: { dropNeigh: true },
  [Math.floor(hosts * 0.77)]: { noProxy: true },
});

function time<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

/** The run of median duration. */
const median = <T extends { ms: number }>(runs: T[]): T => [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)]!;

/** Best of `rounds` (ms). */
function best<T>(rounds: number, fn: () => T): { ms: number; value: T } {
  let out = time(fn);
  for (let i = 1; i < rounds; i++) {
    const r = time(fn);
    if (r.ms < out.ms) out = r;
  }
  return out;
}

export interface AnalysisBenchResult {
  hosts: number;
  networks: number;
  ports: number;
  toldRows: number;
  snapshotRows: number;
  driftItems: number;
  findings: number;
  /** Every host's `toldFdb` (ms). */
  baselineMs: number;
  /** `analyzeNodes` over the fleet (ms). */
  fullMs: number;
  /** `NodeAnalyzer` after one add_fdb_entries on one network (ms, median of 5), and the hosts it re-analysed. */
  portChangeMs: number;
  portChangeHosts: number;
  /** `NodeAnalyzer` after one host's snapshot changed (ms, median of 5), and the hosts it re-analysed. */
  snapshotChangeMs: number;
  snapshotChangeHosts: number;
}

/** Build the fleet, time the full analysis, the baseline and the incremental re-analyses. */
export function runAnalysisBench(hosts = 1000, networks = 300): AnalysisBenchResult {
  const fleet = networkFleet(hosts, networks);
  const model = new ClusterModel();
  fleet.messages.forEach((m, i) => {
    const d = decodeMessage(m);
    if (!d.ok) throw new Error(`fleet message ${i} does not decode`);
    model.apply(d.message, i + 1, i + 1);
  });
  const snapshots: FullNodeSnapshot[] = [];
  const FAULTS = faultsOf(hosts);
  for (let h = 0; h < hosts; h++) snapshots.push(hostSnapshot(model, fleet, h, 1, FAULTS[h]));
  const snapshotRows = snapshots.reduce((n, s) => n + s.linuxbridge!.fdb.length + s.linuxbridge!.neigh.length, 0);

  const names = Array.from({ length: hosts }, (_, h) => fleet.hostName(h));
  // warm-up, then best of 3
  analyzeNodes({ model, snapshots });
  const baseline = best(3, () => names.reduce((n, h) => n + model.toldFdb(h).reduce((k, t) => k + t.fdb.length + t.neigh.length, 0), 0));
  const full = best(3, () => analyzeNodes({ model, snapshots }));
  const a = full.value;
  const driftItems = Object.values(a.hosts).reduce((n, x) => n + x.drift.length, 0);
  if (driftItems === 0 || a.findings.length === 0) throw new Error('the injected faults show no drift / finding');

  // incremental: a warm analyzer, then one port change (5 times, on 5 networks), then one host's
  // snapshot change (5 hosts); medians
  const analyzer = new NodeAnalyzer();
  analyzer.analyze({ model, snapshots });
  for (let i = 0; i < 3; i++) analyzer.analyze({ model, snapshots }); // warm: nothing changed, nothing recomputed
  let seq = fleet.messages.length;
  const portRuns: { ms: number; hosts: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const net = fleet.networks[7 + 31 * i]!;
    const d = decodeMessage(fleet.addPort(net.id, net.hosts[0]!, i + 1));
    if (!d.ok) throw new Error('port cast does not decode');
    seq++;
    const changes: ModelChange[] = model.apply(d.message, seq, seq);
    analyzer.modelChanged(changes);
    portRuns.push({ ms: time(() => analyzer.analyze({ model, snapshots })).ms, hosts: analyzer.stats.hostsAnalyzed });
  }
  const snapRuns: { ms: number; hosts: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const h = fleet.networks[11 + 29 * i]!.hosts[0]!;
    snapshots[h] = hostSnapshot(model, fleet, h, 2, { dropNeigh: true });
    snapRuns.push({ ms: time(() => analyzer.analyze({ model, snapshots })).ms, hosts: analyzer.stats.hostsAnalyzed });
  }
  // the incremental results are the full ones
  if (JSON.stringify(analyzer.analyze({ model, snapshots })) !== JSON.stringify(analyzeNodes({ model, snapshots })))
    throw new Error('incremental analysis differs from the full one');
  const port = median(portRuns);
  const snap = median(snapRuns);

  return {
    hosts,
    networks,
    ports: fleet.ports.length,
    toldRows: baseline.value,
    snapshotRows,
    driftItems,
    findings: a.findings.length,
    baselineMs: baseline.ms,
    fullMs: full.ms,
    portChangeMs: port.ms,
    portChangeHosts: port.hosts,
    snapshotChangeMs: snap.ms,
    snapshotChangeHosts: snap.hosts,
  };
}
