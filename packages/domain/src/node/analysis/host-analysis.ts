/**
 * The analysis of one host ({@link analyzeHost}): what it holds per network (held-state.ts), how
 * it runs l2pop (host-mode.ts), its drift against what it was told (drift.ts, told.ts) and its
 * flood lists (flood-list.ts); and the network index of the model it reads ({@link networkIndex}).
 * The drivers (analyzeNodes, NodeAnalyzer) are in analyzer.ts.
 */
import type { AgentLiveness } from '../../agent-liveness';
import type { NetworkView } from '../../model';
import { linuxBridgeNames } from '../kernel';
import { compareNatural, compareText, sortStr } from '../util';
import type { Env, HostCtx } from './context';
import { DRIFT_CLASSES, type DriftItem, type ForeignMac, driftFor } from './drift';
import { toldTo, networkTold } from './told';
import type { Finding } from './findings';
import { type FloodList, floodFor } from './flood-list';
import { linuxbridgeHeld, openvswitchHeld, segmentId } from './held-state';
import { type HostMode, hostMode } from './host-mode';
import { staleTunnelFinding } from './stale-tunnels';
import { splitUnmaintained } from './unmaintained';

/** The analysis of one host. */
export interface HostAnalysis {
  mode: HostMode;
  drift: DriftItem[];
  /** Learned MACs l2pop never announced, on a host that runs l2pop (not drift; sorted like drift). */
  foreignMacs: ForeignMac[];
  /** Per network id. */
  flood: Record<string, FloodList>;
  /** The snapshot analysed; null when the model knows the host but no snapshot was given. */
  snapshot: { takenAt: string; seq: number; instance: string } | null;
  /**
   * Its agent's liveness from report_state at the analysis' time (`withAgentLiveness`, agent-liveness.ts);
   * null when it never reported; absent from the plain per-host analysis (and from analyses stored before it).
   */
  agent?: AgentLiveness | null;
}

/**
 * One host's mode, drift and flood lists (fills `c.held`, `c.mode`, `c.l2pop`, `c.arpEffective`).
 * @param anon the model id of the anonymous record of the host's VTEP (`vtep:<ip>`), whose memberships are the host's too
 * @returns the analysis, what it read from the model (network ids, `#vni:<n>` mappings), whether
 *   it expanded multicast groups (then it depends on every host's groups), and its host-wide
 *   `stale_tunnel_port` finding (Open vSwitch; stale-tunnels.ts) or null
 */
