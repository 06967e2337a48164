/**
 * Benchmark workloads built from the real captures: the captured bodies as they are, and a
 * synthetic fleet (N hypervisors, P ports each) written by the fleet simulator's wire builders
 * (apps/fleet `castBody`, `reportBody`): a real lab3 add_fdb_entries fanout and a real report_state
 * with only values changed (network, VNI, VTEP, MAC, IP, host and the ids; the envelope, context
 * and shapes are neutron-server's own). For a whole fleet with l2pop's host-directed casts, churn
 * and storms, see `npm run fleet` (docs/fleet.md).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaptureRecord, parseCapture } from '@l2scope/domain';
import {
  FLOODING_ENTRY,
  type FleetMessage,
  NeutronSimulation,
  type PyJsonValue,
  Rng,
  castBody,
  fleetSchedule,
  generateFleet,
  loadTemplates,
  pyIsoTime,
  pyTimestamp,
  reportBody,
} from '@l2scope/fleet';
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

/** The virtual time of the synthetic messages (their report_state `time`, contexts' timestamps). */
const T0 = Date.parse('2026-12-01T00:00:00Z');

/**
 * Builders of the synthetic messages, on lab3's real templates: `add` a fanout add_fdb_entries
 * (one VTEP, its flood entry first when `flood`), `report` a Linux bridge agent's first report_state.
 * Ids come from `seed`: the same workload on every run.
 */
function wire(seed: number) {
  const t = loadTemplates();
  const rng = new Rng(seed);
  const ctx = { requestId: `req-${rng.uuid()}`, contextTimestamp: pyTimestamp(T0) };
  const fanout = { exchange: 'q-agent-notifier-l2population-update_fanout', routingKey: '' };
  return {
    add(network: { id: string; vni: number }, vtep: string, m: string, i: string, flood: boolean): BenchMessage {
      const entries: PyJsonValue[] = flood ? [FLOODING_ENTRY, [m, i]] : [[m, i]];
      const args = { fdb_entries: { [network.id]: { segment_id: network.vni, network_type: 'vxlan', ports: { [vtep]: entries } } } };
      return { ...fanout, body: Buffer.from(castBody(t.cast, 'add_fdb_entries', args, { uniqueId: rng.uuidHex(), ...ctx })) };
    },
    report(host: string, vtep: string): BenchMessage {
      const agent = { agentUuid: rng.uuid(), replyQ: `reply_${rng.uuidHex()}`, requestId: `req-${rng.uuid()}`, contextTimestamp: ctx.contextTimestamp };
      const body = reportBody(t.report.linuxbridge, {
        host,
        vtep,
        devices: 0,
        start: true,
        time: pyIsoTime(T0),
        msgId: rng.uuidHex(),
        uniqueId: rng.uuidHex(),
        ...agent,
      });
      return { exchange: 'neutron', routingKey: 'q-reports-plugin', body: Buffer.from(body) };
    },
  };
}

/** lab3's network (VNI 649), the one the single-network fleet lives on. */
const LAB3_NETWORK = { id: '7592da76-ae90-48b3-b213-51b1b36f8297', vni: 649 };

const ip = (n: number, base: number) => `10.${base}.${(n >> 8) & 255}.${n & 255}`;
const mac = (n: number) =>
  `fa:16:3e:${((n >> 16) & 255).toString(16).padStart(2, '0')}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;

/**
 * A fleet of `hosts` hypervisors on one VXLAN network: each reports state once, then each of its
 * `ports` ports comes up (an add_fdb_entries fanout, flood entry on the first).
 */
export function fleetMessages(hosts: number, ports: number): BenchMessage[] {
  const w = wire(1);
  const out: BenchMessage[] = [];
  for (let h = 0; h < hosts; h++) out.push(w.report(`compute-${h}.bench`, ip(h + 1, 20)));
  for (let p = 0; p < ports; p++) {
    for (let h = 0; h < hosts; h++) {
      const n = h * ports + p + 1;
      out.push(w.add(LAB3_NETWORK, ip(h + 1, 20), mac(n), ip(n, 172), p === 0));
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
  const w = wire(seed);
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
  const cast = (network: { id: string; vni: number }, h: number, m: string, i: string, flood: boolean) => w.add(network, vtep(h), m, i, flood);
  const messages: BenchMessage[] = [];
  for (let h = 0; h < hosts; h++) messages.push(w.report(hostName(h), vtep(h)));
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

/**
 * Issue 12's restart storm, lazily (1 M deliveries of ~3 KB are never held at once): the fleet of
 * 1,000 hosts x 2,000 networks x 100,000 ports (apps/fleet `generateFleet`, seed 1, half Open
 * vSwitch) comes up (every agent's first report_state, then every port: its host-directed full FDB
 * and fanout add, twice as ML2 sends them), then every agent restarts, host after host and round
 * after round (`agentRestart`: a report_state with start_flag, then per port a full FDB and a
 * fanout add with the flood entry, twice), until `total` deliveries were yielded. Every delivery
 * is one the tap's bindings take; the told state stays the fleet's, whatever `total`.
 */
export function* restartStorm(total: number, hosts = 1000, networks = 2000, ports = 100_000): Generator<FleetMessage, void, undefined> {
  const fleet = generateFleet({ seed: 1, hosts, networks, ports });
  const templates = loadTemplates();
  const sim = new NeutronSimulation(fleet, templates, 1, T0);
  let n = 0;
  for (const m of fleetSchedule(fleet, templates, { seed: 1, startMs: T0, durationS: 0 }, sim)) {
    if (n++ >= total) return;
    yield m;
  }
  for (let round = 1; ; round++)
    for (const h of fleet.hosts)
      for (const m of sim.agentRestart(T0 + round * 60_000 + h.index, h.index)) {
        if (n++ >= total) return;
        yield m;
      }
}
