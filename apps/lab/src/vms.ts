/**
 * The lab's tenant network, its ports and the "VMs" (docs/lab.md#network-and-vms). A VM is a namespace whose
 * `eth0` is a veth; the host end is the port's tap, plugged the way nova/os-vif would:
 * Linux bridge: into `brq<net[:11]>` (created if missing, docs/lab.md#gotcha-3); OVS: into `br-int`
 * with `external_ids:iface-id=<port>`, or with `lab up --hybrid` through os-vif's hybrid plug:
 * tap -> `qbr<port[:11]>` -> veth `qvb<port[:11]>` / `qvo<port[:11]>` -> br-int (docs/lab.md#hybrid).
 */
import { randomUUID } from 'node:crypto';
import { hybridNames, linuxBridgeNames } from '@l2scope/domain';
import { findNetworks, getPort, listPorts, neutron, type NeutronNetwork, type NeutronPort } from './api';
import { firstVmIp } from './config';
import { ip, linkExists, listNamespaces, nsRun, run, waitFor } from './exec';
import { ensureNamespace } from './fabric';
import { GRE_NETWORK, NETWORK, vmNs } from './paths';
import { ovsVsctl } from './ovs';
import type { HostState, LabNetwork, LabState, VmState } from './state';

/**
 * Find or create the lab network (VXLAN, segmentation id = the lab's VNI, no port security)
 * and its IPv4 subnet without DHCP.
 * @throws Error when a network of that name exists with another VNI
 */
export async function ensureNetwork(s: LabState): Promise<NeutronNetwork> {
  let net = (await findNetworks(NETWORK.name))[0];
  if (!net) {
    net = (
      await neutron<{ network: NeutronNetwork }>('POST', '/v2.0/networks', {
        network: { name: NETWORK.name, 'provider:network_type': 'vxlan', 'provider:segmentation_id': s.vni, port_security_enabled: false },
      })
    ).network;
  } else if (net['provider:segmentation_id'] !== s.vni) {
    throw new Error(`network ${NETWORK.name} exists with VNI ${net['provider:segmentation_id']}, not ${s.vni}: run "lab down" first`);
  }
  if (net.subnets.length === 0) {
    const sub = await neutron<{ subnet: { id: string } }>('POST', '/v2.0/subnets', {
      subnet: { name: NETWORK.subnetName, network_id: net.id, ip_version: 4, cidr: NETWORK.cidr, enable_dhcp: false },
    });
    net.subnets = [sub.subnet.id];
  }
  s.networkId = net.id;
  s.subnetId = net.subnets[0] ?? null;
  return net;
}

/**
 * Find or create the GRE network of `lab up --gre` ({@link GRE_NETWORK}: `provider:network_type gre`,
 * segmentation id = the lab's VNI, no port security) and its IPv4 subnet without DHCP; records it in `s.gre`.
 * @throws Error when a network of that name exists with another key
 */
export async function ensureGreNetwork(s: LabState): Promise<NeutronNetwork> {
  let net = (await findNetworks(GRE_NETWORK.name))[0];
  if (!net) {
    net = (
      await neutron<{ network: NeutronNetwork }>('POST', '/v2.0/networks', {
        network: { name: GRE_NETWORK.name, 'provider:network_type': 'gre', 'provider:segmentation_id': s.vni, port_security_enabled: false },
      })
    ).network;
  } else if (net['provider:segmentation_id'] !== s.vni) {
    throw new Error(`network ${GRE_NETWORK.name} exists with GRE key ${net['provider:segmentation_id']}, not ${s.vni}: run "lab down" first`);
  }
  if (net.subnets.length === 0) {
    const sub = await neutron<{ subnet: { id: string } }>('POST', '/v2.0/subnets', {
      subnet: { name: GRE_NETWORK.subnetName, network_id: net.id, ip_version: 4, cidr: GRE_NETWORK.cidr, enable_dhcp: false },
    });
    net.subnets = [sub.subnet.id];
  }
  s.gre = { networkId: net.id, subnetId: net.subnets[0] ?? null };
  return net;
}

/** The network and subnet ids of one of the lab's networks (null when not made yet). */
export function labNetworkIds(s: LabState, network: LabNetwork): { networkId: string | null; subnetId: string | null } {
  return network === 'gre' ? (s.gre ?? { networkId: null, subnetId: null }) : { networkId: s.networkId, subnetId: s.subnetId };
}

/** VMs of a host, oldest first. */
export function vmsOf(s: LabState, host: string): VmState[] {
  return Object.values(s.vms)
    .filter((v) => v.host === host)
    .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
}

/** Pick the fixed IP for a new VM on `h`: the host's own 172.16.1.X (GRE: 172.16.2.X) when no port holds it, else null (Neutron allocates). */
export function pickVmIp(h: HostState, usedIps: Set<string>, network: LabNetwork = 'vxlan'): string | null {
  const want = firstVmIp(h.underlayIp, network);
  return usedIps.has(want) ? null : want;
}

