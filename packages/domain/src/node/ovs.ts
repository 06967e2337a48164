/**
 * Parsers for an Open vSwitch agent's tunnel bridge.
 *
 * - `ovs-vsctl --format=json --columns=name,ofport,type,options list Interface`: OVSDB's JSON table
 *   format (ovs-vsctl(8) `--format=json`, values as in RFC 7047 §5.1: atoms, `["set", [...]]`,
 *   `["map", [[k, v], ...]]`, `["uuid", "..."]`). Tunnel interfaces are those of type
 *   vxlan / gre / geneve with `options:remote_ip`; the agent creates them on br-tun only
 *   (neutron/agent/common/ovs_lib.py `add_tunnel_port`: name `<type>-<hex of remote ip>`, options
 *   remote_ip, local_ip, in_key=flow, out_key=flow, and `dst_port` only when `vxlan_udp_port` is
 *   not 4789, so a missing `dst_port` means 4789).
 * - `ovs-vsctl show` text: a fallback giving tunnel ports without ofport (fixtures/ovs-try).
 * - `ovs-ofctl dump-flows br-tun` text (no JSON output exists). Both OpenFlow 1.0+NXM and OpenFlow
 *   1.3 renderings are read: `mod_vlan_vid:1` | `push_vlan:0x8100,set_field:4097->vlan_vid`,
 *   `load:0x289->NXM_NX_TUN_ID[]` | `set_field:0x289->tun_id` | `set_tunnel:0x289`,
 *   `strip_vlan` | `pop_vlan`, `resubmit(,N)` | `goto_table:N`, `dl_vlan=1` | `vlan_tci=0x1001/0x1fff`,
 *   `load:0xfa163e8a0488->NXM_NX_ARP_SHA[]` | `set_field:fa:16:3e:8a:04:88->arp_sha`,
 *   `load:0xac10010b->NXM_OF_ARP_SPA[]` | `set_field:172.16.1.11->arp_spa`, `output:2` | `output:"name"`.
 *
 * br-tun tables (neutron_lib/plugins/ml2/ovs_constants.py) and what l2pop writes there
 * (neutron/plugins/ml2/drivers/openvswitch/agent/openflow/native/br_tun.py):
 * 0 in_port=<tunnel ofport> -> resubmit(,3|4|6) (`setup_tunnel_port`); 2 PATCH_LV_TO_TUN
 * (`arp,dl_dst=ff:ff:ff:ff:ff:ff -> 21` only when the ARP responder is on, `setup_default_table`);
 * 3/4/6 GRE/VXLAN/GENEVE_TUN_TO_LV `tun_id=<VNI> -> mod_vlan_vid:<lvid>` (`provision_local_vlan`);
 * 10 LEARN_FROM_TUN `learn(table=20,hard_timeout=300,priority=1,...)`; 20 UCAST_TO_TUN
 * `priority=2,dl_vlan=<lvid>,dl_dst=<mac> -> strip_vlan,set tun_id <VNI>,output:<ofport>`
 * (`install_unicast_to_tun`; learned flows are `priority=1` with `hard_timeout`); 21 ARP_RESPONDER
 * `arp,dl_vlan=<lvid>,arp_tpa=<ip>` answering with `<mac>` (`install_arp_responder`);
 * 22 FLOOD_TO_TUN `dl_vlan=<lvid> -> strip_vlan,set tun_id <VNI>,output:<ofports>` (`install_flood_to_tun`).
 */
import { z } from 'zod';
import { compareText } from './util';

/** br-tun table numbers, neutron_lib/plugins/ml2/ovs_constants.py. */
export const BR_TUN_TABLES = {
  LOCAL_SWITCHING: 0,
  PATCH_LV_TO_TUN: 2,
  GRE_TUN_TO_LV: 3,
  VXLAN_TUN_TO_LV: 4,
  GENEVE_TUN_TO_LV: 6,
  DVR_NOT_LEARN: 9,
  LEARN_FROM_TUN: 10,
  UCAST_TO_TUN: 20,
  ARP_RESPONDER: 21,
  FLOOD_TO_TUN: 22,
} as const;

