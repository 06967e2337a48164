/**
 * Benchmark workloads built from the real captures: the captured bodies as they are, and a
 * synthetic fleet (N hypervisors, P ports each) made by re-addressing a real add_fdb_entries
 * fanout and a real report_state (only VTEP, MAC, IP and host change; the envelope, context and
 * shapes are neutron-server's own).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaptureRecord, parseCapture } from '@l2scope/domain';
import { prng } from '../packages/domain/test/prng';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchMessage {
  exchange: string;
  routingKey: string;
  body: Buffer;
}

/** Every message of the four real captures. */
export function realMessages(): CaptureRecord[] {
  return ['lab1', 'lab2', 'lab3', 'ovs-try'].flatMap((s) => parseCapture(readFileSync(path.join(root, 'fixtures', `${s}.jsonl`), 'utf8')).records);
}

/** The first real message of `method` on `exchange` (in `capture` when given, e.g. `lab3`). */
function template(method: string, exchange: string, capture?: string): CaptureRecord {
  const msgs = capture ? parseCapture(readFileSync(path.join(root, 'fixtures', `${capture}.jsonl`), 'utf8')).records : realMessages();
  const r = msgs.find((m) => m.exchange === exchange && Buffer.from(m.body).toString().includes(`\\"method\\": \\"${method}\\"`));
  if (!r) throw new Error(`no ${method} in the captures`);
  return r;
}

