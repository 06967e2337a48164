/**
 * NodeSnapshot: what a node agent sends the worker about one hypervisor (docs/l2pop.md#node-state), versioned
 * `l2scope.node-snapshot/1`, compact (parsed rows that l2pop analysis reads, never raw command
 * output) and bounded (every list has a maximum; the builder truncates and says so in `truncated`).
 *
 * Full and delta: a `full` snapshot carries every section. A `delta` carries `baseSeq` (the `seq`
 * of the snapshot it applies to, same `instance`) and only the sections that changed; each section
 * present REPLACES the previous one whole (`linuxbridge.fdb`, `.neigh`, `.vxlan`, `.bridges`,
 * `openvswitch.tunnelPorts`, `.brTun`, `agent`; `linuxbridge` / `openvswitch` set to null drop the
 * whole part). So `applyNodeDelta(lastFull, delta)` is the new full snapshot, and
 * `diffNodeSnapshots(prev, next)` builds the delta. A receiver that misses a delta (baseSeq is not
 * its seq, or the instance changed) asks for / waits for the next full one (sent on start and every
 * N seconds).
 */
import { z } from 'zod';
import { type BridgeFdbRow, type NeighRow, parseBridgeFdb, parseIpNeigh } from './kernel';
import type { RawNodeOutputs } from './commands';
import { type AgentIni, detectAgentType, parseAgentIni, parseIni } from './ini';
import { type LinuxBridge, type VxlanDevice, parseBridges, parseVxlanLinks } from './linuxbridge';
import { type BrTunState, type OfFlow, type OvsTunnelPort, parseBrTun, parseOfctlFlows, parseOvsTunnelPorts, parseOvsVsctlShow, parseOvsdbTable } from './ovs';
import { type HostLink, type OvsBridge, OVS_HOST_LIMITS, parseHybridLinks, parseOvsVsctlBridges } from './ovs-host';
import { brTunPatchFlows } from './ovs-datapath';
import { MAX_DVR_FLOW_ROWS, parseDvrFlows } from '../dvr/flows';
import { QROUTER_LIMITS, parseQrouterNeigh } from '../dvr/neigh';

/** The schema tag of every node snapshot of this version. */
export const NODE_SNAPSHOT_SCHEMA = 'l2scope.node-snapshot/1';

/** Maximum list lengths (rows); a snapshot over them is invalid, the builder truncates to them. */
export const NODE_SNAPSHOT_LIMITS = {
  fdb: 200_000,
  neigh: 200_000,
  vxlan: 20_000,
  bridges: 20_000,
  bridgePorts: 4_096,
  tunnelPorts: 20_000,
  localVlans: 4_096,
  unicast: 200_000,
  responder: 200_000,
  flood: 4_096,
  floodPorts: 20_000,
  tunnelOfports: 20_000,
  errors: 50,
  cookies: 64,
} as const;

const name = z.string().min(1).max(256);
const ipText = z.string().min(1).max(64);
const macText = z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'not a lower-case MAC address');
const port = z.number().int().min(0).max(65535);
const short = z.string().max(64);
const L = NODE_SNAPSHOT_LIMITS;

const fdbRowSchema: z.ZodType<BridgeFdbRow> = z.object({
  mac: macText,
  dev: name,
  dst: ipText.nullable(),
  master: name.nullable(),
  flags: z.array(short).max(16),
  state: short,
});

const neighRowSchema: z.ZodType<NeighRow> = z.object({
  ip: ipText,
  dev: name,
  mac: z.string().max(64).nullable(),
  state: z.array(short).max(16),
});

const vxlanDeviceSchema: z.ZodType<VxlanDevice> = z.object({
  name,
  vni: z.number().int().min(0).max(0xffffff).nullable(),
  local: ipText.nullable(),
  group: ipText.nullable(),
  remote: ipText.nullable(),
  link: name.nullable(),
  dstport: port.nullable(),
  proxy: z.boolean(),
  learning: z.boolean().nullable(),
  external: z.boolean(),
  master: name.nullable(),
  up: z.boolean(),
});

const bridgeSchema: z.ZodType<LinuxBridge> = z.object({
  name,
  up: z.boolean(),
  ports: z.array(z.object({ name, state: short.nullable() })).max(L.bridgePorts),
});

