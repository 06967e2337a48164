/**
 * The Neutron L2 agent's configuration, read-only: a tiny INI parser with oslo.config's syntax and
 * the options that decide what an agent does with l2pop.
 *
 * Syntax mirrors oslo_config/iniparser.py `BaseParser.parse`: `[section]` lines; `key = value` or
 * `key: value` (whichever separator comes first); `#` / `;` comment lines (only at the start of a
 * line: `a = b # c` keeps `b # c`, as oslo does); lines starting with a space or tab continue the
 * previous value (joined with "\n"); a blank line ends a value; one pair of matching quotes around a
 * value is removed; a key given twice keeps the last value (oslo.config, non-multi options).
 * Booleans as oslo_config/types.py `Boolean`: true/1/on/yes, false/0/off/no (case-insensitive).
 *
 * Options (Neutron 21 "Zed", neutron/conf/plugins/ml2/drivers/linuxbridge.py `vxlan_opts` and
 * .../ovs_conf.py `agent_opts` / `ovs_opts`):
 * - Linux bridge `[vxlan]`: `enable_vxlan` (true), `local_ip`, `vxlan_group` (224.0.0.1; may be a
 *   CIDR), `multicast_ranges` (`<group>:<vni_min>:<vni_max>` list), `udp_dstport` (unset: the
 *   kernel default 8472), `udp_srcport_min` / `udp_srcport_max` (0), `l2_population` (false),
 *   `arp_responder` (false), `ttl`.
 * - Open vSwitch `[ovs] local_ip`; `[agent]` `tunnel_types` ([]), `vxlan_udp_port` (4789),
 *   `l2_population` (false), `arp_responder` (false), `enable_distributed_routing` (false).
 */

/** Sections -> keys -> raw string values. Section names as written (`DEFAULT` included). */
export type IniDocument = Record<string, Record<string, string>>;

/** A line the parser could not read (1-based `line`). */
export interface IniProblem {
  line: number;
  message: string;
}

/**
 * Parse INI text with oslo.config's rules (see the module comment).
 * Never throws: unreadable lines are skipped and reported in `problems`.
 * Keys before the first section go to `DEFAULT`.
 */