const ip = (n: number, base: number) => `10.${base}.${(n >> 8) & 255}.${n & 255}`;
const mac = (n: number) =>
  `fa:16:3e:${((n >> 16) & 255).toString(16).padStart(2, '0')}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;

/**
 * A fleet of `hosts` hypervisors on one VXLAN network: each reports state once, then each of its
 * `ports` ports comes up (an add_fdb_entries fanout, flood entry on the first).
 */
export function fleetMessages(hosts: number, ports: number): BenchMessage[] {
  const add = template('add_fdb_entries', 'q-agent-notifier-l2population-update_fanout');
  const report = template('report_state', 'neutron');
  const addBody = Buffer.from(add.body).toString();
  const reportBody = Buffer.from(report.body).toString();
  const vtepInAdd = /\\"ports\\": \{\\"([0-9.]+)\\"/.exec(addBody)![1]!;
  const macInAdd = /fa:16:3e:[0-9a-f:]{8}/.exec(addBody)![0];
  const ipInAdd = /172\.16\.1\.\d+/.exec(addBody)![0];
  const hostInReport = /\\"host\\": \\"([^\\]+)\\"/.exec(reportBody)![1]!;
  const vtepInReport = /\\"tunneling_ip\\": \\"([0-9.]+)\\"/.exec(reportBody)![1]!;
  const out: BenchMessage[] = [];
  for (let h = 0; h < hosts; h++) {
    const vtep = ip(h + 1, 20);
    out.push({
      exchange: report.exchange,
      routingKey: report.routingKey,
      body: Buffer.from(reportBody.replaceAll(hostInReport, `compute-${h}.bench`).replaceAll(vtepInReport, vtep)),
    });
  }
  for (let p = 0; p < ports; p++) {
    for (let h = 0; h < hosts; h++) {
      const n = h * ports + p + 1;
      let body = addBody
        .replaceAll(vtepInAdd, ip(h + 1, 20))
        .replaceAll(macInAdd, mac(n))
        .replaceAll(ipInAdd, ip(n, 172));
      if (p > 0) body = body.replace('[\\"00:00:00:00:00:00\\", \\"0.0.0.0\\"], ', '');
      out.push({ exchange: add.exchange, routingKey: add.routingKey, body: Buffer.from(body) });
    }
  }
  return out;
}

/** A port of {@link NetworkFleet}: on `network`, bound to `host`. */
export interface FleetPort {
  network: string;
  vni: number;
  host: number;
  mac: string;
  ip: string;
}

/** A multi-network fleet: which hosts carry which VXLAN networks, with one port each. */
export interface NetworkFleet {
  hosts: number;
  /** Per network: id, VNI and the hosts (indexes) with a port on it. */
  networks: { id: string; vni: number; hosts: number[] }[];
  ports: FleetPort[];
  /** report_state of every host, then one add_fdb_entries fanout per port (flood entry on a host's first port of a network). */
  messages: BenchMessage[];
  /** Host name of index `h` (`compute-<h>.bench`). */
  hostName: (h: number) => string;
  /** VTEP IP of index `h`. */
  vtep: (h: number) => string;
  /** An add_fdb_entries fanout announcing one more port (not in `ports`) of `host` on `network`. */
  addPort: (network: string, host: number, n: number) => BenchMessage;
}

/** Deterministic PRNG (mulberry32): the same fleet on every run; the one the domain's property tests use. */
export { prng };

/**
 * A fleet of `hosts` Linux bridge hypervisors (l2_population on, as reported by lab3's agents) and
 * `networks` VXLAN networks, each spanning `minSpan`..`maxSpan` random hosts with one port per
 * (network, host): re-addressed real lab3 casts (network id, VNI, VTEP, MAC, IP and host change).
 */
export function networkFleet(hosts: number, networks: number, minSpan = 20, maxSpan = 50, seed = 649): NetworkFleet {
  const add = template('add_fdb_entries', 'q-agent-notifier-l2population-update_fanout', 'lab3');
  const report = template('report_state', 'neutron', 'lab3');
  const addBody = Buffer.from(add.body).toString();
  const reportBody = Buffer.from(report.body).toString();
  const netInAdd = /\\"fdb_entries\\": \{\\"([0-9a-f-]{36})\\"/.exec(addBody)![1]!;
  const vniInAdd = /\\"segment_id\\": (\d+)/.exec(addBody)![0];
  const vtepInAdd = /\\"ports\\": \{\\"([0-9.]+)\\"/.exec(addBody)![1]!;
  const macInAdd = /fa:16:3e:[0-9a-f:]{8}/.exec(addBody)![0];
  const ipInAdd = /172\.16\.1\.\d+/.exec(addBody)![0];
  const hostInReport = /\\"host\\": \\"([^\\]+)\\"/.exec(reportBody)![1]!;
  const vtepInReport = /\\"tunneling_ip\\": \\"([0-9.]+)\\"/.exec(reportBody)![1]!;
  if (!reportBody.includes('\\"l2_population\\": true')) throw new Error('lab3 report_state template without l2_population');
  const hostName = (h: number) => `compute-${h}.bench`;
  const vtep = (h: number) => ip(h + 1, 20);
  const rnd = prng(seed);
  const nets: NetworkFleet['networks'] = [];
  for (let n = 0; n < networks; n++) {
    const span = minSpan + Math.floor(rnd() * (maxSpan - minSpan + 1));
    const set = new Set<number>();
    while (set.size < Math.min(span, hosts)) set.add(Math.floor(rnd() * hosts));
    const hex = (n + 1).toString(16).padStart(12, '0');
    nets.push({ id: `b3ec0000-0000-4000-8000-${hex}`, vni: 1000 + n, hosts: [...set].sort((a, b) => a - b) });
  }
  const cast = (network: { id: string; vni: number }, h: number, m: string, i: string, flood: boolean): BenchMessage => {
    let body = addBody
      .replaceAll(netInAdd, network.id)
      .replace(vniInAdd, `\\"segment_id\\": ${network.vni}`)
      .replaceAll(vtepInAdd, vtep(h))
      .replaceAll(macInAdd, m)
      .replaceAll(ipInAdd, i);
    if (!flood) body = body.replace('[\\"00:00:00:00:00:00\\", \\"0.0.0.0\\"], ', '');
    return { exchange: add.exchange, routingKey: add.routingKey, body: Buffer.from(body) };
  };
  const messages: BenchMessage[] = [];
  for (let h = 0; h < hosts; h++) {
    messages.push({
      exchange: report.exchange,
      routingKey: report.routingKey,
      body: Buffer.from(reportBody.replaceAll(hostInReport, hostName(h)).replaceAll(vtepInReport, vtep(h))),
    });
  }
  const ports: FleetPort[] = [];
  let p = 0;
  for (const net of nets) {
    for (const h of net.hosts) {
      p++;
      const port = { network: net.id, vni: net.vni, host: h, mac: mac(p), ip: ip(p, 172) };
      ports.push(port);
      messages.push(cast(net, h, port.mac, port.ip, true));
    }
  }
  const byId = new Map(nets.map((n) => [n.id, n]));
  const addPort = (network: string, h: number, n: number) => cast(byId.get(network)!, h, mac(0x800000 + n), ip(0x8000 + n, 172), false);
  return { hosts, networks: nets, ports, messages, hostName, vtep, addPort };
}
