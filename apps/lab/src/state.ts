/**
 * The lab's state file (`<LAB_ROOT>/state.json`): every daemon it started (PID + start time),
 * every namespace it created, the hosts with their modes, the network and the VMs.
 * `down` works from this file; a lock on it ({@link withLock}) serialises concurrent lab commands.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { paths } from './paths';
import type { ProcRecord } from './procs';

/** l2pop / ARP responder settings of one agent (`[vxlan] l2_population`, `arp_responder`; OVS `[agent]`). */
export interface HostMode {
  l2pop: boolean;
  arp: boolean;
}

/** A host ("hypervisor") of the lab. */
export interface HostState {
  name: string;
  kind: 'linuxbridge' | 'ovs';
  /** Index used for addresses: Linux bridge hosts 0..N-1 (10.0.20.11+i), OVS hosts 10+k (10.0.20.21+k). */
  index: number;
  /** VTEP / underlay address (`local_ip`). */
  underlayIp: string;
  ns: string;
  mode: HostMode;
}

/** The lab's tenant networks: the VXLAN one (every host) and, with `lab up --gre`, the GRE one (OVS hosts). */
export type LabNetwork = 'vxlan' | 'gre';

/** A "VM": a namespace on a veth whose host end is the port's tap. */
export interface VmState {
  name: string;
  /** Its network; absent: the VXLAN lab network (state files from before GRE). */
  network?: LabNetwork;
  host: string;
  ns: string;
  portId: string;
  deviceId: string;
  mac: string;
  ip: string;
  tap: string;
  createdAt: number;
}

/** The agents' heartbeat and the server's verdict on it, in seconds. */
export interface Heartbeats {
  /** `[agent] report_interval` of every agent. */
  reportInterval: number;
  /** `[DEFAULT] agent_down_time` of neutron-server: an agent whose last heartbeat is older is `alive: false`. */
  agentDownTime: number;
}

/** The whole state file. */
export interface LabState {
  version: 1;
  amqpUrl: string;
  vni: number;
  procs: Record<string, ProcRecord>;
  namespaces: string[];
  hosts: Record<string, HostState>;
  networkId: string | null;
  subnetId: string | null;
  vms: Record<string, VmState>;
  /** Next VM sequence number per host (names `vm-<host>-<n>`; n = 1 gets the host's fixed IP). */
  vmSeq: Record<string, number>;
  dbCreated: boolean;
  /** `lab up --gre`: OVS hosts run `tunnel_types = vxlan,gre`, and the GRE network exists (docs/lab.md#gre). */
  gre?: { networkId: string | null; subnetId: string | null };
  /**
   * `lab up --dvr` (docs/lab.md#dvr): the server has the router plugin and distributed routers, every
   * OVS host runs `enable_distributed_routing` and a neutron-l3-agent in its own mount namespace,
   * and the router `l2lab-dvr` joins the VXLAN and GRE subnets.
   */
  dvr?: { routerId: string | null };
  /**
   * `lab up --report-interval S --agent-down-time S` (docs/lab.md#heartbeats): the agents'
   * `[agent] report_interval` and the server's `agent_down_time` in seconds; absent: the lab's
   * defaults (30, Neutron's 75). Fixed for the lab's life: both are read only at process start.
   */
  heartbeats?: Heartbeats;
  /**
   * `lab up --hybrid` (docs/lab.md#hybrid): OVS hosts run `firewall_driver = iptables_hybrid`, and
   * their VMs are plugged as os-vif's hybrid plug does: tap -> `qbr<port[:11]>` -> `qvb`/`qvo` veth -> br-int.
   */
  hybrid?: boolean;
  /** Hosts whose next `neutron-agent start` starts an agent that cannot come back (a test hook, consumed once). */
  failNextStart?: string[];
}

/** A fresh, empty state. */
export function emptyState(amqpUrl: string, vni: number): LabState {
  return { version: 1, amqpUrl, vni, procs: {}, namespaces: [], hosts: {}, networkId: null, subnetId: null, vms: {}, vmSeq: {}, dbCreated: false };
}

/** Read the state file, or null when there is none. */
export function loadState(): LabState | null {
  if (!existsSync(paths.state)) return null;
  return JSON.parse(readFileSync(paths.state, 'utf8')) as LabState;
}

/** Write the state file atomically. */
export function saveState(s: LabState): void {
  mkdirSync(path.dirname(paths.state), { recursive: true });
  const tmp = `${paths.state}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n');
  renameSync(tmp, paths.state);
}

/** Remove the state file. */
export function clearState(): void {
  rmSync(paths.state, { force: true });
}

/**
 * The host named `name`.
 * @throws Error naming the lab's hosts when there is no such host
 */
export function hostOf(s: LabState, name: string): HostState {
  const h = s.hosts[name];
  if (!h) throw new Error(`no host "${name}" (hosts: ${Object.keys(s.hosts).join(', ')})`);
  return h;
}

/** Record that the lab created a namespace (idempotent). */
export function addNamespace(s: LabState, ns: string): void {
  if (!s.namespaces.includes(ns)) s.namespaces.push(ns);
}

/** A lock not refreshed for this long (its holder died) is taken over (ms). */
export const LOCK_STALE_MS = 30_000;

/**
 * Run `fn` holding the lab's lock on the state file (`proper-lockfile`: an atomic `mkdir` of
 * `state.json.lock`, its mtime refreshed while held), so two lab commands never edit the state at
 * once: the CLI verbs, and `neutron-agent` run by l2scope's node agents of several hosts at the
 * same time. A lock whose holder died is taken over after {@link LOCK_STALE_MS}.
 * @param waitMs how long to wait for the lock (polled every 200 ms)
 * @throws Error `another lab command holds <lock>` when the lock cannot be taken within `waitMs`
 */
export async function withLock<T>(fn: () => Promise<T>, waitMs = 600_000): Promise<T> {
  mkdirSync(path.dirname(paths.state), { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(paths.state, {
      realpath: false, // the state file may not exist yet (before the first `up`)
      lockfilePath: paths.lock,
      stale: LOCK_STALE_MS,
      update: LOCK_STALE_MS / 6,
      retries: { retries: Math.max(0, Math.ceil(waitMs / 200)), factor: 1, minTimeout: 200, maxTimeout: 200 },
      // a compromised lock (mtime not refreshed in time on a starved machine) must not crash a
      // verb halfway: that would lose the PIDs it started. Say so and carry on.
      onCompromised: (e) => console.error(`warning: the lab lock ${paths.lock} was compromised: ${e.message}`),
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED') throw new Error(`another lab command holds ${paths.lock}`, { cause: e });
    throw e;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}

/**
 * Run `fn` on the state under the lock, saving the state afterwards (also when `fn` throws), so
 * no PID it recorded is ever lost.
 * @throws Error when no lab is up (no state file), or what `fn` throws
 */
export async function withState<T>(fn: (s: LabState) => Promise<T>, waitMs?: number): Promise<T> {
  return withLock(async () => {
    const s = loadState();
    if (!s) throw new Error('no lab is up: run "npm run lab -- up" first');
    try {
      return await fn(s);
    } finally {
      saveState(s);
    }
  }, waitMs);
}
