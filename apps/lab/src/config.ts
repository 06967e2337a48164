/**
 * Pure rendering of every config file the lab writes (docs/lab.md#server, docs/lab.md#agents, docs/lab.md#ovs-host), the host
 * layout (names and addresses, docs/lab.md#layout), and the mode edits the product makes to an agent's
 * ini. No I/O: strings in, strings out (INI via the `ini` package).
 */
import ini from 'ini';
import { DB, POLLING_INTERVAL, REPORT_INTERVAL, VXLAN_GROUP, VXLAN_PORT, paths } from './paths';
import type { HostMode, LabNetwork } from './state';

type Sections = Record<string, Record<string, string | number | boolean>>;

/** Render sections as INI text (`key = value`), the form oslo.config reads. */
export function renderIni(sections: Sections): string {
  return ini.stringify(sections, { whitespace: true });
}

/** Linux bridge host `i` (0-based): `controller`, then `compute1`, `compute2`, ... (docs/lab.md#layout). */
export function lbHostName(i: number): string {
  return i === 0 ? 'controller' : `compute${i}`;
}

/** Underlay (VTEP) address of Linux bridge host `i`: 10.0.20.(11+i) (docs/lab.md#layout). */
export function lbUnderlayIp(i: number): string {
  if (i < 0 || i > 8) throw new Error(`host index ${i} out of range 0..8 (10.0.20.11-19; .21+ are OVS hosts)`);
  return `10.0.20.${11 + i}`;
}

/** OVS host `k` (0-based): `ovs1`, `ovs2`, ... at 10.0.20.(21+k) (docs/lab.md#ovs-host). */
export function ovsHostName(k: number): string {
  return `ovs${k + 1}`;
}
/** Underlay address of OVS host `k`. */
export function ovsUnderlayIp(k: number): string {
  return `10.0.20.${21 + k}`;
}

/**
 * Fixed IP of the first VM of the host with underlay 10.0.20.X: 172.16.1.X (docs/lab.md#layout: VM IP
 * 172.16.1.(11+i)); on the GRE network 172.16.2.X (docs/lab.md#gre). Further VMs on a host get an
 * address allocated by Neutron.
 */
export function firstVmIp(underlayIp: string, network: LabNetwork = 'vxlan'): string {
  return `${network === 'gre' ? '172.16.2' : '172.16.1'}.${underlayIp.split('.')[3]}`;
}

/** Inputs of the server's config. */
export interface ServerConfigInput {
  /** `transport_url` for the server (root namespace), e.g. `rabbit://guest:guest@127.0.0.1:5672/`. */
  transportUrl: string;
  apiPort: number;
  /**
   * `lab up --dvr` (docs/lab.md#dvr): load the router service plugin, make routers distributed by
   * default and give the DVR MACs their own base ({@link DVR_BASE_MAC}).
   */
  dvr?: boolean;
  /** `[DEFAULT] agent_down_time` in seconds; absent: Neutron's default (75), not written. */
  agentDownTime?: number;
}

/**
 * `[DEFAULT] dvr_base_mac` of the DVR lab: neutron-server derives each host's DVR MAC from it
 * (`neutron/db/dvr_mac_db.py`); it must differ from `base_mac` (fa:16:3e:00:00:00). This is
 * Neutron's own default, written out so the lab's captures say which base they used.
 */
export const DVR_BASE_MAC = 'fa:16:3f:00:00:00';

/** `neutron.conf` of neutron-server (docs/lab.md#server; docs/lab.md#gotcha-1: `[experimental] linuxbridge`). */
export function renderServerConf(c: ServerConfigInput): string {
  return renderIni({
    DEFAULT: {
      debug: true,
      core_plugin: 'ml2',
      service_plugins: c.dvr ? 'router' : '',
      ...(c.dvr ? { router_distributed: true, dvr_base_mac: DVR_BASE_MAC } : {}),
      ...(c.agentDownTime !== undefined ? { agent_down_time: c.agentDownTime } : {}),
      auth_strategy: 'noauth',
      bind_host: '127.0.0.1',
      bind_port: c.apiPort,
      api_workers: 1,
      rpc_workers: 1,
      rpc_state_report_workers: 1,
      api_paste_config: '/etc/neutron/api-paste.ini',
      state_path: paths.neutronState,
      transport_url: c.transportUrl,
      notify_nova_on_port_status_changes: false,
      notify_nova_on_port_data_changes: false,
      dhcp_agent_notification: false,
      allow_overlapping_ips: true,
    },
    database: { connection: `mysql+pymysql://${DB.user}:${DB.password}@${DB.host}:${DB.port}/${DB.name}` },
    experimental: { linuxbridge: true },
    oslo_concurrency: { lock_path: `${paths.neutronState}/lock` },
    oslo_policy: { policy_dirs: '/etc/neutron/policy.d' },
  });
}