const agentIniSchema: z.ZodType<AgentIni> = z.object({
  type: z.enum(['linuxbridge', 'openvswitch']),
  localIp: ipText.nullable(),
  l2population: z.boolean(),
  arpResponder: z.boolean(),
  arpResponderEffective: z.boolean(),
  tunnelTypes: z.array(short).max(8),
  vxlanGroup: z.string().max(64).nullable(),
  multicastRanges: z.array(z.string().max(128)).max(256),
  udpPortConfigured: port.nullable(),
  udpPort: port,
  distributedRouting: z.boolean().nullable(),
  invalid: z.array(z.string().max(512)).max(64),
});

const tunnelPortSchema: z.ZodType<OvsTunnelPort> = z.object({
  name,
  ofport: z.number().int().min(-1).nullable(),
  type: short,
  remoteIp: ipText,
  localIp: ipText.nullable(),
  dstPort: port.nullable(),
});

const lvid = z.number().int().min(0).max(4095);
const vni = z.number().int().min(0).max(0xffffff);

const brTunSchema: z.ZodType<BrTunState> = z.object({
  localVlans: z.array(z.object({ tunnelType: short, vni, lvid })).max(L.localVlans),
  unicast: z.array(z.object({ lvid, mac: macText, ofport: z.number().int().nullable(), vni: vni.nullable(), learned: z.boolean() })).max(L.unicast),
  responder: z.array(z.object({ lvid, ip: ipText, mac: macText.nullable() })).max(L.responder),
  flood: z.array(z.object({ lvid, vni: vni.nullable(), ofports: z.array(z.number().int()).max(L.floodPorts) })).max(L.flood),
  tunnelOfports: z.array(z.number().int()).max(L.tunnelOfports),
  arpResponderEnabled: z.boolean(),
  cookies: z
    .array(z.object({ cookie: z.string().regex(/^0x[0-9a-f]{1,16}$/, 'not a 0x hex cookie'), flows: z.number().int().min(0) }))
    .max(L.cookies)
    .optional(),
});

/** The Linux bridge part: the VXLAN devices' own FDB and neighbour rows, the devices, the bridges. */
export const linuxbridgeSectionSchema = z.object({
  /** `bridge fdb` rows on VXLAN devices with the `self` flag (where l2pop and VXLAN learning write). */
  fdb: z.array(fdbRowSchema).max(L.fdb),
  /** `ip neigh` rows on VXLAN devices. */
  neigh: z.array(neighRowSchema).max(L.neigh),
  vxlan: z.array(vxlanDeviceSchema).max(L.vxlan),
  bridges: z.array(bridgeSchema).max(L.bridges),
});

const macStr = z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'not a lower-case MAC');
const vlanNum = z.number().int().min(0).max(4095).nullable();
const DF = MAX_DVR_FLOW_ROWS;
/** DVR flows and router namespaces (dvr/flows.ts `DvrFlows`, dvr/neigh.ts), bounded. */
export const dvrSectionSchema = z.object({
  flows: z.object({
    process: z.array(z.object({ vlan: vlanNum, qrMac: macStr, dvrMac: macStr })).max(DF),
    qrDrops: z.array(z.object({ vlan: vlanNum, qrMac: macStr })).max(DF),
    notLearn: z.array(macStr).max(DF),
    brIntDvrMacs: z.array(macStr).max(DF),
    toSrcMac: z.array(z.object({ vlan: vlanNum, vmMac: macStr, gatewayMac: macStr })).max(DF),
    arpToGateway: z.array(z.object({ vlan: vlanNum, dvrMac: macStr, gatewayMac: macStr })).max(DF),
  }),
  /** `qrouter-*` namespaces (router ids) and their static ARP entries; null when not read. */
  routers: z
    .object({
      namespaces: z.array(z.string().max(255)).max(QROUTER_LIMITS.namespaces),
      entries: z
        .array(z.object({ router: z.string().max(255), device: z.string().max(32), ip: z.string().max(64), mac: z.string().max(64) }))
        .max(QROUTER_LIMITS.entries),
    })
    .nullable(),
});

const ofportNum = z.number().int().min(-1).nullable();
const ovsBridgeSchema: z.ZodType<OvsBridge> = z.object({
  name,
  ports: z.array(z.object({ name, tag: lvid.nullable(), type: short, ofport: ofportNum, peer: name.nullable() })).max(OVS_HOST_LIMITS.portsPerBridge),
});
const hostLinkSchema: z.ZodType<HostLink> = z.object({ name, kind: short.nullable(), master: name.nullable(), peer: name.nullable(), up: z.boolean() });