const TUN_TABLE_TYPE: Record<number, string> = { 3: 'gre', 4: 'vxlan', 6: 'geneve' };
/** Tunnel interface types the OVS agent creates (`[agent] tunnel_types`). */
export const OVS_TUNNEL_TYPES = ['vxlan', 'gre', 'geneve'] as const;

// ---------------------------------------------------------------- ovs-vsctl

/** A decoded OVSDB cell: atom, array (set), record (map) or null (empty set). */
export type OvsdbValue = string | number | boolean | null | OvsdbValue[] | { [k: string]: OvsdbValue };

/** Deepest set/map nesting {@link decodeOvsdbValue} follows (RFC 7047 allows 1: sets and maps hold atoms). */
const OVSDB_MAX_NESTING = 8;

/**
 * Decode one OVSDB JSON value (RFC 7047 §5.1): a set of one is its atom, an empty set null, a map a
 * record, a uuid its string. Sets and maps nested deeper than {@link OVSDB_MAX_NESTING} (never valid
 * OVSDB) decode as null, so hostile input cannot overflow the stack.
 * @param depth how many sets/maps enclose `v` (callers leave the default)
 */
export function decodeOvsdbValue(v: unknown, depth = 0): OvsdbValue {
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string') {
    if (depth >= OVSDB_MAX_NESTING) return null;
    const [tag, body] = v as [string, unknown];
    const inner = (x: unknown) => decodeOvsdbValue(x, depth + 1);
    if (tag === 'set' && Array.isArray(body)) return body.length === 0 ? null : body.length === 1 ? inner(body[0]) : body.map(inner);
    if (tag === 'map' && Array.isArray(body)) {
      const out: Record<string, OvsdbValue> = {};
      for (const pair of body) if (Array.isArray(pair) && pair.length === 2) out[String(pair[0])] = inner(pair[1]);
      return out;
    }
    if ((tag === 'uuid' || tag === 'named-uuid') && typeof body === 'string') return body;
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return null;
}

const ovsdbTableSchema = z.object({ headings: z.array(z.string()), data: z.array(z.array(z.unknown())) });

/**
 * Parse `ovs-vsctl --format=json ... list <Table>` into one record per row, keyed by column heading.
 * @throws SyntaxError / ZodError when the text is not ovs-vsctl's JSON table
 */
export function parseOvsdbTable(text: string): Record<string, OvsdbValue>[] {
  const t = ovsdbTableSchema.parse(JSON.parse(text));
  return t.data.map((row) => {
    const rec: Record<string, OvsdbValue> = {};
    t.headings.forEach((h, i) => {
      rec[h] = decodeOvsdbValue(row[i]);
    });
    return rec;
  });
}

/** A tunnel port of br-tun. */
export interface OvsTunnelPort {
  /** Interface name, e.g. `vxlan-0a00140b`. */
  name: string;
  /** OpenFlow port number; null when unknown (`ovs-vsctl show` has none) or not yet assigned; -1 on failure. */
  ofport: number | null;
  /** `vxlan`, `gre`, `geneve`. */
  type: string;
  /** `options:remote_ip`: the peer VTEP (or `flow`). */
  remoteIp: string;
  /** `options:local_ip`. */
  localIp: string | null;
  /** `options:dst_port`; null when absent (OVS then uses 4789 for VXLAN, see {@link tunnelDstPort}). */
  dstPort: number | null;
}

/** The UDP destination port a tunnel port sends to: `dst_port`, else OVS's default (4789 for VXLAN, 6081 for Geneve); null for GRE. */
export function tunnelDstPort(p: Pick<OvsTunnelPort, 'type' | 'dstPort'>): number | null {
  if (p.dstPort !== null) return p.dstPort;
  if (p.type === 'vxlan') return 4789;
  if (p.type === 'geneve') return 6081;
  return null;
}

const asMap = (v: OvsdbValue | undefined): Record<string, OvsdbValue> => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});

/**
 * Tunnel ports from `ovs-vsctl --format=json --columns=name,ofport,type,options list Interface`
 * (other columns are ignored; non-tunnel interfaces are skipped).
 * @throws SyntaxError / ZodError on malformed input
 */