/**
 * `ml2_conf.ini` (docs/lab.md#server). The openvswitch mechanism driver is always loaded (it is idle
 * without OVS agents), so an `--ovs-host` can join a running lab without a server restart (docs/lab.md#ovs-host).
 */
export function renderMl2Conf(): string {
  return renderIni({
    ml2: {
      // gre: `lab up --gre` makes a GRE network for the OVS hosts (docs/lab.md#gre); idle otherwise
      type_drivers: 'flat,vxlan,gre',
      tenant_network_types: 'vxlan',
      mechanism_drivers: 'linuxbridge,openvswitch,l2population',
      extension_drivers: 'port_security',
    },
    ml2_type_flat: { flat_networks: '*' },
    ml2_type_vxlan: { vni_ranges: '1:16000' },
    ml2_type_gre: { tunnel_id_ranges: '1:16000' },
    l2pop: { agent_boot_time: 180 },
  });
}

/**
 * The agent's own `neutron.conf` (docs/lab.md#agents; docs/lab.md#gotcha-5: `root_helper = env` as root).
 * @param reportInterval `[agent] report_interval` in seconds (docs/lab.md#heartbeats)
 */
export function renderAgentNeutronConf(host: string, transportUrl: string, reportInterval = REPORT_INTERVAL): string {
  return renderIni({
    DEFAULT: { host, debug: true, transport_url: transportUrl, state_path: paths.hostState(host) },
    agent: { root_helper: 'env', report_interval: reportInterval },
    oslo_concurrency: { lock_path: `${paths.hostState(host)}/lock` },
  });
}

/** `linuxbridge_agent.ini` of a host (docs/lab.md#agents): the file `lab mode` edits. */
export function renderLinuxbridgeIni(localIp: string, mode: HostMode): string {
  return renderIni({
    linux_bridge: { physical_interface_mappings: '' },
    vxlan: {
      enable_vxlan: true,
      local_ip: localIp,
      vxlan_group: VXLAN_GROUP,
      l2_population: mode.l2pop,
      arp_responder: mode.arp,
    },
    securitygroup: { enable_security_group: false, firewall_driver: 'noop' },
    agent: { polling_interval: POLLING_INTERVAL },
  });
}

/**
 * `openvswitch_agent.ini` for the userspace OVS host (docs/lab.md#ovs-host): netdev datapath, ovsdb on the
 * namespace's own loopback, native OpenFlow on 127.0.0.1:6633, VXLAN on 8472 like the kernel.
 * @param gre also `tunnel_types = gre` (`lab up --gre`, docs/lab.md#gre): the agent then makes
 *   `gre-<hex of remote ip>` ports and table 3 flows for GRE networks (GRE needs no UDP port)
 * @param dvr also `enable_distributed_routing = True` (`lab up --dvr`, docs/lab.md#dvr): the agent
 *   asks the server for its DVR MAC at start and builds br-tun tables 1/9 and br-int tables 1/3
 * @param hybrid the hybrid firewall (`lab up --hybrid`, docs/lab.md#hybrid): `[securitygroup]`
 *   {@link ovsSecurityGroup}; else security groups off with the `noop` driver
 */
export function renderOvsIni(localIp: string, mode: HostMode, gre = false, dvr = false, hybrid = false): string {
  return renderIni({
    ovs: {
      local_ip: localIp,
      datapath_type: 'netdev',
      ovsdb_connection: 'tcp:127.0.0.1:6640',
      of_listen_address: '127.0.0.1',
      of_listen_port: 6633,
      integration_bridge: 'br-int',
      tunnel_bridge: 'br-tun',
      bridge_mappings: '',
    },
    agent: {
      tunnel_types: ovsTunnelTypes(gre),
      l2_population: mode.l2pop,
      arp_responder: mode.arp,
      vxlan_udp_port: VXLAN_PORT,
      polling_interval: POLLING_INTERVAL,
      ...(dvr ? { enable_distributed_routing: true } : {}),
    },
    securitygroup: ovsSecurityGroup(hybrid),
  });
}

/**
 * `[securitygroup]` of an OVS host. With `hybrid` (`lab up --hybrid`, docs/lab.md#hybrid): security
 * groups on with `firewall_driver = iptables_hybrid` (neutron `OVSHybridIptablesFirewallDriver`:
 * iptables rules matching `physdev` tap / qvb on the per-port Linux bridge `qbr<port[:11]>`, so the
 * VM is plugged through qbr and a qvb/qvo veth pair, vms.ts); else off with the `noop` driver.
 */
export function ovsSecurityGroup(hybrid: boolean): { enable_security_group: boolean; firewall_driver: string } {
  return hybrid ? { enable_security_group: true, firewall_driver: 'iptables_hybrid' } : { enable_security_group: false, firewall_driver: 'noop' };
}