export function analyzeHost(
  c: HostCtx,
  anon: string | null,
  env: Env,
): { result: HostAnalysis; deps: Set<string>; usesGroups: boolean; stale: Finding | null } {
  const { model, byVni, bySegment, vniOf } = env;
  if (c.type === 'linuxbridge') linuxbridgeHeld(c, byVni);
  else if (c.type === 'openvswitch') openvswitchHeld(c, byVni, bySegment);
  c.mode = hostMode(c);
  c.l2pop = c.mode.l2pop === 'on' ? true : c.mode.l2pop === 'off' ? false : null;
  c.arpEffective = c.mode.arpResponder === 'on' ? true : c.mode.arpResponder === 'off' ? false : null;
  const deps = new Set<string>();
  for (const d of c.snap?.linuxbridge?.vxlan ?? []) if (d.vni !== null) deps.add(`#${segmentId('vxlan', d.vni)}`);
  for (const lv of c.snap?.openvswitch?.brTun?.localVlans ?? []) deps.add(`#${segmentId(lv.tunnelType, lv.vni)}`);
  let usesGroups = false;

  const drift: DriftItem[] = [];
  const foreignMacs: ForeignMac[] = [];
  const flood: Record<string, FloodList> = {};
  /** VTEPs with ports on the networks where the host has a local VLAN or ports: the tunnels l2pop needs. */
  const needed = new Set<string>();
  if (c.snap) {
    const members = new Set([...(c.modelId ? model.memberships(c.modelId) : []), ...(anon && anon !== c.modelId ? model.memberships(anon) : [])]);
    const networks = new Set<string>([...c.held.keys()]);
    for (const n of members) {
      deps.add(n);
      if (vniOf.get(n) !== null && vniOf.get(n) !== undefined) networks.add(n);
    }
    for (const network of sortStr(networks)) {
      deps.add(network);
      const vni = vniOf.get(network) ?? c.held.get(network)?.vni ?? null;
      let a = c.held.get(network) ?? null;
      const member = members.has(network);
      const f = env.facts(network);
      // OVS reclaims a network's local VLAN with its last port: nothing told without one
      if (c.type === 'openvswitch' && !a && !(c.vtep !== null && f.withPorts.has(c.vtep))) continue;
      for (const v of f.withPorts) needed.add(v);
      if (!a) {
        if (vni === null) continue;
        const dev = c.type === 'openvswitch' ? 'br-tun (no local VLAN)' : linuxBridgeNames.vxlan(vni);
        a = {
          network,
          vni,
          tunnelType: env.typeOf.get(network) ?? 'vxlan',
          present: false,
          dev,
          floodUnicast: new Map(),
          floodGroups: new Map(),
          rows: [],
          neigh: [],
          responder: null,
          device: null,
          lvid: null,
          l2popRows: [],
          notes: [],
        };
      }
      f.told ??= networkTold(f.entries);
      const told = toldTo(f.told, c.vtep, member);
      const responderWrites =
        c.type === 'openvswitch' ? c.arpEffective : c.mode.arpResponderSource === 'ini' ? c.arpEffective : (a.device?.proxy ?? c.arpEffective);
      let judged = a;
      if (!member && a.present && c.type === 'linuxbridge') {
        // rows of a network this host no longer serves: those that match today's announcements are unmaintained
        const split = splitUnmaintained(c.name, a, f.told, c.vtep);
        for (const d of split.items) drift.push(d);
        judged = split.rest;
      }
      for (const d of driftFor(c, judged, told, c.l2pop, responderWrites, foreignMacs)) drift.push(d);
      const ideal = f.ports.filter((v) => v !== c.vtep);
      if (a.present && a.floodGroups.size > 0) usesGroups = true;
      const fl = floodFor(
        a.present ? a : null,
        ideal,
        (v) => v !== c.vtep && f.floodSet.has(v),
        (g) => {
          const subs = [...(env.groupMembers.get(g) ?? [])].filter((v) => v !== c.vtep);
          // hosts without a snapshot: assume the ideal ones among them run flood-and-learn with this group
          const unknown = ideal.filter((v) => !env.snapVteps.has(v));
          return env.groupMembers.has(g) || unknown.length === 0 ? sortStr([...subs, ...unknown]) : null;
        },
        vni,
      );
      flood[network] = fl;
      c.mode.notes.push(...a.notes);
      if (!a.present && member && [...told.flood].some((v) => v !== c.vtep)) c.mode.notes.push(`${a.dev}: no state for network ${network} (VNI ${vni})`);
    }
  }
  drift.sort(
    (x, y) =>
      compareText(x.network, y.network) ||
      DRIFT_CLASSES.indexOf(x.class) - DRIFT_CLASSES.indexOf(y.class) ||
      compareText(x.mac ?? '', y.mac ?? '') ||
      compareNatural(x.ip ?? '', y.ip ?? '') ||
      compareNatural(x.vtep ?? '', y.vtep ?? ''),
  );
  foreignMacs.sort((x, y) => compareText(x.network, y.network) || compareText(x.mac, y.mac) || compareNatural(x.vtep ?? '', y.vtep ?? ''));
  const result: HostAnalysis = {
    mode: c.mode,
    drift,
    foreignMacs,
    flood,
    snapshot: c.snap ? { takenAt: c.snap.takenAt, seq: c.snap.seq, instance: c.snap.instance } : null,
  };
  const stale =
    c.type === 'openvswitch'
      ? staleTunnelFinding({ host: c.name, vtep: c.vtep, l2pop: c.l2pop, snap: c.snap, needed, complete: [...c.held.keys()].every((n) => vniOf.has(n)) })
      : null;
  return { result, deps, usesGroups, stale };
}

/** Tunnel types with their own segmentation id range that br-tun maps in its own table (3 GRE, 6 Geneve). */
const OTHER_TUNNEL_TYPES = new Set(['gre', 'geneve']);

/**
 * Network id of a segment as the model knows it: `byVni` for VXLAN VNIs (the first seen wins among
 * networks of a type other than GRE / Geneve), `bySegment` keyed {@link segmentId} for every
 * segment (`vni:<n>`, `gre:<n>`), else the analysis names the network by that key.
 */
export function networkIndex(networks: NetworkView[]): {
  byVni: Map<number, string>;
  bySegment: Map<string, string>;
  vniOf: Map<string, number | null>;
  typeOf: Map<string, string>;
} {
  const byVni = new Map<number, string>();
  const bySegment = new Map<string, string>();
  const vniOf = new Map<string, number | null>();
  const typeOf = new Map<string, string>();
  for (const n of [...networks].sort((a, b) => a.firstSeenAt - b.firstSeenAt)) {
    vniOf.set(n.id, n.vni);
    typeOf.set(n.id, n.networkType);
    if (n.vni === null) continue;
    if (OTHER_TUNNEL_TYPES.has(n.networkType)) {
      const k = segmentId(n.networkType, n.vni);
      if (!bySegment.has(k)) bySegment.set(k, n.id);
    } else if (n.networkType === 'vxlan' || !byVni.has(n.vni)) byVni.set(n.vni, n.id);
  }
  for (const [vni, id] of byVni) bySegment.set(segmentId('vxlan', vni), id);
  return { byVni, bySegment, vniOf, typeOf };
}