export function parseOvsTunnelPorts(text: string): OvsTunnelPort[] {
  const out: OvsTunnelPort[] = [];
  for (const r of parseOvsdbTable(text)) {
    const type = typeof r.type === 'string' ? r.type : '';
    const opts = asMap(r.options);
    const remote = typeof opts.remote_ip === 'string' ? opts.remote_ip : null;
    if (!(OVS_TUNNEL_TYPES as readonly string[]).includes(type) || !remote) continue;
    const dst = typeof opts.dst_port === 'string' ? Number(opts.dst_port) : null;
    out.push({
      name: String(r.name ?? ''),
      ofport: typeof r.ofport === 'number' ? r.ofport : null,
      type,
      remoteIp: remote,
      localIp: typeof opts.local_ip === 'string' ? opts.local_ip : null,
      dstPort: dst !== null && Number.isInteger(dst) ? dst : null,
    });
  }
  return out.sort((a, b) => compareText(a.name, b.name));
}

/**
 * Tunnel ports from `ovs-vsctl show` text (ofport unknown: null). Only interfaces of a tunnel type
 * with `remote_ip` in their `options: {...}` line are kept.
 */
export function parseOvsVsctlShow(text: string): OvsTunnelPort[] {
  const out: OvsTunnelPort[] = [];
  let current: { name: string; type: string | null } | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = /^Interface\s+"?([^"\s]+)"?$/.exec(line);
    if (m) {
      current = { name: m[1]!, type: null };
      continue;
    }
    if (!current) continue;
    m = /^type:\s*"?([^"\s]+)"?$/.exec(line);
    if (m) {
      current.type = m[1]!;
      continue;
    }
    m = /^options:\s*\{(.*)\}$/.exec(line);
    if (m && current.type && (OVS_TUNNEL_TYPES as readonly string[]).includes(current.type)) {
      const opts: Record<string, string> = {};
      for (const kv of m[1]!.split(/,\s*/)) {
        const eq = kv.indexOf('=');
        if (eq > 0)
          opts[kv.slice(0, eq).trim()] = kv
            .slice(eq + 1)
            .trim()
            .replace(/^"(.*)"$/, '$1');
      }
      if (opts.remote_ip) {
        const dst = opts.dst_port !== undefined ? Number(opts.dst_port) : null;
        out.push({
          name: current.name,
          ofport: null,
          type: current.type,
          remoteIp: opts.remote_ip,
          localIp: opts.local_ip ?? null,
          dstPort: dst !== null && Number.isInteger(dst) ? dst : null,
        });
      }
    } else if (/^(Port|Bridge)\s/.test(line)) current = null;
  }
  return out.sort((a, b) => compareText(a.name, b.name));
}

// ---------------------------------------------------------------- ovs-ofctl

/** One flow of `ovs-ofctl dump-flows`. */
export interface OfFlow {
  table: number;
  priority: number;
  cookie: string | null;
  /** Match fields; bare protocol words (`arp`, `ip`) map to "". */
  match: Record<string, string>;
  /** Top-level actions, e.g. `strip_vlan`, `load:0x289->NXM_NX_TUN_ID[]`, `output:2`. */
  actions: string[];
  /** `hard_timeout` in seconds (learned flows carry one); null when absent. */
  hardTimeout: number | null;
  nPackets: number | null;
  nBytes: number | null;
}

/** Flow fields that are not match fields (ovs-ofctl(8) "Flow Syntax" and the statistics it prints). */
const FLOW_META = new Set([
  'cookie',
  'duration',
  'table',
  'n_packets',
  'n_bytes',
  'idle_age',
  'hard_age',
  'idle_timeout',
  'hard_timeout',
  'priority',
  'importance',
  'send_flow_rem',
  'check_overlap',
  'reset_counts',
  'no_packet_counts',
  'no_byte_counts',
  'out_port',
  'out_group',
]);

