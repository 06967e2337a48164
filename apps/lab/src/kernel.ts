/**
 * What a Linux bridge host's kernel holds on `vxlan-<VNI>` (FDB, neighbours, the device's own
 * settings), and what it should hold for the host's mode given the ports neutron-server knows
 * (docs/lab.md#labs; the expectation mirrors mech_driver.py `_create_agent_fdb` and the Linux bridge
 * agent's `add_fdb_entries`; the device's settings mirror linuxbridge_neutron_agent.py `ensure_vxlan`,
 * stable/zed: `dev` = the interface holding local_ip, `dstport` = udp_dstport or the kernel default,
 * `group` only without l2pop, `local` and `proxy` only with it). Reading is I/O; {@link vxlanInfo}, {@link expectedKernel} and
 * {@link compareKernel} are pure.
 */
import {
  FLOOD_MAC,
  isMulticastIp,
  l2popFdbRows,
  linuxBridgeNames,
  parseBridgeFdb,
  parseIpNeigh,
  permanentNeighRows,
  type BridgeFdbRow,
  type NeighRow,
} from '@l2scope/domain';
import type { NeutronPort } from './api';
import { ip, nsRun } from './exec';
import { UNDERLAY_DEV, VXLAN_GROUP, VXLAN_PORT } from './paths';
import type { HostMode, HostState } from './state';

/** The settings of a VXLAN device that tell the agent's mode apart (`ip -d link show`). */
export interface VxlanInfo {
  vni: number | null;
  /** Multicast group: set in flood-and-learn mode (l2_population off). */
  group: string | null;
  local: string | null;
  /** The `proxy` flag: the ARP responder (arp_responder on). */
  proxy: boolean;
  learning: boolean;
  dstport: number | null;
  /** Underlay device (`dev`, `link` in the JSON). */
  link: string | null;
}

/** Extract {@link VxlanInfo} from one element of `ip -j -d link show dev vxlan-<VNI>`. */
export function vxlanInfo(link: unknown): VxlanInfo {
  const d = ((link as { linkinfo?: { info_data?: Record<string, unknown> } }).linkinfo?.info_data ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    vni: typeof d.id === 'number' ? d.id : null,
    group: str(d.group),
    local: str(d.local),
    proxy: d.proxy === true,
    learning: d.learning === true,
    dstport: typeof d.port === 'number' ? d.port : null,
    link: str(d.link),
  };
}

/** One host's kernel state on the lab's VXLAN device. */
export interface HostKernel {
  host: string;
  dev: string;
  vxlan: VxlanInfo | null;
  fdb: BridgeFdbRow[];
  neigh: NeighRow[];
  /** `bridge fdb show` lines on the device (text, as docs/lab.md#labs prints them). */
  fdbText: string[];
  /** The `vxlan id ...` detail line of `ip -d link show`. */
  vxlanText: string | null;
  /** `ip neigh show dev <dev>` lines. */
  neighText: string[];
}

/** Read a host's FDB, neighbours and VXLAN device (missing device: `vxlan` null, empty rows). */
export async function readHostKernel(h: HostState, vni: number): Promise<HostKernel> {
  const dev = linuxBridgeNames.vxlan(vni);
  const [fdbJ, fdbT, neighJ, neighT, linkJ, linkT] = await Promise.all([
    nsRun(h.ns, 'bridge', ['-j', 'fdb', 'show'], { allowFail: true }),
    nsRun(h.ns, 'bridge', ['fdb', 'show'], { allowFail: true }),
    ip(h.ns, ['-j', 'neigh', 'show'], { allowFail: true }), // with `dev X`, iproute2 omits `dev` from the JSON
    ip(h.ns, ['neigh', 'show', 'dev', dev], { allowFail: true }),
    ip(h.ns, ['-j', '-d', 'link', 'show', 'dev', dev], { allowFail: true }),
    ip(h.ns, ['-d', 'link', 'show', 'dev', dev], { allowFail: true }),
  ]);
  const exists = linkJ.ok && linkJ.stdout.trim().startsWith('[');
  const fdb = fdbJ.ok && fdbJ.stdout.trim() ? parseBridgeFdb(fdbJ.stdout).filter((r) => r.dev === dev) : [];
  const neigh = neighJ.ok && neighJ.stdout.trim() ? parseIpNeigh(neighJ.stdout).filter((r) => r.dev === dev) : [];
  return {
    host: h.name,
    dev,
    vxlan: exists ? vxlanInfo((JSON.parse(linkJ.stdout) as unknown[])[0]) : null,
    fdb,
    neigh,
    fdbText: fdbT.stdout.split('\n').filter((l) => l.includes(` dev ${dev} `) && / self( |$)/.test(l)),
    vxlanText: exists
      ? (linkT.stdout
          .split('\n')
          .map((l) => l.trim())
          .find((l) => l.startsWith('vxlan id')) ?? null)
      : null,
    neighText: exists
      ? neighT.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => `${l.split(' ')[0]} dev ${dev} ${l.split(' ').slice(1).join(' ')}`.trim())
      : [],
  };
}

