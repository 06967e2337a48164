/**
 * What a node agent runs on a hypervisor, and the raw outputs it gets. Every command is
 * read-only. The node agent runs them (inside the host's network namespace when it is one, as in
 * the lab: `ip netns exec <ns> ...`), hands the outputs to {@link buildNodeSnapshot} and, for a
 * support bundle, to `bundleFiles`.
 */

/**
 * The exact commands (argv) behind each raw output.
 *
 * - `bridgeFdb`: every FDB row, JSON (iproute2 `bridge -j fdb show`); the snapshot keeps the VXLAN devices' own (`self`) rows.
 * - `ipNeigh`: neighbour table, JSON; without `dev` so each row names its device. PERMANENT rows on
 *   `vxlan-<VNI>` are the Linux bridge ARP responder's (`ip neigh replace ... nud permanent`).
 * - `ipLinkVxlan`: VXLAN devices with details (`-d`: `linkinfo.info_data`).
 * - `ipLinkBridge` + `bridgeLink`: bridges and their ports.
 * - `ovsVsctl`: the Interface table as JSON with the four columns l2scope reads. Add
 *   `--db=unix:<sock>` / `--db=tcp:127.0.0.1:6640` when OVSDB is not at its default socket (the
 *   lab's private ovsdb: `--db=unix:/var/lib/l2scope-lab/ovs/<host>/run/db.sock`).
 * - `flowsBrTun`: br-tun's flows as text (there is no JSON output); `--no-names` keeps ofport numbers
 *   on OVS >= 2.8, where names are printed by default on a terminal. `ovs-ofctl` finds the bridge's
 *   management socket under `OVS_RUNDIR` (default /var/run/openvswitch).
 * - `ovsVsctlShow`: every bridge's ports with their `tag` (br-int: the lvid) and patch peers
 *   (ovs-host.ts); also the tunnel ports' fallback when the Interface table is unread (no ofports).
 * - `agentIni`: the agent's ini, read as a file (`/etc/neutron/plugins/ml2/linuxbridge_agent.ini` or
 *   `.../openvswitch_agent.ini` on Debian/Ubuntu); never written.
 */
export const NODE_COMMANDS = {
  bridgeFdb: ['bridge', '-j', 'fdb', 'show'],
  ipNeigh: ['ip', '-j', 'neigh', 'show'],
  ipLinkVxlan: ['ip', '-j', '-d', 'link', 'show', 'type', 'vxlan'],
  ipLinkBridge: ['ip', '-j', 'link', 'show', 'type', 'bridge'],
  bridgeLink: ['bridge', '-j', 'link', 'show'],
  ovsVsctl: ['ovs-vsctl', '--format=json', '--columns=name,ofport,type,options', 'list', 'Interface'],
  flowsBrTun: ['ovs-ofctl', '--no-names', 'dump-flows', 'br-tun'],
  /** br-int's flows: the DVR tables 0, 1 and 3 (docs/dvr.md). */
  flowsBrInt: ['ovs-ofctl', '--no-names', 'dump-flows', 'br-int'],
  ovsVsctlShow: ['ovs-vsctl', 'show'],
  /** Every kernel link with details: the hybrid firewall chain (tap / qbr / qvb / qvo, ovs-host.ts) on OVS hosts. */
  ipLinkDetails: ['ip', '-j', '-d', 'link', 'show'],
} as const satisfies Record<string, readonly string[]>;

/** Which commands a node agent runs for each agent type. */
export const NODE_COMMANDS_BY_AGENT = {
  linuxbridge: ['bridgeFdb', 'ipNeigh', 'ipLinkVxlan', 'ipLinkBridge', 'bridgeLink'],
  openvswitch: ['ovsVsctl', 'flowsBrTun', 'flowsBrInt', 'ovsVsctlShow', 'ipLinkDetails'],
} as const satisfies Record<string, readonly (keyof typeof NODE_COMMANDS)[]>;

/** Default ini locations (Debian/Ubuntu packages). */
export const AGENT_INI_PATHS = {
  linuxbridge: '/etc/neutron/plugins/ml2/linuxbridge_agent.ini',
  openvswitch: '/etc/neutron/plugins/ml2/openvswitch_agent.ini',
} as const;

/** The raw text of each command's stdout (absent when not run or failed), and the agent ini. */
export interface RawNodeOutputs {
  bridgeFdb?: string;
  ipNeigh?: string;
  ipLinkVxlan?: string;
  ipLinkBridge?: string;
  bridgeLink?: string;
  ovsVsctl?: string;
  flowsBrTun?: string;
  flowsBrInt?: string;
  ovsVsctlShow?: string;
  /** `ip -j -d link show` (OVS hosts: the hybrid firewall chain). */
  ipLinkDetails?: string;
  /**
   * DVR router namespaces' static ARP entries: `[{"namespace": "qrouter-<id>", "neigh": <ip -j neigh
   * show nud permanent in it>}]`, composed by the node agent from `ip netns list` and one `ip -n`
   * per `qrouter-*` namespace (dvr/neigh.ts); absent on hosts without an L3 agent.
   */
  qrouterNeigh?: string;
  /** The agent's ini text (or several concatenated in oslo's `--config-file` order). */
  agentIni?: string;
}

export type RawOutputName = keyof RawNodeOutputs;