/** Split on commas that are not inside (), [] or quotes. */
export function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let cur = '';
  for (const ch of s) {
    if (ch === '"') quote = !quote;
    else if (!quote && (ch === '(' || ch === '[')) depth++;
    else if (!quote && (ch === ')' || ch === ']')) depth--;
    if (ch === ',' && depth === 0 && !quote) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/**
 * Parse `ovs-ofctl dump-flows <bridge>` text. Header lines (`NXST_FLOW reply`, `OFPST_FLOW reply`)
 * and blank lines are skipped; a line without ` actions=` is reported in `errors` (1-based line).
 * A flow without `priority` has OpenFlow's default 32768.
 */
export function parseOfctlFlows(text: string): { flows: OfFlow[]; errors: { line: number; error: string }[] } {
  const flows: OfFlow[] = [];
  const errors: { line: number; error: string }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line || /^(NXST|OFPST)_FLOW reply/.test(line) || /^OFPT_/.test(line)) continue;
    const at = line.indexOf(' actions=');
    const head = at >= 0 ? line.slice(0, at) : line.startsWith('actions=') ? '' : null;
    if (head === null) {
      errors.push({ line: i + 1, error: `no "actions=" in "${line.slice(0, 80)}"` });
      continue;
    }
    const actionsText = at >= 0 ? line.slice(at + ' actions='.length) : line.slice('actions='.length);
    const meta: Record<string, string> = {};
    const match: Record<string, string> = {};
    for (const tok of splitTopLevel(head)) {
      const eq = tok.indexOf('=');
      const k = eq >= 0 ? tok.slice(0, eq).trim() : tok.trim();
      const v = eq >= 0 ? tok.slice(eq + 1).trim() : '';
      if (FLOW_META.has(k)) meta[k] = v;
      else match[k] = v;
    }
    const intOr = (v: string | undefined, d: number | null) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : d);
    flows.push({
      table: intOr(meta.table, 0)!,
      priority: intOr(meta.priority, 32768)!,
      cookie: meta.cookie ?? null,
      match,
      actions: splitTopLevel(actionsText),
      hardTimeout: intOr(meta.hard_timeout, null),
      nPackets: intOr(meta.n_packets, null),
      nBytes: intOr(meta.n_bytes, null),
    });
  }
  return { flows, errors };
}

/** An integer written in decimal or `0x` hex; null otherwise. */
export function parseOfInt(s: string): number | null {
  const t = s.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  if (/^\d+$/.test(t)) return Number(t);
  return null;
}

/** A 48-bit value (`0xfa163e8a0488`) as a MAC address, lower case. */
export function hexToMac(hex: string): string | null {
  const n = parseOfInt(hex);
  if (n === null || n > 0xffffffffffff) return null;
  return n.toString(16).padStart(12, '0').match(/../g)!.join(':');
}

/** A 32-bit value (`0xac10010b`) as a dotted IPv4 address. */
export function hexToIpv4(hex: string): string | null {
  const n = parseOfInt(hex);
  if (n === null || n > 0xffffffff) return null;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The local VLAN a flow matches: `dl_vlan=N`, `vlan_vid=N` (OpenFlow 1.3 adds 0x1000) or `vlan_tci=V/M`. */
export function flowVlan(match: Record<string, string>): number | null {
  if (match.dl_vlan !== undefined) return parseOfInt(match.dl_vlan);
  if (match.vlan_vid !== undefined) {
    const v = parseOfInt(match.vlan_vid.split('/')[0]!);
    return v === null ? null : v & 0xfff;
  }
  if (match.vlan_tci !== undefined) {
    const v = parseOfInt(match.vlan_tci.split('/')[0]!);
    return v === null ? null : v & 0xfff;
  }
  return null;
}

/** The value loaded into a field by `load:V->F[]`, `set_field:V->f`, or `move`-free shorthand (`set_tunnel:V`, `mod_vlan_vid:V`, `mod_dl_src:V`). */
function loaded(actions: string[], nxm: string[], field: string[], shorthand: string[]): string | null {
  let out: string | null = null;
  for (const a of actions) {
    let m = /^load:([^-]+)->([A-Za-z0-9_]+)\[[^\]]*\]$/.exec(a);
    if (m && nxm.includes(m[2]!)) out = m[1]!;
    m = /^set_field:(.+)->([A-Za-z0-9_]+)$/.exec(a);
    if (m && field.includes(m[2]!)) out = m[1]!;
    const colon = a.indexOf(':');
    if (colon > 0 && shorthand.includes(a.slice(0, colon))) out = a.slice(colon + 1);
  }
  return out;
}

/** `output:N` / `output:"name"` / `output:name` targets of a flow's actions (ofport numbers, or names when printed with --names). */
export function flowOutputs(actions: string[]): (number | string)[] {
  const out: (number | string)[] = [];
  for (const a of actions) {
    const m = /^output:(.+)$/.exec(a);
    if (!m) continue;
    const t = m[1]!.replace(/^"(.*)"$/, '$1');
    const n = parseOfInt(t);
    out.push(n ?? t);
  }
  return out;
}