/** What a Linux bridge host should hold, in comparable string form. */
export interface ExpectedKernel {
  host: string;
  /** `group` expected on the device (multicast flood-and-learn) or null (l2pop: unicast head-end replication). */
  group: string | null;
  proxy: boolean;
  /** `local` expected on the device: the host's VTEP with l2pop, none without (ensure_vxlan sets it only with l2_population). */
  local: string | null;
  /** UDP destination port: the lab sets no udp_dstport, so the kernel default {@link VXLAN_PORT}. */
  dstport: number;
  /** Underlay device: the interface holding the VTEP, {@link UNDERLAY_DEV}. */
  dev: string;
  /** Sorted `mac dst vtep` rows that l2pop writes (permanent, self, unicast dst). */
  fdb: string[];
  /** Sorted `ip lladdr mac` PERMANENT neighbour rows of the ARP responder. */
  neigh: string[];
}

/**
 * Expected kernel state of host `host` in `mode`, from the network's ports as the API lists them
 * (only ACTIVE ports count: l2pop announces a port when it becomes ACTIVE).
 * @param hosts every host of the lab (name -> its VTEP address)
 * @returns null when the host has no ACTIVE port (the agent then has no VXLAN device to check)
 */
export function expectedKernel(host: string, mode: HostMode, hosts: Record<string, { underlayIp: string }>, ports: NeutronPort[]): ExpectedKernel | null {
  const active = ports.filter((p) => p.status === 'ACTIVE' && hosts[p['binding:host_id']]);
  if (!active.some((p) => p['binding:host_id'] === host)) return null;
  const device = { dstport: VXLAN_PORT, dev: UNDERLAY_DEV };
  if (!mode.l2pop) return { host, group: VXLAN_GROUP, proxy: false, local: null, ...device, fdb: [], neigh: [] };
  const fdb = new Set<string>();
  const neigh = new Set<string>();
  for (const p of active) {
    const owner = p['binding:host_id'];
    if (owner === host) continue;
    const vtep = hosts[owner]!.underlayIp;
    fdb.add(`${FLOOD_MAC} dst ${vtep}`);
    fdb.add(`${p.mac_address.toLowerCase()} dst ${vtep}`);
    if (mode.arp) for (const f of p.fixed_ips) neigh.add(`${f.ip_address} lladdr ${p.mac_address.toLowerCase()}`);
  }
  return { host, group: null, proxy: mode.arp, local: hosts[host]?.underlayIp ?? null, ...device, fdb: [...fdb].sort(), neigh: [...neigh].sort() };
}

/** The comparable form of what the kernel holds: l2pop FDB rows and PERMANENT neighbours on the device. */
export function actualKernel(k: HostKernel): { fdb: string[]; neigh: string[] } {
  return {
    fdb: l2popFdbRows(k.fdb, k.dev)
      .map((r) => `${r.mac} dst ${r.dst}`)
      .sort(),
    neigh: permanentNeighRows(k.neigh, k.dev)
      .map((r) => `${r.ip} lladdr ${r.mac}`)
      .sort(),
  };
}

/**
 * Differences between the expected and the actual state of one host, as readable lines
 * (empty when they match): the device's `group`, `proxy`, `local`, `dstport` and `dev`, then the
 * rows. In flood-and-learn mode it checks the multicast head `00:00:00:00:00:00 dst <group>`
 * instead of l2pop rows. A `local` that is not the VTEP is the device that cannot send while its
 * FDB is complete (issue 11).
 */
export function compareKernel(exp: ExpectedKernel, k: HostKernel): string[] {
  const out: string[] = [];
  if (!k.vxlan) return [`${exp.host}: ${k.dev} does not exist`];
  if ((k.vxlan.group ?? null) !== exp.group) out.push(`${exp.host}: ${k.dev} group ${k.vxlan.group ?? '-'} (expected ${exp.group ?? 'none'})`);
  if (k.vxlan.proxy !== exp.proxy) out.push(`${exp.host}: ${k.dev} proxy ${k.vxlan.proxy ? 'on' : 'off'} (expected ${exp.proxy ? 'on' : 'off'})`);
  if (k.vxlan.local !== exp.local) out.push(`${exp.host}: ${k.dev} local ${k.vxlan.local ?? '-'} (expected ${exp.local ?? 'none'})`);
  if (k.vxlan.dstport !== exp.dstport) out.push(`${exp.host}: ${k.dev} dstport ${k.vxlan.dstport ?? '-'} (expected ${exp.dstport})`);
  if (k.vxlan.link !== exp.dev) out.push(`${exp.host}: ${k.dev} dev ${k.vxlan.link ?? '-'} (expected ${exp.dev})`);
  const act = actualKernel(k);
  const heads = k.fdb.filter((r) => r.mac === FLOOD_MAC && r.dst !== null && isMulticastIp(r.dst) && r.state === 'permanent');
  if (exp.group && !heads.some((r) => r.dst === exp.group)) out.push(`${exp.host}: no multicast flood head ${FLOOD_MAC} dst ${exp.group}`);
  if (!exp.group && heads.length > 0) out.push(`${exp.host}: stale multicast flood head ${FLOOD_MAC} dst ${heads[0]!.dst}`);
  for (const r of exp.fdb) if (!act.fdb.includes(r)) out.push(`${exp.host}: missing fdb ${r}`);
  for (const r of act.fdb) if (!exp.fdb.includes(r)) out.push(`${exp.host}: unexpected fdb ${r}`);
  for (const r of exp.neigh) if (!act.neigh.includes(r)) out.push(`${exp.host}: missing neigh ${r}`);
  for (const r of act.neigh) if (!exp.neigh.includes(r)) out.push(`${exp.host}: unexpected neigh ${r}`);
  return out;
}