/** An OVS host's datapath beyond br-tun's l2pop tables (ovs-host.ts, ovs-datapath.ts), bounded. */
export const ovsHostSectionSchema = z.object({
  /** Every OVS bridge with its ports (tag = lvid on br-int, patch peers, ofports); empty when `ovs-vsctl show` was unread. */
  bridges: z.array(ovsBridgeSchema).max(OVS_HOST_LIMITS.bridges),
  /** The hybrid firewall chain's kernel links (tap / qbr / qvb / qvo); null when `ip -d link` was unread. */
  links: z.array(hostLinkSchema).max(OVS_HOST_LIMITS.links).nullable(),
  /** br-tun table 0 (patch port -> table 2) and table 10 (output to the patch port); null when br-tun was unread. */
  patch: z.object({ patchIn: z.array(z.number().int()).max(64), learnOutputs: z.array(z.number().int()).max(64) }).nullable(),
});
export type OvsHostSection = z.infer<typeof ovsHostSectionSchema>;

/** The Open vSwitch part: br-tun's tunnel ports and what its flows say. */
export const openvswitchSectionSchema = z.object({
  tunnelPorts: z.array(tunnelPortSchema).max(L.tunnelPorts),
  /** Parsed `ovs-ofctl dump-flows br-tun`; null when it could not be read. */
  brTun: brTunSchema.nullable(),
  /** DVR flows (br-tun t1/t9, br-int t0/t1/t3) and router namespaces; absent or null on a host without DVR (docs/dvr.md). */
  dvr: dvrSectionSchema.nullable().optional(),
  /** Bridges, ports, lvids and the hybrid chain (the host page's datapath); absent from node agents that predate it. */
  host: ovsHostSectionSchema.optional(),
});

export const agentSectionSchema = z.object({
  type: z.enum(['linuxbridge', 'openvswitch']),
  /** The agent's ini, parsed; null when not readable. */
  ini: agentIniSchema.nullable(),
});

const problemSchema = z.object({ source: z.string().max(64), message: z.string().max(2048) });

const common = {
  schema: z.literal(NODE_SNAPSHOT_SCHEMA),
  /** Neutron `host` of the agent (its `[DEFAULT] host`, the name in report_state and `binding:host_id`). */
  host: z.string().min(1).max(255),
  /** Random id of the node agent process: `seq` restarts with it. */
  instance: z.string().min(1).max(64),
  /** Monotonic per instance, starting at 1. */
  seq: z.number().int().positive(),
  /** When the commands ran (ISO-8601, UTC). */
  takenAt: z.iso.datetime({ offset: true }),
  /** Sections cut at {@link NODE_SNAPSHOT_LIMITS}, e.g. `linuxbridge.fdb`. */
  truncated: z.array(z.string().max(64)).max(16),
  /** Commands or parsers that failed (`source` = raw output name, e.g. `flowsBrTun`). */
  errors: z.array(problemSchema).max(L.errors),
};

export const fullNodeSnapshotSchema = z.object({
  ...common,
  kind: z.literal('full'),
  agent: agentSectionSchema,
  /** Present for a Linux bridge agent's host, else null. */
  linuxbridge: linuxbridgeSectionSchema.nullable(),
  /** Present for an Open vSwitch agent's host, else null. */
  openvswitch: openvswitchSectionSchema.nullable(),
});

export const deltaNodeSnapshotSchema = z.object({
  ...common,
  kind: z.literal('delta'),
  /** `seq` of the snapshot this delta applies to (same `instance`). */
  baseSeq: z.number().int().positive(),
  agent: agentSectionSchema.optional(),
  linuxbridge: linuxbridgeSectionSchema.partial().nullable().optional(),
  openvswitch: openvswitchSectionSchema.partial().nullable().optional(),
});

export const nodeSnapshotSchema = z.discriminatedUnion('kind', [fullNodeSnapshotSchema, deltaNodeSnapshotSchema]);