/** The table a flow continues to: `resubmit(,N)` / `resubmit(port,N)` / `goto_table:N`. */
export function flowNextTables(actions: string[]): number[] {
  const out: number[] = [];
  for (const a of actions) {
    const m = /^resubmit\([^,]*,(\d+)\)$/.exec(a) ?? /^goto_table:(\d+)$/.exec(a);
    if (m) out.push(Number(m[1]));
  }
  return out;
}

/** VNI -> local VLAN (tables 3/4/6). */
export interface BrTunLocalVlan {
  tunnelType: string;
  vni: number;
  lvid: number;
}

/** A table 20 unicast flow: frames to `mac` on local VLAN `lvid` go to tunnel `ofport`. */
export interface BrTunUnicast {
  lvid: number;
  mac: string;
  /** Output ofport; null when printed by name and the name is unknown. */
  ofport: number | null;
  /** VNI set on the way out (`tun_id`). */
  vni: number | null;
  /** Learned by table 10 (priority 1, hard_timeout) rather than written by l2pop (priority 2). */
  learned: boolean;
}

/** A table 21 ARP responder flow: requests for `ip` on `lvid` are answered with `mac`. */
export interface BrTunResponder {
  lvid: number;
  ip: string;
  mac: string | null;
}

/** A table 22 flood flow: BUM of local VLAN `lvid` is replicated to `ofports`. */
export interface BrTunFlood {
  lvid: number;
  vni: number | null;
  ofports: number[];
}

/**
 * How many of br-tun's flows carry one cookie. The OVS agent stamps every flow it installs with its
 * own random cookie, new at each start (`OVSAgentBridge.set_agent_uuid_stamp`; learned table 20
 * flows too: table 10's `learn(cookie=<default cookie>, ...)`), and its first loop deletes the flows
 * of every other cookie (ovs_neutron_agent.py `cleanup_stale_flows` -> ofswitch.py `cleanup_flows`
 * / `_dump_and_clean`). Two cookies: a restarted agent has not cleaned up yet.
 */
export interface BrTunCookie {
  /** `0x`-prefixed lower-case hex, as `ovs-ofctl dump-flows` prints it. */
  cookie: string;
  /** Flows with this cookie (every table). */
  flows: number;
}

/** What l2scope reads from br-tun's flows. */
export interface BrTunState {
  localVlans: BrTunLocalVlan[];
  unicast: BrTunUnicast[];
  responder: BrTunResponder[];
  flood: BrTunFlood[];
  /** Ofports that table 0 sends to a TUN_TO_LV table: the tunnel ports in use. */
  tunnelOfports: number[];
  /** Table 2 sends broadcast ARP to table 21: the agent's ARP responder is enabled (`setup_default_table`). */
  arpResponderEnabled: boolean;
  /**
   * The cookies of br-tun's flows with their flow counts, most flows first ({@link BrTunCookie});
   * absent in snapshots of node agents that predate it (unknown, not "none").
   */
  cookies?: BrTunCookie[];
}

/** A cookie as `0x` lower-case hex without leading zeros (`0x0` for zero); null when not a number. */
export function normalizeCookie(c: string): string | null {
  const t = c.trim().toLowerCase();
  if (/^0x[0-9a-f]{1,16}$/.test(t)) return `0x${t.slice(2).replace(/^0+(?=.)/, '')}`;
  if (/^\d{1,20}$/.test(t)) {
    const n = BigInt(t);
    return n <= 0xffffffffffffffffn ? `0x${n.toString(16)}` : null;
  }
  return null;
}