export function parseIni(text: string): { doc: IniDocument; problems: IniProblem[] } {
  const doc: IniDocument = {};
  const problems: IniProblem[] = [];
  let section = 'DEFAULT';
  let key: string | null = null;
  let value: string[] = [];
  const flush = () => {
    if (key !== null) (doc[section] ??= {})[key] = value.join('\n');
    key = null;
    value = [];
  };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    if (!line) {
      flush();
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (key === null) {
        // oslo: a continuation without an assignment is an error; a comment indented is common: ignore it
        if (!/^[#;]/.test(line.trimStart())) problems.push({ line: i + 1, message: 'continuation line without a key' });
      } else value.push(line.trimStart());
      continue;
    }
    flush();
    if (line.startsWith('[')) {
      if (!line.endsWith(']') || line.length <= 2) {
        problems.push({ line: i + 1, message: `bad section header "${line}"` });
        continue;
      }
      section = line.slice(1, -1);
      doc[section] ??= {};
      continue;
    }
    if (line.startsWith('#') || line.startsWith(';')) continue;
    const colon = line.indexOf(':');
    const equal = line.indexOf('=');
    if (colon < 0 && equal < 0) {
      problems.push({ line: i + 1, message: `not "key = value": "${line}"` });
      continue;
    }
    const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
    const k = line.slice(0, at).trim();
    let v = line.slice(at + 1).trim();
    if (v.length >= 2 && v[0] === v[v.length - 1] && (v[0] === '"' || v[0] === "'")) v = v.slice(1, -1);
    if (!k) {
      problems.push({ line: i + 1, message: 'empty key' });
      continue;
    }
    key = k;
    value = [v];
  }
  flush();
  return { doc, problems };
}

/** oslo_config.types.Boolean: true/1/on/yes, false/0/off/no; anything else null. */
export function parseOsloBool(v: string | undefined): boolean | null {
  if (v === undefined) return null;
  const s = v.trim().toLowerCase();
  if (['true', '1', 'on', 'yes'].includes(s)) return true;
  if (['false', '0', 'off', 'no'].includes(s)) return false;
  return null;
}

/** oslo ListOpt: comma-separated, items trimmed, empty items dropped. */
export function parseOsloList(v: string | undefined): string[] {
  if (v === undefined) return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The Linux VXLAN driver's default UDP destination port (drivers/net/vxlan: `vxlan_port`), used when `udp_dstport` is unset. */
export const LINUX_VXLAN_DEFAULT_PORT = 8472;
/** IANA VXLAN port, neutron_lib.constants.VXLAN_UDP_PORT: the OVS agent's `vxlan_udp_port` default and OVS's own default. */
export const IANA_VXLAN_PORT = 4789;
/** neutron/conf/plugins/ml2/drivers/linuxbridge.py DEFAULT_VXLAN_GROUP. */
export const DEFAULT_VXLAN_GROUP = '224.0.0.1';

/** What l2scope keeps of an L2 agent's configuration. */
export interface AgentIni {
  type: 'linuxbridge' | 'openvswitch';
  /** `[vxlan] local_ip` (Linux bridge) / `[ovs] local_ip`: the VTEP address; null if unset. */
  localIp: string | null;
  /** `l2_population` as configured (default false). */
  l2population: boolean;
  /** `arp_responder` as configured (default false). */
  arpResponder: boolean;
  /**
   * Whether the agent actually runs the ARP responder: Linux bridge writes neighbour entries only
   * when it consumes l2pop (`l2_population`) and `arp_responder` is set (`add_fdb_ip_entry`); OVS:
   * `arp_responder and l2_population`, forced on by DVR with tunnelling (ovs_neutron_agent.py `__init__`).
   */
  arpResponderEffective: boolean;
  /** Linux bridge: `["vxlan"]` when `enable_vxlan`; OVS: `[agent] tunnel_types`. */
  tunnelTypes: string[];
  /** Linux bridge `[vxlan] vxlan_group` (default 224.0.0.1; may be a CIDR); null for OVS or when set empty. */
  vxlanGroup: string | null;
  /** Linux bridge `[vxlan] multicast_ranges` (`<group>:<vni_min>:<vni_max>`). */
  multicastRanges: string[];
  /** The UDP destination port set in the ini (`udp_dstport` / `vxlan_udp_port`), null when not set. */
  udpPortConfigured: number | null;
  /** The port the agent uses: Linux bridge `udp_dstport` or the kernel default 8472; OVS `vxlan_udp_port` or 4789. */
  udpPort: number;
  /** OVS `[agent] enable_distributed_routing`; null for Linux bridge. */
  distributedRouting: boolean | null;
  /** Values that were present but unreadable (e.g. `l2_population = maybe`): "section.key: value". */
  invalid: string[];
}

function sectionOf(doc: IniDocument, name: string): Record<string, string> {
  // oslo.config group names are case-sensitive except DEFAULT; accept any case for robustness
  const exact = doc[name];
  if (exact) return exact;
  const k = Object.keys(doc).find((s) => s.toLowerCase() === name.toLowerCase());
  return k ? doc[k]! : {};
}

/**
 * Guess the agent type from an ini: `[ovs]` or `[agent] tunnel_types` / `vxlan_udp_port` -> Open vSwitch;
 * `[vxlan]` or `[linux_bridge]` -> Linux bridge; otherwise null.
 */
export function detectAgentType(doc: IniDocument): 'linuxbridge' | 'openvswitch' | null {
  const has = (s: string) => Object.keys(doc).some((k) => k.toLowerCase() === s);
  if (has('ovs')) return 'openvswitch';
  const agent = sectionOf(doc, 'agent');
  if ('tunnel_types' in agent || 'vxlan_udp_port' in agent) return 'openvswitch';
  if (has('vxlan') || has('linux_bridge')) return 'linuxbridge';
  return null;
}

/**
 * Read an L2 agent's configuration from one or more ini texts (later texts override earlier ones,
 * like oslo's `--config-file` order; e.g. neutron.conf then linuxbridge_agent.ini).
 * @param type the agent type; detected from the sections when omitted
 * @throws Error when the type is neither given nor detectable
 */
export function parseAgentIni(texts: string | string[], type?: 'linuxbridge' | 'openvswitch'): AgentIni {
  const doc: IniDocument = {};
  for (const t of Array.isArray(texts) ? texts : [texts]) {
    for (const [s, kv] of Object.entries(parseIni(t).doc)) doc[s] = { ...(doc[s] ?? {}), ...kv };
  }
  const kind = type ?? detectAgentType(doc);
  if (!kind) throw new Error('cannot tell the agent type from the ini: no [vxlan] / [linux_bridge] (Linux bridge) nor [ovs] (Open vSwitch) section');
  const invalid: string[] = [];
  const bool = (section: string, key: string, dflt: boolean): boolean => {
    const raw = sectionOf(doc, section)[key];
    if (raw === undefined) return dflt;
    const b = parseOsloBool(raw);
    if (b === null) {
      invalid.push(`${section}.${key}: ${raw}`);
      return dflt;
    }
    return b;
  };
  const port = (section: string, key: string): number | null => {
    const raw = sectionOf(doc, section)[key];
    if (raw === undefined || raw.trim() === '') return null;
    const n = Number(raw.trim());
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      invalid.push(`${section}.${key}: ${raw}`);
      return null;
    }
    return n;
  };
  const str = (section: string, key: string): string | null => {
    const v = sectionOf(doc, section)[key]?.trim();
    return v ? v : null;
  };

  if (kind === 'linuxbridge') {
    const l2population = bool('vxlan', 'l2_population', false);
    const arpResponder = bool('vxlan', 'arp_responder', false);
    const enabled = bool('vxlan', 'enable_vxlan', true);
    const configured = port('vxlan', 'udp_dstport');
    const groupRaw = sectionOf(doc, 'vxlan').vxlan_group;
    return {
      type: kind,
      localIp: str('vxlan', 'local_ip'),
      l2population,
      arpResponder,
      arpResponderEffective: l2population && arpResponder,
      tunnelTypes: enabled ? ['vxlan'] : [],
      vxlanGroup: groupRaw === undefined ? DEFAULT_VXLAN_GROUP : groupRaw.trim() || null,
      multicastRanges: parseOsloList(sectionOf(doc, 'vxlan').multicast_ranges),
      udpPortConfigured: configured,
      udpPort: configured ?? LINUX_VXLAN_DEFAULT_PORT,
      distributedRouting: null,
      invalid,
    };
  }
  const l2population = bool('agent', 'l2_population', false);
  const arpResponder = bool('agent', 'arp_responder', false);
  const dvr = bool('agent', 'enable_distributed_routing', false);
  const tunnelTypes = parseOsloList(sectionOf(doc, 'agent').tunnel_types);
  const configured = port('agent', 'vxlan_udp_port');
  return {
    type: kind,
    localIp: str('ovs', 'local_ip'),
    l2population,
    arpResponder,
    arpResponderEffective: (arpResponder && l2population) || (dvr && tunnelTypes.length > 0),
    tunnelTypes,
    vxlanGroup: null,
    multicastRanges: [],
    udpPortConfigured: configured,
    udpPort: configured ?? IANA_VXLAN_PORT,
    distributedRouting: dvr,
    invalid,
  };
}

function ipv4ToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * The multicast group the Linux bridge agent gives `vxlan-<vni>` in multicast mode.
 * Mirrors linuxbridge_neutron_agent.py `get_vxlan_group`: the first `multicast_ranges` entry whose
 * VNI range holds `vni`, else `vxlan_group`; a CIDR maps the VNI onto its host bits
 * (`network + (vni & hostmask)`). IPv4 only; an IPv6 group is returned as written when it has no prefix.
 * @returns null when no group is configured or the value is unreadable
 */
export function vxlanGroupFor(ini: Pick<AgentIni, 'vxlanGroup' | 'multicastRanges'>, vni: number): string | null {
  let group: string | null = ini.vxlanGroup;
  for (const r of ini.multicastRanges) {
    const [addr, lo, hi] = r.split(':');
    if (addr && lo && hi && Number(lo) <= vni && vni <= Number(hi)) {
      group = addr;
      break;
    }
  }
  if (!group) return null;
  const [addr, prefixText] = group.split('/');
  if (!addr) return null;
  if (addr.includes(':')) return prefixText === undefined ? addr : null;
  const base = ipv4ToInt(addr);
  if (base === null) return null;
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return null;
  const hostmask = prefix === 32 ? 0 : 2 ** (32 - prefix) - 1;
  const network = base - (base % (hostmask + 1));
  return intToIpv4(network + (vni & hostmask));
}