/**
 * Create a port bound to `h` (device_owner compute:nova) and the VM namespace plugged to it.
 * @param waitActive wait until the API shows the port ACTIVE (1.7-3.3 s with polling_interval 2)
 * @param network the VXLAN lab network, or the GRE one (`lab up --gre`; OVS hosts only)
 * @throws Error when the network does not exist, or a GRE VM is asked of a Linux bridge host
 */
export async function addVm(s: LabState, h: HostState, waitActive = true, network: LabNetwork = 'vxlan'): Promise<VmState> {
  const { networkId, subnetId } = labNetworkIds(s, network);
  if (!networkId || !subnetId) throw new Error(`the lab's ${network} network does not exist: run "lab up${network === 'gre' ? ' --gre' : ''}" first`);
  if (network === 'gre' && h.kind !== 'ovs') throw new Error(`${h.name} runs the Linux bridge agent, which has no GRE: GRE VMs go on OVS hosts`);
  const seq = s.vmSeq[h.name] ?? 1;
  s.vmSeq[h.name] = seq + 1;
  const name = `vm-${h.name}-${seq}`;
  const used = new Set((await listPorts(networkId)).flatMap((p) => p.fixed_ips.map((f) => f.ip_address)));
  const fixed = pickVmIp(h, used, network);
  const deviceId = randomUUID();
  const port = (
    await neutron<{ port: NeutronPort }>('POST', '/v2.0/ports', {
      port: {
        name,
        network_id: networkId,
        'binding:host_id': h.name,
        device_owner: 'compute:nova',
        device_id: deviceId,
        fixed_ips: fixed ? [{ subnet_id: subnetId, ip_address: fixed }] : [{ subnet_id: subnetId }],
      },
    })
  ).port;
  const vm: VmState = {
    name,
    ...(network === 'gre' ? { network } : {}),
    host: h.name,
    ns: vmNs(name),
    portId: port.id,
    deviceId,
    mac: port.mac_address,
    ip: port.fixed_ips[0]!.ip_address,
    tap: linuxBridgeNames.tap(port.id),
    createdAt: Date.now(),
  };
  s.vms[name] = vm;
  await plugVm(s, h, vm);
  if (waitActive) await waitPortActive(port.id);
  return vm;
}

