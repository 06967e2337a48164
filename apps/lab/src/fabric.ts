/**
 * The underlay: a `fabric` namespace with `br-fabric` (multicast snooping off so Lab1's group
 * flooding reaches every host), and one namespace per host joined to it by a veth
 * (`ul-<host>` in the fabric, `ul0` in the host), RECIPE §4.5. Nothing touches the root namespace.
 */
import { ip, linkExists, listNamespaces, nsRun, run } from './exec';
import { FABRIC_NS } from './paths';
import { addNamespace, type HostState, type LabState } from './state';

/** Create a namespace (lo up, IPv6 off before any interface exists: gotcha 6) unless it exists. */
export async function ensureNamespace(s: LabState, ns: string): Promise<void> {
  if (!(await listNamespaces()).includes(ns)) {
    await run('ip', ['netns', 'add', ns]);
  }
  addNamespace(s, ns);
  await ip(ns, ['link', 'set', 'lo', 'up']);
  await nsRun(ns, 'sysctl', ['-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1', 'net.ipv6.conf.all.disable_ipv6=1']);
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
 * Checksum offload is turned off on `ul0` (§9(c): userspace OVS drops VXLAN with partial checksums).
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
