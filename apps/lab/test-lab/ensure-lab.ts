/**
 * One lab for the whole lab suite: each test file asks for the lab shape it needs, a running lab of
 * exactly that shape is reused (reset as a cold `up` would leave it), any other is replaced. The
 * suite's global setup (`global-setup.ts`) takes the lab down at the end if it brought it up, and
 * `vitest.lab.config.ts` orders the files so that those of one shape run one after another: a cold
 * `up` + `down` costs 40 to 50 s, a reset 10 to 25 s (docs/lab.md#timings).
 */
import { isDeepStrictEqual } from 'node:util';
import { agentKey } from '../src/agents';
import { isRunning } from '../src/procs';
import { type Heartbeats, type HostMode, type LabState, loadState } from '../src/state';
import { lab } from './helpers';

/** The lab a test file needs: `lab up`'s flags (docs/lab.md). */
export interface LabShape {
  /** Linux bridge hosts (`--hosts`: controller, compute1, compute2, ...). */
  hosts: number;
  /** OVS hosts (`--ovs-hosts`: ovs1, ovs2, ...); default 0. */
  ovsHosts?: number;
  /** `--gre`: the GRE network on the OVS hosts. */
  gre?: boolean;
  /** `--hybrid`: the OVS hosts' iptables_hybrid firewall and os-vif's hybrid plugging. */
  hybrid?: boolean;
  /** `--dvr`: distributed routers. */
  dvr?: boolean;
  /** `--report-interval` / `--agent-down-time`; absent: the lab's defaults (30 s, 75 s). */
  heartbeats?: Heartbeats;
  /** Every host's l2pop / ARP responder mode after the call. */
  mode: HostMode;
}

/** What {@link ensureLab} did. */
export interface EnsuredLab {
  /** A running lab of the shape was reused (false: it was brought up cold). */
  reused: boolean;
}

const onOff = (b: boolean) => (b ? 'on' : 'off');

/** Whether `s` is a running lab of exactly `shape` (host kinds and counts, GRE, hybrid, DVR, heartbeats), every agent alive. */
export function labHasShape(s: LabState | null, shape: LabShape): s is LabState {
  if (s === null || !isRunning(s.procs.server)) return false;
  const hosts = Object.values(s.hosts);
  const lb = hosts.filter((h) => h.kind === 'linuxbridge').length;
  const ovs = hosts.filter((h) => h.kind === 'ovs').length;
  return (
    lb === shape.hosts &&
    ovs === (shape.ovsHosts ?? 0) &&
    (s.gre !== undefined) === (shape.gre === true) &&
    (s.hybrid === true) === (shape.hybrid === true) &&
    (s.dvr !== undefined) === (shape.dvr === true) &&
    isDeepStrictEqual(s.heartbeats ?? null, shape.heartbeats ?? null) &&
    (s.failNextStart ?? []).length === 0 &&
    hosts.every((h) => isRunning(s.procs[agentKey(h.name)]))
  );
}

/**
 * A lab of `shape`, with no VM, no l2scope node agent running, and every Neutron agent freshly
 * (re)started in `shape.mode` with an empty network_map, so that every port's casts come after the
 * test's worker starts.
 * - Reused: every VM deleted, the node agents stopped, then a clean `mode all` (each agent stopped,
 *   `vxlan-<VNI>` deleted on Linux bridge hosts, ini edited, started, new `started_at` awaited).
 * - Otherwise: `lab down`, then `lab up <shape> --no-vms` (its step lines are printed).
 * @throws Error with `lab`'s output when a lab command fails
 */
export async function ensureLab(shape: LabShape): Promise<EnsuredLab> {
  const s = loadState();
  if (labHasShape(s, shape)) {
    if (Object.keys(s.procs).some((k) => k.startsWith('l2scope:agent:'))) await lab('agents', 'stop');
    for (const h of new Set(Object.values(s.vms).map((v) => v.host))) await lab('vm', 'del', '--host', h, '--all');
    await lab('mode', 'all', '--l2pop', onOff(shape.mode.l2pop), '--arp-responder', onOff(shape.mode.arp));
    return { reused: true };
  }
  await lab('down');
  const args = ['up', '--hosts', String(shape.hosts), '--l2pop', onOff(shape.mode.l2pop), '--arp-responder', onOff(shape.mode.arp), '--no-vms'];
  if (shape.ovsHosts) args.push('--ovs-hosts', String(shape.ovsHosts));
  if (shape.gre) args.push('--gre');
  if (shape.hybrid) args.push('--hybrid');
  if (shape.dvr) args.push('--dvr');
  if (shape.heartbeats) args.push('--report-interval', String(shape.heartbeats.reportInterval), '--agent-down-time', String(shape.heartbeats.agentDownTime));
  const out = await lab(...args);
  console.log(`lab ${args.join(' ')}\n${out.trimEnd()}`);
  return { reused: false };
}