/** Create the VM namespace and plug its veth into the host (idempotent). */
export async function plugVm(s: LabState, h: HostState, vm: VmState): Promise<void> {
  await ensureNamespace(s, vm.ns);
  if (!(await linkExists(h.ns, vm.tap))) {
    await ip(h.ns, ['link', 'add', vm.tap, 'mtu', String(NETWORK.mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm.ns, 'mtu', String(NETWORK.mtu)]);
  }
  await ip(vm.ns, ['link', 'set', 'eth0', 'address', vm.mac]);
  await setVmAddress(vm, vm.ip);
  await ip(vm.ns, ['link', 'set', 'eth0', 'up']);
  if (h.kind === 'ovs') {
    // hybrid: br-int's port is the qvo end of the veth whose qvb end is on the VM's qbr
    const brIntPort = s.hybrid ? await plugHybrid(h, vm) : vm.tap;
    await ovsVsctl(h, [
      '--may-exist',
      'add-port',
      'br-int',
      brIntPort,
      '--',
      'set',
      'Interface',
      brIntPort,
      `external_ids:iface-id=${vm.portId}`,
      'external_ids:iface-status=active',
      `external_ids:attached-mac=${vm.mac}`,
      `external_ids:vm-uuid=${vm.deviceId}`,
    ]);
    if (!s.hybrid) await ip(h.ns, ['link', 'set', vm.tap, 'up']);
  } else {
    const br = linuxBridgeNames.bridge(s.networkId!);
    // multicast snooping off from creation: the bridge never joins 224.0.0.106 / ff02::6a, so it has
    // no IGMP / MLD report of its own to flood into the tunnel (see NAMESPACE_SYSCTLS). Never turned
    // off on a live bridge: leaving the group sends one more report.
    if (!(await linkExists(h.ns, br))) await ip(h.ns, ['link', 'add', br, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0', 'mcast_snooping', '0']);
    await ip(h.ns, ['link', 'set', br, 'up']);
    await ip(h.ns, ['link', 'set', vm.tap, 'master', br, 'up']);
  }
}

/**
 * The host side of os-vif's hybrid plug (vif_plug_ovs `_plug_bridge`, linux_net `ensure_bridge`,
 * `create_veth_pair`), idempotent: the Linux bridge `qbr<port[:11]>` (MAC ageing 0 as os-vif makes
 * it; STP off, forward delay 0, and multicast snooping off from creation like the lab's brq, so the
 * bridge sends no IGMP report of its own into the tunnels, docs/lab.md#fabric), the veth pair
 * `qvb<port[:11]>` / `qvo<port[:11]>` (up, promiscuous, the VM's MTU), qvb and the VM's tap enslaved
 * to qbr. IPv6 is off namespace-wide already (docs/lab.md#gotcha-6).
 * @returns the qvo name, the port to add to br-int
 */
async function plugHybrid(h: HostState, vm: VmState): Promise<string> {
  const qbr = hybridNames.bridge(vm.portId);
  const qvb = hybridNames.qvb(vm.portId);
  const qvo = hybridNames.qvo(vm.portId);
  const mtu = String((vm.network === 'gre' ? GRE_NETWORK : NETWORK).mtu);
  if (!(await linkExists(h.ns, qbr)))
    await ip(h.ns, ['link', 'add', qbr, 'type', 'bridge', 'ageing_time', '0', 'forward_delay', '0', 'stp_state', '0', 'mcast_snooping', '0']);
  await ip(h.ns, ['link', 'set', qbr, 'up']);
  if (!(await linkExists(h.ns, qvo))) await ip(h.ns, ['link', 'add', qvb, 'mtu', mtu, 'type', 'veth', 'peer', 'name', qvo, 'mtu', mtu]);
  for (const dev of [qvb, qvo]) await ip(h.ns, ['link', 'set', dev, 'promisc', 'on', 'up']);
  await ip(h.ns, ['link', 'set', qvb, 'master', qbr]);
  await ip(h.ns, ['link', 'set', vm.tap, 'master', qbr, 'up']);
  return qvo;
}

/** Replace eth0's IPv4 address of a VM. */
export async function setVmAddress(vm: VmState, addr: string): Promise<void> {
  await ip(vm.ns, ['addr', 'flush', 'dev', 'eth0']);
  await ip(vm.ns, ['addr', 'add', `${addr}/${(vm.network === 'gre' ? GRE_NETWORK : NETWORK).prefix}`, 'dev', 'eth0']);
}

/** Wait until a port is ACTIVE in the API. @throws Error after `timeoutMs` */
export async function waitPortActive(portId: string, timeoutMs = 60_000): Promise<NeutronPort> {
  return waitFor(
    `port ${portId} ACTIVE`,
    async () => {
      const p = await getPort(portId);
      return p?.status === 'ACTIVE' ? p : undefined;
    },
    timeoutMs,
    250,
  );
}

/**
 * Unplug and delete a VM: OVS port (the tap, or with the hybrid plug the qvo), namespace (its veth
 * pair goes with it), the hybrid plug's qbr and qvb / qvo veth when present (os-vif `_unplug_bridge`),
 * then the Neutron port.
 */
export async function deleteVm(s: LabState, vm: VmState, hosts: Record<string, HostState>): Promise<void> {
  const h = hosts[vm.host];
  const qvo = hybridNames.qvo(vm.portId);
  if (h?.kind === 'ovs')
    await ovsVsctl(h, ['--if-exists', 'del-port', 'br-int', vm.tap, '--', '--if-exists', 'del-port', 'br-int', qvo]).catch(() => undefined);
  if ((await listNamespaces()).includes(vm.ns)) await run('ip', ['netns', 'del', vm.ns]);
  // an OVS host's hybrid plug: deleting qvb deletes its peer qvo
  const devs = h?.kind === 'ovs' ? [vm.tap, hybridNames.bridge(vm.portId), hybridNames.qvb(vm.portId)] : [vm.tap];
  if (h) for (const dev of devs) if (await linkExists(h.ns, dev)) await ip(h.ns, ['link', 'del', dev], { allowFail: true });
  s.namespaces = s.namespaces.filter((n) => n !== vm.ns);
  if ((await getPort(vm.portId)) !== null) await neutron('DELETE', `/v2.0/ports/${vm.portId}`);
  delete s.vms[vm.name];
}

/**
 * Change a VM's fixed IP: PUT the port (the server casts `update_fdb_entries` chg_ip), then
 * readdress eth0 inside the VM.
 */
export async function changeVmIp(s: LabState, vm: VmState, newIp: string): Promise<void> {
  const { subnetId } = labNetworkIds(s, vm.network ?? 'vxlan');
  await neutron('PUT', `/v2.0/ports/${vm.portId}`, { port: { fixed_ips: [{ subnet_id: subnetId, ip_address: newIp }] } });
  await setVmAddress(vm, newIp);
  vm.ip = newIp;
}

/** Flush a VM's neighbour (ARP) cache. */
export async function flushVmArp(vm: VmState): Promise<void> {
  await nsRun(vm.ns, 'ip', ['neigh', 'flush', 'all'], { allowFail: true });
}
