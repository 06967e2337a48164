/**
 * The underlay: a `fabric` namespace with `br-fabric` (multicast snooping off so Lab1's group
 * flooding reaches every host), and one namespace per host joined to it by a veth
 * (`ul-<host>` in the fabric, `ul0` in the host), docs/lab.md#fabric. Nothing touches the root namespace.
 */
import { ip, linkExists, listNamespaces, nsRun, run } from './exec';
import { FABRIC_NS } from './paths';
import { addNamespace, type HostState, type LabState } from './state';

/**
 * Sysctls of every lab namespace, set before any interface exists so that no host-side device
 * sends a frame of its own into a tenant network:
 * - IPv6 off (docs/lab.md#gotcha-6: ND and MLD as soon as a link comes up);
 * - no IGMP reports for link-local groups (224.0.0.x). A Linux bridge with multicast snooping on
 *   (the kernel default, also on a `brq<net>` the agent's `ensure_bridge()` creates) joins
 *   224.0.0.106 (all-snoopers, RFC 4286) when it comes up and sends an unsolicited IGMPv3 report
 *   for it from its own locally administered MAC (source 0.0.0.0, to 224.0.0.22), at once and
 *   again up to 1 s later. `brq<net>` floods it to `vxlan-<VNI>`: when the host's flood entries are
 *   already there, it crosses the tunnel and every receiving host learns the bridge's MAC
 *   (test:lab saw `66:d9:dc:5c:9f:8b` learned on compute1 from 10.0.20.13). Nothing in the lab
 *   needs these reports: br-fabric floods multicast (snooping off), and Lab1's group 224.0.0.1
 *   (all-hosts) is never reported anyway. The setting is per namespace (not inherited).
 */
export const NAMESPACE_SYSCTLS = [
  'net.ipv6.conf.default.disable_ipv6=1',
  'net.ipv6.conf.all.disable_ipv6=1',
  'net.ipv4.igmp_link_local_mcast_reports=0',
] as const;

/**
 * Create a namespace unless it exists: lo up, and {@link NAMESPACE_SYSCTLS} (also re-applied to an
 * existing one, so a running lab converges).
 * @throws Error when `ip netns add` or `sysctl` fails
 */
export async function ensureNamespace(s: LabState, ns: string): Promise<void> {
  if (!(await listNamespaces()).includes(ns)) {
    await run('ip', ['netns', 'add', ns]);
  }
  addNamespace(s, ns);
  await ip(ns, ['link', 'set', 'lo', 'up']);
  await nsRun(ns, 'sysctl', ['-q', '-w', ...NAMESPACE_SYSCTLS]);
}

/** The fabric namespace and its bridge. */
export async function ensureFabric(s: LabState): Promise<void> {
  await ensureNamespace(s, FABRIC_NS);
  if (!(await linkExists(FABRIC_NS, 'br-fabric'))) {
    await ip(FABRIC_NS, ['link', 'add', 'br-fabric', 'type', 'bridge']);
  }
  await ip(FABRIC_NS, ['link', 'set', 'br-fabric', 'type', 'bridge', 'mcast_snooping', '0', 'stp_state', '0']);
  await ip(FABRIC_NS, ['link', 'set', 'br-fabric', 'up']);
}

/** Fabric-side name of a host's underlay veth (at most 15 characters). */
export function fabricPortName(host: string): string {
  return `ul-${host}`.slice(0, 15);
}

/**
 * A host namespace plugged into the fabric with its underlay address on `ul0`
 * (for OVS hosts the address goes on `br-phy` instead, see ovs.ts, so `withAddress` is false).
 * Checksum offload is turned off on `ul0` (docs/lab.md#ovs-tx-checksum: userspace OVS drops VXLAN with partial checksums).
 */
export async function ensureHost(s: LabState, h: HostState, withAddress = true): Promise<void> {
  await ensureNamespace(s, h.ns);
  const fp = fabricPortName(h.name);
  if (!(await linkExists(h.ns, 'ul0'))) {
    if (await linkExists(FABRIC_NS, fp)) await ip(FABRIC_NS, ['link', 'del', fp]);
    await ip(FABRIC_NS, ['link', 'add', fp, 'type', 'veth', 'peer', 'name', 'ul0', 'netns', h.ns]);
  }
  await ip(FABRIC_NS, ['link', 'set', fp, 'master', 'br-fabric', 'up']);
  if (withAddress) {
    const addrs = await ip(h.ns, ['-j', 'addr', 'show', 'dev', 'ul0']);
    const has = (JSON.parse(addrs.stdout) as { addr_info?: { local: string }[] }[]).some((l) => l.addr_info?.some((a) => a.local === h.underlayIp));
    if (!has) await ip(h.ns, ['addr', 'add', `${h.underlayIp}/24`, 'dev', 'ul0']);
  }
  await ip(h.ns, ['link', 'set', 'ul0', 'up']);
  await nsRun(h.ns, 'ethtool', ['-K', 'ul0', 'tx', 'off'], { allowFail: true });
}