/** Count `flows` per cookie, most flows first (ties by cookie); flows without a readable cookie are left out. */
export function cookieCounts(flows: readonly Pick<OfFlow, 'cookie'>[]): BrTunCookie[] {
  const counts = new Map<string, number>();
  for (const f of flows) {
    const c = f.cookie === null ? null : normalizeCookie(f.cookie);
    if (c !== null) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return [...counts].map(([cookie, n]) => ({ cookie, flows: n })).sort((a, b) => b.flows - a.flows || compareText(a.cookie, b.cookie));
}

/**
 * Interpret br-tun's flows (see the module comment for the tables).
 * @param portNames interface name -> ofport, to resolve `output:"name"` (ovs-ofctl --names)
 */
export function parseBrTun(flows: OfFlow[], portNames: Record<string, number> = {}): BrTunState {
  const T = BR_TUN_TABLES;
  const resolve = (o: number | string): number | null => (typeof o === 'number' ? o : (portNames[o] ?? null));
  const tunId = (f: OfFlow): number | null => {
    const v = loaded(f.actions, ['NXM_NX_TUN_ID'], ['tun_id', 'tunnel_id'], ['set_tunnel', 'set_tunnel64']);
    return v === null ? null : parseOfInt(v);
  };
  const state: BrTunState = {
    localVlans: [],
    unicast: [],
    responder: [],
    flood: [],
    tunnelOfports: [],
    arpResponderEnabled: false,
    cookies: cookieCounts(flows),
  };
  for (const f of flows) {
    if (f.table === T.LOCAL_SWITCHING && f.match.in_port !== undefined) {
      const port = parseOfInt(f.match.in_port.replace(/^"(.*)"$/, '$1')) ?? portNames[f.match.in_port.replace(/^"(.*)"$/, '$1')] ?? null;
      if (port !== null && flowNextTables(f.actions).some((t) => TUN_TABLE_TYPE[t] !== undefined)) state.tunnelOfports.push(port);
    } else if (f.table === T.PATCH_LV_TO_TUN) {
      if (f.match.arp !== undefined && flowNextTables(f.actions).includes(T.ARP_RESPONDER)) state.arpResponderEnabled = true;
    } else if (TUN_TABLE_TYPE[f.table] !== undefined && f.match.tun_id !== undefined) {
      const vni = parseOfInt(f.match.tun_id.split('/')[0]!);
      const v = loaded(f.actions, ['OXM_OF_VLAN_VID', 'NXM_OF_VLAN_TCI'], ['vlan_vid'], ['mod_vlan_vid']);
      const lvid = v === null ? null : parseOfInt(v);
      if (vni !== null && lvid !== null) state.localVlans.push({ tunnelType: TUN_TABLE_TYPE[f.table]!, vni, lvid: lvid & 0xfff });
    } else if (f.table === T.UCAST_TO_TUN) {
      const mac = f.match.dl_dst ?? f.match.eth_dst;
      const lvid = flowVlan(f.match);
      const out = flowOutputs(f.actions)[0];
      if (mac && lvid !== null && out !== undefined) {
        state.unicast.push({ lvid, mac: mac.toLowerCase(), ofport: resolve(out), vni: tunId(f), learned: f.priority === 1 || f.hardTimeout !== null });
      }
    } else if (f.table === T.ARP_RESPONDER) {
      const ip = f.match.arp_tpa ?? f.match.nw_dst;
      const lvid = flowVlan(f.match);
      if (ip && lvid !== null) {
        const sha = loaded(f.actions, ['NXM_NX_ARP_SHA'], ['arp_sha'], []);
        const src = loaded(f.actions, [], ['eth_src'], ['mod_dl_src']);
        const mac = sha ? (sha.includes(':') ? sha.toLowerCase() : hexToMac(sha)) : src ? src.toLowerCase() : null;
        state.responder.push({ lvid, ip, mac });
      }
    } else if (f.table === T.FLOOD_TO_TUN) {
      const lvid = flowVlan(f.match);
      if (lvid === null) continue;
      const ofports = flowOutputs(f.actions)
        .map(resolve)
        .filter((p): p is number => p !== null);
      state.flood.push({ lvid, vni: tunId(f), ofports: [...new Set(ofports)].sort((a, b) => a - b) });
    }
  }
  state.tunnelOfports = [...new Set(state.tunnelOfports)].sort((a, b) => a - b);
  state.localVlans.sort((a, b) => a.vni - b.vni);
  state.unicast.sort((a, b) => a.lvid - b.lvid || compareText(a.mac, b.mac));
  state.responder.sort((a, b) => a.lvid - b.lvid || compareText(a.ip, b.ip));
  state.flood.sort((a, b) => a.lvid - b.lvid);
  return state;
}