export type LinuxbridgeSection = z.infer<typeof linuxbridgeSectionSchema>;
export type OpenvswitchSection = z.infer<typeof openvswitchSectionSchema>;
export type DvrSection = z.infer<typeof dvrSectionSchema>;
export type AgentSection = z.infer<typeof agentSectionSchema>;
export type FullNodeSnapshot = z.infer<typeof fullNodeSnapshotSchema>;
export type DeltaNodeSnapshot = z.infer<typeof deltaNodeSnapshotSchema>;
export type NodeSnapshot = z.infer<typeof nodeSnapshotSchema>;

/**
 * Validate a snapshot received from a node agent.
 * @throws ZodError naming the first bad field (wrong schema tag, list over its limit, ...)
 */
export function parseNodeSnapshot(json: unknown): NodeSnapshot {
  return nodeSnapshotSchema.parse(json);
}

/** Why a delta cannot be applied: the receiver must wait for (or request) a full snapshot. */
export class NodeDeltaMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NodeDeltaMismatch';
  }
}

/**
 * Apply a delta to the full snapshot it was built on.
 * @returns the new full snapshot (`seq`, `takenAt`, `truncated`, `errors` from the delta)
 * @throws NodeDeltaMismatch when host, instance or `baseSeq` do not match `base`
 */