/**
 * Set l2_population / arp_responder in an agent ini, leaving every other key as it is.
 * Linux bridge keeps them in `[vxlan]`, OVS in `[agent]`.
 */
export function setIniMode(text: string, kind: 'linuxbridge' | 'ovs', mode: HostMode): string {
  const doc = ini.parse(text) as Sections;
  const section = kind === 'ovs' ? 'agent' : 'vxlan';
  doc[section] = { ...(doc[section] ?? {}), l2_population: mode.l2pop, arp_responder: mode.arp };
  return renderIni(doc);
}

/** `[agent] tunnel_types` of an OVS host: `vxlan,gre` with the lab's GRE network (`lab up --gre`, docs/lab.md#gre), else `vxlan`. */
export const ovsTunnelTypes = (gre: boolean): string => (gre ? 'vxlan,gre' : 'vxlan');

/**
 * Set `[agent] tunnel_types` of an OVS agent ini to {@link ovsTunnelTypes}, leaving every other key
 * as it is (`lab up` adding or dropping `--gre` on a running lab).
 */
export function setIniGre(text: string, gre: boolean): string {
  const doc = ini.parse(text) as Sections;
  doc.agent = { ...(doc.agent ?? {}), tunnel_types: ovsTunnelTypes(gre) };
  return renderIni(doc);
}

/** Whether an OVS agent ini's `[agent] tunnel_types` lists `gre` (a comma-separated list, spaces allowed). */
export function readIniGre(text: string): boolean {
  const doc = ini.parse(text) as Sections;
  return String(doc.agent?.tunnel_types ?? '')
    .split(',')
    .some((t) => t.trim().toLowerCase() === 'gre');
}

/** Read l2_population / arp_responder back from an agent ini (missing keys are Neutron's default, false). */
export function readIniMode(text: string, kind: 'linuxbridge' | 'ovs'): HostMode {
  const doc = ini.parse(text) as Sections;
  const s = doc[kind === 'ovs' ? 'agent' : 'vxlan'] ?? {};
  const bool = (v: unknown) => v === true || String(v).toLowerCase() === 'true';
  return { l2pop: bool(s.l2_population), arp: bool(s.arp_responder) };
}

/** Parse an `on|off` (also true/false, 1/0, yes/no) flag. @throws Error for anything else */
export function parseOnOff(v: string): boolean {
  const s = v.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(s)) return true;
  if (['off', 'false', '0', 'no'].includes(s)) return false;
  throw new Error(`expected on|off, got "${v}"`);
}

/**
 * Parse `--host-mode` values `H=l2pop,arp` (both on), `H=l2pop` (l2pop only), `H=off` / `H=`
 * (both off) into a host -> mode map.
 * @throws Error on an unknown flag or a missing `=`
 */
export function parseHostModes(values: string[]): Record<string, HostMode> {
  const out: Record<string, HostMode> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new Error(`--host-mode expects H=l2pop,arp (got "${v}")`);
    const host = v.slice(0, eq);
    const mode: HostMode = { l2pop: false, arp: false };
    for (const flag of v
      .slice(eq + 1)
      .split(',')
      .map((f) => f.trim().toLowerCase())
      .filter(Boolean)) {
      if (flag === 'l2pop') mode.l2pop = true;
      else if (flag === 'arp' || flag === 'arp_responder') mode.arp = true;
      else if (flag !== 'off' && flag !== 'none') throw new Error(`--host-mode ${v}: unknown flag "${flag}" (l2pop, arp, off)`);
    }
    out[host] = mode;
  }
  return out;
}

/** The lab name of a mode, as in docs/lab.md#labs (Lab1 l2pop off, Lab2 l2pop, Lab3 l2pop + ARP responder). */
export function labName(mode: HostMode): string {
  if (!mode.l2pop) return mode.arp ? 'lab1 (arp_responder ignored without l2pop)' : 'lab1';
  return mode.arp ? 'lab3' : 'lab2';
}

/**
 * Agent transport URL: the broker as seen from inside a host namespace, where a relay listens on
 * 127.0.0.1:5672 (docs/lab.md#amqp-relay); credentials and vhost are kept from the lab's AMQP URL.
 */
export function agentTransportUrl(amqpUrl: string): string {
  const u = new URL(amqpUrl);
  const vhost = u.pathname && u.pathname !== '' ? u.pathname : '/';
  return `rabbit://${u.username || 'guest'}:${u.password || 'guest'}@127.0.0.1:5672${vhost}`;
}

/** Server transport URL: the lab's AMQP URL in oslo's `rabbit://` form. */
export function serverTransportUrl(amqpUrl: string): string {
  const u = new URL(amqpUrl);
  const vhost = u.pathname && u.pathname !== '' ? u.pathname : '/';
  return `rabbit://${u.username || 'guest'}:${u.password || 'guest'}@${u.hostname}:${u.port || '5672'}${vhost}`;
}
