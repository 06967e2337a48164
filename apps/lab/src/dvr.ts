/**
 * The DVR lab's pure parts (docs/lab.md#dvr): the L3 agent's ini, where each DVR host's private
 * mount namespace lives, and the argv that runs a program inside it. No I/O.
 *
 * Why a mount namespace per host: every DVR host creates the same `qrouter-<router id>` network
 * namespace, and `ip netns` names live in `/run/netns`, one directory per mount namespace. So each
 * DVR host gets its own mount namespace (persisted on a file, `unshare --mount=<file>`) in which
 * `/run/netns` is a per-host directory holding only the host's own namespace `l2lab-<host>` and
 * what its L3 agent creates. The L3 agent and the host's l2scope node agent both run inside it, so
 * the node agent reads the host's own `qrouter-*`.
 */
import path from 'node:path';
import { renderIni } from './config';
import { LAB_ROOT, LAB_RUN, POLLING_INTERVAL } from './paths';
import type { HostMode, HostState } from './state';

/** `agent_mode` of a DVR lab host's L3 agent (neutron/conf/agent/l3/config.py). */
export type L3AgentMode = 'dvr' | 'dvr_snat';

/** The DVR lab's second tenant network, routed to the lab's VXLAN network by the distributed router. */
export const DVR_ROUTER_NAME = 'l2lab-dvr';

/**
 * The L3 agent mode of OVS host `k` (0-based): `ovs1` is `dvr_snat` (it would hold the router's
 * SNAT part), every other OVS host `dvr`.
 */
export function l3AgentMode(k: number): L3AgentMode {
  return k === 0 ? 'dvr_snat' : 'dvr';
}

/**
 * `l3_agent.ini` of a DVR host. `ovs_use_veth = True`: the qr- device is a veth whose bridge end
 * is an OVS system port, as the lab's VM taps are; an OVS internal port is a tap of the
 * userspace datapath, which cannot follow its device into another namespace (docs/lab.md#dvr).
 * No metadata proxy (no Nova), no IPv6 RA daemon needed.
 */
export function renderL3AgentIni(mode: L3AgentMode): string {
  return renderIni({
    DEFAULT: {
      interface_driver: 'openvswitch',
      ovs_use_veth: true,
      agent_mode: mode,
      enable_metadata_proxy: false,
      periodic_interval: POLLING_INTERVAL,
    },
    ovs: { ovsdb_connection: 'tcp:127.0.0.1:6640', integration_bridge: 'br-int' },
  });
}

/** Files of a DVR host's private mount namespace. */
export function dvrMountPaths(host: string): { mntDir: string; mntFile: string; netnsDir: string } {
  const mntDir = path.join(LAB_RUN, 'mnt');
  return { mntDir, mntFile: path.join(mntDir, host), netnsDir: path.join(LAB_ROOT, 'netns', host) };
}

/**
 * argv that runs `argv` in a host's network namespace: `ip netns exec l2lab-<host>` for a plain
 * host; for a DVR host `nsenter --mount=<its mount ns> --net=/run/netns/l2lab-<host>`, resolved
 * from the caller's mount namespace. `ip netns exec` is not used there: inside the private mount
 * namespace it would unshare yet another one, and namespaces its child creates would stay
 * invisible to the node agent. The private mount namespace carries its own sysfs of the host's
 * network namespace instead (`ensureDvrMountNs`).
 * @param cwd working directory inside: entering a mount namespace moves the process to its root
 *   (setns(2)), so nsenter is told to go back there (`--wd`); `ip netns exec` keeps it anyway
 */
export function hostExecArgv(h: Pick<HostState, 'name' | 'ns'>, dvr: boolean, argv: string[], cwd?: string): string[] {
  if (!dvr) return ['ip', 'netns', 'exec', h.ns, ...argv];
  return ['nsenter', `--mount=${dvrMountPaths(h.name).mntFile}`, `--net=/run/netns/${h.ns}`, ...(cwd ? [`--wd=${cwd}`] : []), '--', ...argv];
}

/**
 * The mode of an OVS host on a DVR lab: l2pop and the ARP responder on, whatever was asked.
 * The OVS agent turns `arp_responder` on itself when DVR runs over tunnels, and reports it
 * (`ovs_dvr_neutron_agent.py`; docs/dvr.md#findings `dvr_arp_responder_forced`), and it exits
 * with l2pop off (`dvr_l2pop_off`).
 * @throws Error when l2pop off is asked for
 */
export function dvrHostMode(asked: HostMode): HostMode {
  if (!asked.l2pop) throw new Error('a DVR host needs l2_population on (the OVS agent refuses DVR over tunnels without it)');
  return { l2pop: true, arp: true };
}

/** True when the lab state says the host runs DVR (an OVS host of a `lab up --dvr` lab). */
export function isDvrHost(s: { dvr?: unknown }, h: Pick<HostState, 'kind'>): boolean {
  return s.dvr !== undefined && h.kind === 'ovs';
}
