/**
 * Parsers for what a Linux bridge agent's kernel holds, from iproute2's JSON output
 * (`bridge -j fdb show`, `ip -j neigh show`). Pure: text in, rows out.
 */
import { z } from 'zod';

const fdbRowSchema = z
  .object({
    mac: z.string(),
    ifname: z.string().optional(),
    dev: z.string().optional(),
    dst: z.string().optional(),
    master: z.string().optional(),
    vlan: z.number().optional(),
    flags: z.array(z.string()).default([]),
    state: z.string().optional(),
  })
  .catchall(z.unknown());

/** One row of `bridge -j fdb show`. */
export interface BridgeFdbRow {
  mac: string;
  /** Device the row is on (`ifname`; older iproute2 prints `dev`). */
  dev: string;
  /** Remote VTEP for VXLAN rows (`dst`), or the multicast group of the flood head in multicast mode. */
  dst: string | null;
  master: string | null;
  /** iproute2 flags: `self` (the device's own FDB, where l2pop writes), `extern_learn`, ... */
  flags: string[];
  /** `permanent` (static, e.g. written by l2pop), or '' for learned rows. */
  state: string;
}

/** Parse `bridge -j fdb show` output (a JSON array). Throws a ZodError/SyntaxError naming the bad row. */
export function parseBridgeFdb(text: string): BridgeFdbRow[] {
  const rows = z.array(fdbRowSchema).parse(JSON.parse(text));
  return rows.map((r) => ({
    mac: r.mac.toLowerCase(),
    dev: r.ifname ?? r.dev ?? '',
    dst: r.dst ?? null,
    master: r.master ?? null,
    flags: r.flags,
    state: r.state ?? '',
  }));
}

const neighRowSchema = z
  .object({
    dst: z.string(),
    dev: z.string().optional(),
    lladdr: z.string().optional(),
    state: z.array(z.string()).default([]),
  })
  .catchall(z.unknown());

/** One row of `ip -j neigh show`. */
export interface NeighRow {
  ip: string;
  dev: string;
  mac: string | null;
  /** e.g. ["PERMANENT"], ["STALE"], ["REACHABLE"]. */
  state: string[];
}

/**
 * Parse `ip -j neigh show` output.
 * @param dev the device when the output came from `ip -j neigh show dev <dev>` (iproute2 then omits `dev` per row)
 */
export function parseIpNeigh(text: string, dev = ''): NeighRow[] {
  const rows = z.array(neighRowSchema).parse(JSON.parse(text));
  return rows.map((r) => ({ ip: r.dst, dev: r.dev ?? dev, mac: r.lladdr?.toLowerCase() ?? null, state: r.state }));
}

/**
 * The rows l2pop writes on `vxlan-<VNI>`: permanent, `self`, with a unicast `dst`
 * (`bridge fdb append/replace <mac> dev vxlan-<VNI> dst <vtep>`).
 * A flood head towards a multicast group (`dst 224.0.0.1`) is not one of them.
 */
export function l2popFdbRows(rows: BridgeFdbRow[], dev: string): BridgeFdbRow[] {
  return rows.filter((r) => r.dev === dev && r.dst !== null && r.flags.includes('self') && r.state === 'permanent' && !isMulticastIp(r.dst));
}

/** Permanent neighbour rows on a device: what the Linux bridge ARP responder writes (`ip neigh replace ... nud permanent`). */
export function permanentNeighRows(rows: NeighRow[], dev: string): NeighRow[] {
  return rows.filter((r) => r.dev === dev && r.state.includes('PERMANENT'));
}

/** IPv4 224.0.0.0/4 or IPv6 ff00::/8. */
export function isMulticastIp(ip: string): boolean {
  if (ip.includes(':')) return ip.toLowerCase().startsWith('ff');
  const first = Number.parseInt(ip.split('.')[0] ?? '', 10);
  return first >= 224 && first <= 239;
}

/** Linux bridge agent device names (neutron/plugins/ml2/drivers/linuxbridge/agent: `BRIDGE_NAME_PREFIX`, `get_vxlan_device_name`, `get_tap_device_name`). */
export const linuxBridgeNames = {
  bridge: (networkId: string) => `brq${networkId.slice(0, 11)}`,
  vxlan: (vni: number) => `vxlan-${vni}`,
  tap: (portId: string) => `tap${portId.slice(0, 11)}`,
};