export function applyNodeDelta(base: FullNodeSnapshot, delta: DeltaNodeSnapshot): FullNodeSnapshot {
  if (delta.host !== base.host) throw new NodeDeltaMismatch(`delta for host ${delta.host} applied to ${base.host}`);
  if (delta.instance !== base.instance) throw new NodeDeltaMismatch(`delta from agent instance ${delta.instance}, base from ${base.instance}`);
  if (delta.baseSeq !== base.seq) throw new NodeDeltaMismatch(`delta builds on seq ${delta.baseSeq}, base is seq ${base.seq}`);
  let linuxbridge = base.linuxbridge;
  if (delta.linuxbridge === null) linuxbridge = null;
  else if (delta.linuxbridge) {
    const b = base.linuxbridge ?? { fdb: [], neigh: [], vxlan: [], bridges: [] };
    linuxbridge = { ...b, ...stripUndefined(delta.linuxbridge) };
  }
  let openvswitch = base.openvswitch;
  if (delta.openvswitch === null) openvswitch = null;
  else if (delta.openvswitch) {
    const b = base.openvswitch ?? { tunnelPorts: [], brTun: null };
    openvswitch = { ...b, ...stripUndefined(delta.openvswitch) };
  }
  return {
    schema: NODE_SNAPSHOT_SCHEMA,
    kind: 'full',
    host: base.host,
    instance: base.instance,
    seq: delta.seq,
    takenAt: delta.takenAt,
    truncated: delta.truncated,
    errors: delta.errors,
    agent: delta.agent ?? base.agent,
    linuxbridge,
    openvswitch,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The delta that turns `prev` into `next` (both full, same host and instance): only changed
 * sections. A delta without sections is a valid heartbeat.
 * @throws NodeDeltaMismatch when host or instance differ (send `next` as a full snapshot instead)
 */
export function diffNodeSnapshots(prev: FullNodeSnapshot, next: FullNodeSnapshot): DeltaNodeSnapshot {
  if (prev.host !== next.host || prev.instance !== next.instance) throw new NodeDeltaMismatch('host or instance changed: send a full snapshot');
  const delta: DeltaNodeSnapshot = {
    schema: NODE_SNAPSHOT_SCHEMA,
    kind: 'delta',
    host: next.host,
    instance: next.instance,
    seq: next.seq,
    baseSeq: prev.seq,
    takenAt: next.takenAt,
    truncated: next.truncated,
    errors: next.errors,
  };
  if (!same(prev.agent, next.agent)) delta.agent = next.agent;
  if (next.linuxbridge === null) {
    if (prev.linuxbridge !== null) delta.linuxbridge = null;
  } else {
    const changed: Partial<LinuxbridgeSection> = {};
    for (const k of ['fdb', 'neigh', 'vxlan', 'bridges'] as const) {
      if (!prev.linuxbridge || !same(prev.linuxbridge[k], next.linuxbridge[k])) (changed as Record<string, unknown>)[k] = next.linuxbridge[k];
    }
    if (Object.keys(changed).length) delta.linuxbridge = changed;
  }
  if (next.openvswitch === null) {
    if (prev.openvswitch !== null) delta.openvswitch = null;
  } else {
    const changed: Partial<OpenvswitchSection> = {};
    for (const k of ['tunnelPorts', 'brTun', 'dvr', 'host'] as const) {
      if (!prev.openvswitch || !same(prev.openvswitch[k], next.openvswitch[k])) (changed as Record<string, unknown>)[k] = next.openvswitch[k];
    }
    if (Object.keys(changed).length) delta.openvswitch = changed;
  }
  return delta;
}

/** Input of {@link buildNodeSnapshot}. */
export interface BuildNodeSnapshotInput {
  host: string;
  instance: string;
  seq: number;
  /** Epoch ms the commands ran. */
  takenAt: number;
  raw: RawNodeOutputs;
  /** The agent type when known (e.g. from the node agent's config); else from the ini or the outputs present. */
  agentType?: 'linuxbridge' | 'openvswitch';
  /** Failures of commands that produced no output (`source` = raw output name). */
  errors?: { source: string; message: string }[];
}

const message = (e: unknown) =>
  e instanceof z.ZodError ? `${e.issues[0]?.path.join('.') ?? ''}: ${e.issues[0]?.message ?? 'invalid'}` : e instanceof Error ? e.message : String(e);

/**
 * Parse a node's raw command outputs into a full, compact, bounded snapshot. Pure. A failing parser
 * leaves its section empty (`brTun` null, `ini` null) and adds an `errors` entry; it never throws.
 * Kept: FDB rows on VXLAN devices with the `self` flag; neighbour rows on VXLAN devices.
 */
export function buildNodeSnapshot(input: BuildNodeSnapshotInput): FullNodeSnapshot {
  const { raw } = input;
  const errors = [...(input.errors ?? [])];
  const truncated: string[] = [];
  const attempt = <T>(source: string, text: string | undefined, parse: (t: string) => T, dflt: T): T => {
    if (text === undefined) return dflt;
    try {
      return parse(text);
    } catch (e) {
      errors.push({ source, message: message(e).slice(0, 2048) });
      return dflt;
    }
  };
  const cap = <T>(section: string, rows: T[], max: number): T[] => {
    if (rows.length <= max) return rows;
    truncated.push(section);
    return rows.slice(0, max);
  };

  const ovsOutputs = raw.ovsVsctl !== undefined || raw.flowsBrTun !== undefined || raw.ovsVsctlShow !== undefined;
  const lbOutputs = raw.bridgeFdb !== undefined || raw.ipLinkVxlan !== undefined || raw.ipNeigh !== undefined;
  const outputsType = ovsOutputs ? 'openvswitch' : lbOutputs ? 'linuxbridge' : undefined;
  const ini = attempt<AgentIni | null>(
    'agentIni',
    raw.agentIni,
    (t) => parseAgentIni(t, input.agentType ?? detectAgentType(parseIni(t).doc) ?? undefined),
    null,
  );
  const type = input.agentType ?? ini?.type ?? outputsType ?? 'linuxbridge';

  let linuxbridge: LinuxbridgeSection | null = null;
  let openvswitch: OpenvswitchSection | null = null;
  if (type === 'linuxbridge') {
    const vxlan = attempt('ipLinkVxlan', raw.ipLinkVxlan, parseVxlanLinks, []);
    const vxlanNames = new Set(vxlan.map((d) => d.name));
    const isVxlanDev = (dev: string) => (raw.ipLinkVxlan !== undefined ? vxlanNames.has(dev) : dev.startsWith('vxlan-'));
    const fdb = attempt('bridgeFdb', raw.bridgeFdb, parseBridgeFdb, []).filter((r) => isVxlanDev(r.dev) && r.flags.includes('self'));
    const neigh = attempt('ipNeigh', raw.ipNeigh, (t) => parseIpNeigh(t), []).filter((r) => isVxlanDev(r.dev));
    const bridgeText = raw.ipLinkBridge ?? raw.bridgeLink;
    const bridges = attempt('ipLinkBridge', bridgeText, () => parseBridges(raw.ipLinkBridge ?? '[]', raw.bridgeLink ?? '[]'), []);
    for (const b of bridges) b.ports = cap('linuxbridge.bridgePorts', b.ports, L.bridgePorts);
    linuxbridge = {
      fdb: cap('linuxbridge.fdb', fdb, L.fdb),
      neigh: cap('linuxbridge.neigh', neigh, L.neigh),
      vxlan: cap('linuxbridge.vxlan', vxlan, L.vxlan),
      bridges: cap('linuxbridge.bridges', bridges, L.bridges),
    };
  } else {
    let tunnelPorts = attempt('ovsVsctl', raw.ovsVsctl, parseOvsTunnelPorts, [] as OvsTunnelPort[]);
    if (raw.ovsVsctl === undefined || tunnelPorts.length === 0) {
      const fromShow = attempt('ovsVsctlShow', raw.ovsVsctlShow, parseOvsVsctlShow, [] as OvsTunnelPort[]);
      if (fromShow.length) tunnelPorts = fromShow;
    }
    const names: Record<string, number> = {};
    for (const p of tunnelPorts) if (p.ofport !== null) names[p.name] = p.ofport;
    let brTunFlows: OfFlow[] = [];
    const brTun = attempt<BrTunState | null>(
      'flowsBrTun',
      raw.flowsBrTun,
      (t) => {
        const { flows, errors: bad } = parseOfctlFlows(t);
        if (bad.length)
          errors.push({ source: 'flowsBrTun', message: `${bad.length} unreadable line(s), first: line ${bad[0]!.line}: ${bad[0]!.error}`.slice(0, 2048) });
        brTunFlows = flows;
        return parseBrTun(flows, names);
      },
      null,
    );
    const brIntFlows = attempt('flowsBrInt', raw.flowsBrInt, (t) => parseOfctlFlows(t).flows, [] as OfFlow[]);
    const routers = attempt('qrouterNeigh', raw.qrouterNeigh, parseQrouterNeigh, null);
    const dvrFlows = parseDvrFlows(brTunFlows, brIntFlows);
    const hasDvr = routers !== null || Object.values(dvrFlows).some((rows) => rows.length > 0);
    if (brTun) {
      brTun.unicast = cap('openvswitch.brTun.unicast', brTun.unicast, L.unicast);
      brTun.responder = cap('openvswitch.brTun.responder', brTun.responder, L.responder);
      brTun.flood = cap('openvswitch.brTun.flood', brTun.flood, L.flood);
      brTun.localVlans = cap('openvswitch.brTun.localVlans', brTun.localVlans, L.localVlans);
      if (brTun.cookies) brTun.cookies = cap('openvswitch.brTun.cookies', brTun.cookies, L.cookies);
    }
    const ofports: Record<string, number> = {};
    attempt(
      'ovsVsctl',
      raw.ovsVsctl,
      (t) => {
        for (const r of parseOvsdbTable(t)) if (typeof r.name === 'string' && typeof r.ofport === 'number') ofports[r.name] = r.ofport;
      },
      undefined,
    );
    const bridges = attempt('ovsVsctlShow', raw.ovsVsctlShow, (t) => parseOvsVsctlBridges(t, ofports), [] as OvsBridge[]);
    const links = attempt<HostLink[] | null>('ipLinkDetails', raw.ipLinkDetails, parseHybridLinks, null);
    const patch = brTun ? brTunPatchFlows(brTunFlows) : null;
    if (patch) {
      patch.patchIn = patch.patchIn.slice(0, 64);
      patch.learnOutputs = patch.learnOutputs.slice(0, 64);
    }
    // the parsers stop at OVS_HOST_LIMITS; reaching a limit means rows were left out
    if (bridges.length >= OVS_HOST_LIMITS.bridges || bridges.some((b) => b.ports.length >= OVS_HOST_LIMITS.portsPerBridge))
      truncated.push('openvswitch.host.bridges');
    if (links !== null && links.length >= OVS_HOST_LIMITS.links) truncated.push('openvswitch.host.links');
    const host = bridges.length || links !== null ? { bridges, links, patch } : undefined;
    openvswitch = {
      tunnelPorts: cap('openvswitch.tunnelPorts', tunnelPorts, L.tunnelPorts),
      brTun,
      ...(hasDvr ? { dvr: { flows: dvrFlows, routers } } : {}),
      ...(host ? { host } : {}),
    };
  }
  return {
    schema: NODE_SNAPSHOT_SCHEMA,
    kind: 'full',
    host: input.host,
    instance: input.instance,
    seq: input.seq,
    takenAt: new Date(input.takenAt).toISOString(),
    truncated: [...new Set(truncated)].slice(0, 16),
    errors: errors.slice(0, L.errors),
    agent: { type, ini },
    linuxbridge,
    openvswitch,
  };
}
