/**
 * Parsers for the rest of an Open vSwitch host's datapath, beside br-tun (ovs.ts):
 *
 * - `ovs-vsctl show` text: every bridge with its ports, each port's `tag` (on br-int the local
 *   VLAN, lvid, the OVS agent gave the port's network: ovs_neutron_agent.py `port_bound` ->
 *   `_set_port_vlan`), and each interface's `type` and `options:peer` (patch ports: the agent's
 *   `patch-tun` on br-int and `patch-int` on br-tun, ovs_neutron_agent.py `setup_tunnel_br`).
 *   ofports are not printed there; they come from `ovs-vsctl --format=json ... list Interface`.
 * - `ip -j -d link show` (iproute2 JSON): the kernel side of the hybrid firewall driver
 *   (`firewall_driver = iptables_hybrid`): os-vif / nova create a Linux bridge `qbr<port[:11]>`
 *   holding the VM's `tap<port[:11]>` and the `qvb<port[:11]>` end of a veth pair whose
 *   `qvo<port[:11]>` end is the port on br-int. A veth's peer is printed as `link` (same
 *   namespace), a port's bridge as `master`, the kind as `linkinfo.info_kind` (`veth`, `bridge`,
 *   `tun`).
 */
import { z } from 'zod';
import { compareText } from './util';

/** One port of an OVS bridge, as `ovs-vsctl show` and the Interface table give it. */
export interface OvsBridgePort {
  /** Port (and interface) name: `qvo...`, `tap...`, `patch-tun`, `gre-0a001416`. */
  name: string;
  /** `tag`: on br-int the port's local VLAN (lvid); null when untagged (patch, internal, tunnel ports). */
  tag: number | null;
  /** Interface `type`: `""` (system / netdev port), `internal`, `patch`, `vxlan`, `gre`, `geneve`. */
  type: string;
  /** OpenFlow port number; null when unknown. */
  ofport: number | null;
  /** `options:peer` of a patch port (`patch-int` for br-int's `patch-tun`); null otherwise. */
  peer: string | null;
}

/** One OVS bridge and its ports (sorted by name). */
export interface OvsBridge {
  name: string;
  ports: OvsBridgePort[];
}

/** Most bridges and ports per bridge {@link parseOvsVsctlBridges} keeps (hostile or runaway input). */
export const OVS_HOST_LIMITS = { bridges: 64, portsPerBridge: 20_000, links: 20_000 } as const;

const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1');

/**
 * Bridges and their ports from `ovs-vsctl show` text. Ports are named by their `Port` line; `tag`,
 * `type` and `options: {peer=...}` are read from the lines under it. ofports are null here; pass
 * `ofports` (interface name -> ofport, from the Interface table) to fill them.
 * @param ofports interface name -> ofport
 * @returns bridges sorted by name, at most {@link OVS_HOST_LIMITS} of each
 */
export function parseOvsVsctlBridges(text: string, ofports: Record<string, number> = {}): OvsBridge[] {
  const bridges: OvsBridge[] = [];
  let bridge: OvsBridge | null = null;
  let port: OvsBridgePort | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = /^Bridge\s+(\S+)$/.exec(line);
    if (m) {
      port = null;
      bridge = bridges.length < OVS_HOST_LIMITS.bridges ? { name: unquote(m[1]!), ports: [] } : null;
      if (bridge) bridges.push(bridge);
      continue;
    }
    if (!bridge) continue;
    m = /^Port\s+(\S+)$/.exec(line);
    if (m) {
      const name = unquote(m[1]!);
      port = bridge.ports.length < OVS_HOST_LIMITS.portsPerBridge ? { name, tag: null, type: '', ofport: ofports[name] ?? null, peer: null } : null;
      if (port) bridge.ports.push(port);
      continue;
    }
    if (!port) continue;
    m = /^tag:\s*(\d+)$/.exec(line);
    if (m) {
      const tag = Number(m[1]);
      port.tag = tag <= 4095 ? tag : null;
      continue;
    }
    m = /^type:\s*(\S+)$/.exec(line);
    if (m) {
      port.type = unquote(m[1]!);
      continue;
    }
    m = /^options:\s*\{(.*)\}$/.exec(line);
    if (m) {
      const peer = /(?:^|,\s*)peer=("?)([^",\s]+)\1/.exec(m[1]!);
      if (peer) port.peer = peer[2]!;
    }
  }
  for (const b of bridges) b.ports.sort((a, c) => compareText(a.name, c.name));
  return bridges.sort((a, b) => compareText(a.name, b.name));
}

/** A kernel link of the hybrid firewall chain (tap / qbr / qvb / qvo). */
export interface HostLink {
  /** `ifname`. */
  name: string;
  /** `linkinfo.info_kind`: `veth`, `bridge`, `tun`, ...; null when not printed (a plain device). */
  kind: string | null;
  /** The bridge it is a port of (`master`), e.g. `qbr9f3cc92a-62`; null when none. */
  master: string | null;
  /** A veth's peer name (`link`), when in the same namespace; null otherwise. */
  peer: string | null;
  /** `UP` in `flags`. */
  up: boolean;
}

/** Name prefixes of the hybrid chain's devices (os-vif `linux_net` / nova `get_veth_pair_names`, `get_br_name`). */
export const HYBRID_PREFIXES = ['tap', 'qbr', 'qvb', 'qvo'] as const;

/**
 * The hybrid plug's device names of one Neutron port (os-vif `OvsPlugin.gen_port_name`: prefix +
 * port id, cut to 14 characters, i.e. the id's first 11): the Linux bridge `qbr<port[:11]>` and the
 * veth pair `qvb<port[:11]>` (on qbr) / `qvo<port[:11]>` (on br-int). The VM's tap is
 * `linuxBridgeNames.tap`. Pure.
 */
export const hybridNames = {
  bridge: (portId: string) => `qbr${portId.slice(0, 11)}`,
  qvb: (portId: string) => `qvb${portId.slice(0, 11)}`,
  qvo: (portId: string) => `qvo${portId.slice(0, 11)}`,
};

const ipLinkSchema = z.array(
  z
    .object({
      ifname: z.string().min(1).max(256),
      link: z.string().max(256).optional(),
      master: z.string().max(256).optional(),
      flags: z.array(z.string().max(64)).max(64).default([]),
      linkinfo: z
        .object({ info_kind: z.string().max(64).optional() })
        .catchall(z.unknown())
        .optional(),
    })
    .catchall(z.unknown()),
);

/**
 * The hybrid chain's links from `ip -j -d link show` (every link; only `tap*`, `qbr*`, `qvb*`,
 * `qvo*` are kept, at most {@link OVS_HOST_LIMITS}.links, sorted by name).
 * @throws SyntaxError / ZodError when the text is not iproute2's JSON link list
 */
export function parseHybridLinks(text: string): HostLink[] {
  const out: HostLink[] = [];
  for (const l of ipLinkSchema.parse(JSON.parse(text))) {
    if (!HYBRID_PREFIXES.some((p) => l.ifname.startsWith(p))) continue;
    const kind = l.linkinfo?.info_kind ?? null;
    out.push({
      name: l.ifname,
      kind,
      master: l.master ?? null,
      peer: kind === 'veth' && l.link ? l.link : null,
      up: l.flags.includes('UP'),
    });
    if (out.length >= OVS_HOST_LIMITS.links) break;
  }
  return out.sort((a, b) => compareText(a.name, b.name));
}
