/**
 * The lab's state file (`<LAB_ROOT>/state.json`): every daemon it started (PID + start time),
 * every namespace it created, the hosts with their modes, the network and the VMs.
 * `down` works from this file; a lock file serialises concurrent CLI invocations.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sleep } from './exec';
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

/** A "VM": a namespace on a veth whose host end is the port's tap. */
export interface VmState {
  name: string;
  host: string;
  ns: string;
  portId: string;
  deviceId: string;
  mac: string;
  ip: string;
  tap: string;
  createdAt: number;
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

/** Record that the lab created a namespace (idempotent). */
export function addNamespace(s: LabState, ns: string): void {
  if (!s.namespaces.includes(ns)) s.namespaces.push(ns);
}

/**
 * Run `fn` holding the lab's lock file (exclusive create), so two CLI invocations never edit the
 * state at once. A lock older than `staleMs` whose owner PID is gone is taken over.
 * @throws Error when the lock cannot be taken within `waitMs`
 */
export async function withLock<T>(fn: () => Promise<T>, waitMs = 600_000): Promise<T> {
  mkdirSync(path.dirname(paths.lock), { recursive: true });
  const start = Date.now();
  for (;;) {
    try {
      const fd = openSync(paths.lock, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch {
      if (lockIsStale()) {
        rmSync(paths.lock, { force: true });
        continue;
      }
      if (Date.now() - start > waitMs) throw new Error(`another lab command holds ${paths.lock}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(paths.lock, { force: true });
  }
}

function lockIsStale(): boolean {
  try {
    const pid = Number.parseInt(readFileSync(paths.lock, 'utf8'), 10);
    if (!Number.isFinite(pid)) return Date.now() - statSync(paths.lock).mtimeMs > 5000;
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH' || (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
