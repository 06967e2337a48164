/**
 * Parsers for the Linux bridge agent's devices, from iproute2's JSON (iproute2 6.1, the version the
 * fixtures were recorded with; older versions print the same keys for these objects):
 * - `ip -j -d link show type vxlan`: ip/iplink_vxlan.c `vxlan_print_opt` prints `linkinfo.info_data`
 *   with `id` (VNI), `group` / `remote` (IPv4: multicast -> `group`, unicast -> `remote`),
 *   `group6` / `remote6`, `local` / `local6`, `link` (underlay device), `port` (UDP destination),
 *   `port_range` {low, high}, `learning` (bool), `proxy` (only printed when set), `external`
 *   (collect-metadata device, e.g. OVS's `vxlan_sys_4789`, which has no `id`), `ttl`, `ageing`.
 * - `ip -j link show type bridge`: bridges (`ifname`, `flags`, `operstate`).
 * - `bridge -j link show`: bridge ports (`ifname`, `master`, `state`).
 * The Linux bridge agent creates `vxlan-<VNI>` (linuxbridge_neutron_agent.py `ensure_vxlan`) with
 * `group` only in multicast mode (l2_population off), `proxy` = arp_responder and `local` only with
 * l2pop, and `dstport` = `[vxlan] udp_dstport`; it never changes an existing device (docs/lab.md#gotcha-12).
 */
import { z } from 'zod';
import { compareText } from './util';

/** One VXLAN device. */
export interface VxlanDevice {
  name: string;
  /** VNI (`id`); null for a collect-metadata (`external`) device. */
  vni: number | null;
  /** Source address (`local` / `local6`). */
  local: string | null;
  /** Multicast group (`group` / `group6`): set in flood-and-learn multicast mode. */
  group: string | null;
  /** A fixed unicast remote (`remote` / `remote6`); Neutron never sets it. */
  remote: string | null;
  /** Underlay device (`link`, the `dev` of `ip link add ... type vxlan dev X`). */
  link: string | null;
  /** UDP destination port (`port`, shown as `dstport`); null when not printed. */
  dstport: number | null;
  /** `proxy`: the kernel answers ARP / ND from the neighbour table (Neutron's ARP responder). */
  proxy: boolean;
  /** `learning`: remote MACs are learned from received frames; null when not printed. */
  learning: boolean | null;
  /** Collect-metadata device (`external`, OVS kernel datapath). */
  external: boolean;
  /** Bridge it is enslaved to (`master`), e.g. `brq<network[:11]>`. */
  master: string | null;
  /** Administratively up (`UP` in `flags`). */
  up: boolean;
}

const linkSchema = z
  .object({
    ifname: z.string(),
    flags: z.array(z.string()).default([]),
    master: z.string().optional(),
    operstate: z.string().optional(),
    linkinfo: z
      .object({
        info_kind: z.string().optional(),
        info_data: z.record(z.string(), z.unknown()).optional(),
      })
      .catchall(z.unknown())
      .optional(),
  })
  .catchall(z.unknown());

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Parse `ip -j -d link show type vxlan` (or any `ip -j -d link show`: non-VXLAN links are skipped).
 * @throws SyntaxError on bad JSON, ZodError naming the bad element when it is not an iproute2 link list
 */
export function parseVxlanLinks(text: string): VxlanDevice[] {
  const links = z.array(linkSchema).parse(JSON.parse(text.trim() || '[]'));
  const out: VxlanDevice[] = [];
  for (const l of links) {
    if (l.linkinfo?.info_kind !== 'vxlan') continue;
    const d = l.linkinfo.info_data ?? {};
    out.push({
      name: l.ifname,
      vni: num(d.id),
      local: str(d.local) ?? str(d.local6),
      group: str(d.group) ?? str(d.group6),
      remote: str(d.remote) ?? str(d.remote6),
      link: str(d.link),
      dstport: num(d.port),
      proxy: d.proxy === true,
      learning: typeof d.learning === 'boolean' ? d.learning : null,
      external: d.external === true,
      master: l.master ?? null,
      up: l.flags.includes('UP'),
    });
  }
  return out.sort((a, b) => compareText(a.name, b.name));
}

/** A bridge port as `bridge link show` lists it. */
export interface BridgePort {
  name: string;
  /** STP port state: `forwarding`, `disabled`, `blocking`, ...; null when not printed. */
  state: string | null;
}

/** A Linux bridge with its ports. */
export interface LinuxBridge {
  name: string;
  up: boolean;
  ports: BridgePort[];
}

const bridgeLinkSchema = z.object({ ifname: z.string(), master: z.string().optional(), state: z.string().optional() }).catchall(z.unknown());

/**
 * Bridges and their member ports from `ip -j link show type bridge` and `bridge -j link show`.
 * A port whose `master` is not among the bridges still creates an entry for that bridge (the
 * bridge list may have been taken a moment earlier), marked `up: false`.
 * @throws SyntaxError / ZodError on malformed input
 */
export function parseBridges(ipLinkBridgeText: string, bridgeLinkText: string): LinuxBridge[] {
  const bridges = new Map<string, LinuxBridge>();
  for (const l of z.array(linkSchema).parse(JSON.parse(ipLinkBridgeText.trim() || '[]'))) {
    bridges.set(l.ifname, { name: l.ifname, up: l.flags.includes('UP'), ports: [] });
  }
  for (const p of z.array(bridgeLinkSchema).parse(JSON.parse(bridgeLinkText.trim() || '[]'))) {
    if (!p.master) continue;
    let b = bridges.get(p.master);
    if (!b) {
      b = { name: p.master, up: false, ports: [] };
      bridges.set(p.master, b);
    }
    b.ports.push({ name: p.ifname, state: p.state ?? null });
  }
  for (const b of bridges.values()) b.ports.sort((x, y) => compareText(x.name, y.name));
  return [...bridges.values()].sort((a, b) => compareText(a.name, b.name));
}
