/**
 * The fleet: a seeded, deterministic cloud of hypervisors (hosts with a VTEP and an L2 agent),
 * VXLAN networks (VNIs) and ports bound to hosts. Pure: no I/O, the same options give the same
 * fleet on every run.
 */
import { Rng } from './random';
import type { AgentKind } from './wire';

/** What to generate. */
export interface FleetOptions {
  /** PRNG seed (any 32-bit integer). */
  seed: number;
  /** Hypervisors, 1..65,535. */
  hosts: number;
  /** VXLAN networks, 1..1,000,000. */
  networks: number;
  /** VM ports bound at the start, 0..4,000,000 (each network gets one before any gets a second). */
  ports: number;
  /** Share of hosts running neutron-openvswitch-agent, the rest neutron-linuxbridge-agent (0..1; default 0.5). */
  ovsShare?: number;
  /** Host names are `<prefix><index>` (default `compute-`). */
  hostPrefix?: string;
  /** VNI of network 0 (default 1000); network n has `vniBase + n`. */
  vniBase?: number;
  /** Host i's VTEP is `vtepOf(vtepBase + i + 1)` (default 0): two fleets on one worker need apart VTEPs. */
  vtepBase?: number;
}

/** One hypervisor. */
export interface FleetHost {
  index: number;
  /** Neutron host name (`report_state`'s `host`, the routing key suffix of host-directed casts). */
  name: string;
  /** VTEP IP (`configurations.tunneling_ip`): `10.(20+n/65536).x.y` for n = vtepBase + index + 1. */
  vtep: string;
  agent: AgentKind;
}

/** One VXLAN network. */
export interface FleetNetwork {
  index: number;
  /** Neutron network id (a UUID from the seed). */
  id: string;
  /** `segment_id` (the VNI), `vniBase + index`. */
  vni: number;
}

/** One VM port: one MAC and one fixed IP (one `[mac, ip]` PortInfo on the wire). */
export interface FleetPort {
  index: number;
  /** Index into `Fleet.networks`. */
  network: number;
  /** Index into `Fleet.hosts`. */
  host: number;
  mac: string;
  ip: string;
}

/** A generated fleet: its options, hosts, networks and the ports bound at the start. */
export interface Fleet {
  options: Required<FleetOptions>;
  hosts: FleetHost[];
  networks: FleetNetwork[];
  ports: FleetPort[];
}

/** `10.(20 + n/65536).(n/256 % 256).(n % 256)`: host n's VTEP (n from 1). */
export const vtepOf = (n: number) => `10.${20 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
/** `fa:16:3e:..` (Neutron's default base MAC) with the 24-bit `n`. */
export const macOf = (n: number) => `fa:16:3e:${[(n >> 16) & 255, (n >> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
/** A port's fixed IP from its number n (from 1): `172.(16 + n/65536).x.y`, unique up to 4M ports. */
export const portIpOf = (n: number) => `172.${16 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;

/** The most ports a fleet can number (MAC and fixed IP stay unique below this). */
export const MAX_PORTS = 4_000_000;

function check(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer in ${min}..${max}, got ${v}`);
}

/**
 * Generate a fleet. Hosts alternate agent kinds by a seeded draw (`ovsShare`); ports go to
 * networks round-robin first (every network has a port once `ports >= networks`), then to seeded
 * random networks, each on a seeded random host.
 * @throws Error when a count is out of its range
 */
export function generateFleet(opts: FleetOptions): Fleet {
  const o: Required<FleetOptions> = { ovsShare: 0.5, hostPrefix: 'compute-', vniBase: 1000, vtepBase: 0, ...opts };
  check('hosts', o.hosts, 1, 65_535);
  check('networks', o.networks, 1, 1_000_000);
  check('ports', o.ports, 0, MAX_PORTS);
  check('vniBase + networks', o.vniBase + o.networks - 1, 1, 16_777_215);
  check('vtepBase + hosts', o.vtepBase + o.hosts, 1, 16 * 65_536 - 1);
  if (!(o.ovsShare >= 0 && o.ovsShare <= 1)) throw new Error(`ovsShare must be in 0..1, got ${o.ovsShare}`);
  const rng = new Rng(o.seed);
  const hosts: FleetHost[] = [];
  for (let h = 0; h < o.hosts; h++)
    hosts.push({ index: h, name: `${o.hostPrefix}${h}`, vtep: vtepOf(o.vtepBase + h + 1), agent: rng.next() < o.ovsShare ? 'openvswitch' : 'linuxbridge' });
  const networks: FleetNetwork[] = [];
  for (let n = 0; n < o.networks; n++) networks.push({ index: n, id: rng.uuid(), vni: o.vniBase + n });
  const ports: FleetPort[] = [];
  for (let p = 0; p < o.ports; p++) {
    const network = p < o.networks ? p : rng.int(o.networks);
    ports.push({ index: p, network, host: rng.int(o.hosts), mac: macOf(p + 1), ip: portIpOf(p + 1) });
  }
  return { options: o, hosts, networks, ports };
}
