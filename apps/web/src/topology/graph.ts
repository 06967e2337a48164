/**
 * Model -> what the topology draws: one card per host (its bridges per network, their ports)
 * and tunnel edges between VTEPs per network (flood entries, unicast entries), with the card
 * sizes the layout needs. Pure: no React, no React Flow. Told FDB and flood lists come from
 * the domain's `toldFdbOf` over the model snapshot (memoised per host: a live batch recomputes
 * only the hosts whose record or networks' entries it changed).
 *
 * With the host view (`overlay`): each analysed host's card carries a drift badge, a flood edge
 * to a recipient the host's flood list misses becomes a `missing` edge, a recipient outside the
 * ideal list an `excess` edge, and flood edges carry the measured BUM rate (see overlay.ts).
 */
import {
  type HostView,
  type ModelSnapshot,
  hostIn,
  hostOfVtepIn,
  isMulticastIp,
  linuxBridgeNames,
  networkIn,
  networksByVtepIn,
  toldFdbOf,
} from '@l2scope/domain';
import { linkBumRate } from '../host-view/bum';
import { type ModelState, type PortView, portsOf, sortedHosts, vtepEntriesOf } from '../state/model';
import { type AgentDownMark, type DriftBadge, type NodeOverlay, agentDownMark, driftBadge } from './overlay';

/** Card geometry, shared by the layout (sizes) and the host node (inline heights): they must agree. */
export const CARD = {
  width: 316,
  header: 52,
  warning: 20,
  bridgeGap: 6,
  bridgeHeader: 22,
  row: 18,
  bridgePad: 4,
  bottomPad: 8,
  /** Port rows shown per bridge before "+N more". */
  maxPorts: 8,
  /** Bridges shown per host before "+N networks". */
  maxBridges: 6,
} as const;

/** Above these, ports collapse into counts and edges are drawn for the selected network only. */
export const LARGE_HOSTS = 120;
export const LARGE_PORT_ROWS = 1_500;
/** Most tunnel edges drawn at once. */
export const MAX_EDGES = 1_500;
/** In a large cloud, a picked network with more VTEPs than this shows flood edges only (unicast counts in the host panel). */
export const DENSE_MESH = 12;

export type AgentKind = 'linuxbridge' | 'ovs' | 'unknown';
export type L2popState = 'on' | 'off' | 'unknown';

/** One network's bridge on a host. */
export interface BridgeCard {
  network: string;
  vni: number | null;
  /** `brq<net[:11]>` (Linux bridge), `br-tun` (OVS), or null when the agent is unknown. */
  bridge: string | null;
  /** `vxlan-<VNI>` on Linux bridge; null otherwise. */
  vxlan: string | null;
  /** Ports shown (empty when collapsed). */
  ports: PortView[];
  portCount: number;
  /** Ports shown as a count only. */
  collapsed: boolean;
  /** The VTEP floods this network (its flood entry is present). */
  flood: boolean;
  highlighted: boolean;
  dimmed: boolean;
}

/** One host card. */
export interface HostCard {
  id: string;
  /** Host name, or the VTEP IP for a host no agent report has named yet. */
  title: string;
  named: boolean;
  vtep: string | null;
  agentType: string | null;
  agentKind: AgentKind;
  l2pop: L2popState;
  arpResponder: boolean | null;
  bridges: BridgeCard[];
  /** Bridges not shown on the card (see the side panel). */
  hiddenBridges: number;
  /** Host view of the host (null: no node agent, or the host view is not loaded). */
  drift: DriftBadge | null;
  /** One-line flood problem shown on the card (excess multicast copies), null when none. */
  floodNote: string | null;
  /** Its L2 agent is down (the worker's verdict, `agent_down`): a warning line on the card; null when alive or unknown. */
  agentDown: AgentDownMark | null;
  dimmed: boolean;
  selected: boolean;
  width: number;
  height: number;
}

/**
 * Edge kinds: `flood` / `unicast`: what the source was told (and, per its flood list, holds);
 * `missing`: an ideal flood recipient the source does not replicate to (BUM lost);
 * `excess`: a recipient the source replicates to outside the ideal list (wasted copies).
 */
export type TunnelKind = 'flood' | 'unicast' | 'missing' | 'excess';

/** A tunnel edge: what host `source` was told about VTEP `targetVtep` on one network. */
export interface TunnelEdge {
  /** React Flow id, also the test id suffix: `<kind>-<network>-<sourceVtep>-<targetVtep>`. */
  id: string;
  kind: TunnelKind;
  network: string;
  vni: number | null;
  source: string;
  target: string;
  sourceVtep: string;
  targetVtep: string;
  /** Unicast entries (MACs) of the target the source holds; 0 for flood edges. */
  macs: number;
  /** Whether the source agent applies what it was told (false: l2_population = false; null: unknown). */
  applied: boolean | null;
  /** Measured BUM frames/s source -> target on this VNI (latest BUM report); null when not measured or a unicast edge. */
  bumFps: number | null;
  /** Perpendicular offset (px) of the curve, to the right of the source -> target direction. */
  offset: number;
  dimmed: boolean;
}

export interface TopologyGraph {
  hosts: HostCard[];
  edges: TunnelEdge[];
  large: boolean;
  /** Why edges are partly or not drawn, for the operator. */
  edgeNotice: string | null;
  /** Changes when the layout must be recomputed (host set, memberships, card sizes). */
  layoutKey: string;
}

export interface TopologyOptions {
  selectedNetwork: string | null;
  selectedHost: string | null;
  /** The host view (drift badges, flood list classes, BUM rates); absent: told state only. */
  overlay?: NodeOverlay | null;
}

/** Card heights are laid out in slots of this size: a card growing within its slot keeps the layout. */
export const HEIGHT_SLOT = 120;

/** The height the layout reserves for a card (its height rounded up to a slot). */
export function layoutSlot(height: number): number {
  return Math.ceil(height / HEIGHT_SLOT) * HEIGHT_SLOT;
}

/** Agent kind from the reported agent type. */
export function agentKind(agentType: string | null): AgentKind {
  if (!agentType) return 'unknown';
  const t = agentType.toLowerCase();
  if (t.includes('linux bridge')) return 'linuxbridge';
  if (t.includes('open vswitch') || t.includes('ovs')) return 'ovs';
  return 'unknown';
}

/** `on` / `off` / `unknown` from the agent's reported `l2_population`. */
export function l2popState(h: HostView): L2popState {
  return h.l2population === null ? 'unknown' : h.l2population ? 'on' : 'off';
}

/** VTEP IP -> networks it has entries on (the domain's index, built once per VTEP entries array). */
export function networksByVtep(model: ModelState): ReadonlyMap<string, ReadonlySet<string>> {
  return networksByVtepIn(model.snapshot);
}

/** Networks a host is in: its `network_map` memberships, plus networks its VTEP has entries on. */
export function hostNetworks(h: HostView, byVtep: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const ids = new Set(Object.keys(h.networks));
  if (h.vtep) for (const n of byVtep.get(h.vtep) ?? []) ids.add(n);
  return [...ids];
}

function networkOrder(s: ModelSnapshot) {
  return (a: string, b: string) => {
    const va = networkIn(s, a)?.vni ?? Infinity;
    const vb = networkIn(s, b)?.vni ?? Infinity;
    return va - vb || a.localeCompare(b);
  };
}

/** Height of a card with these bridges and warning lines (`true` = one; must match HostNode's rendering). */
export function cardHeight(bridges: readonly BridgeCard[], hiddenBridges: number, warnings: boolean | number): number {
  let h = CARD.header + Number(warnings) * CARD.warning;
  for (const b of bridges) {
    const shown = b.collapsed ? 1 : Math.min(b.ports.length, CARD.maxPorts) + (b.ports.length > CARD.maxPorts ? 1 : 0);
    h += CARD.bridgeGap + CARD.bridgeHeader + Math.max(1, shown) * CARD.row + CARD.bridgePad;
  }
  if (hiddenBridges > 0) h += CARD.bridgeGap + CARD.row;
  return h + CARD.bottomPad;
}

/** Build the topology for a model state. */
export function buildTopology(model: ModelState, opts: TopologyOptions): TopologyGraph {
  const hosts = sortedHosts(model);
  const byNet = networkOrder(model.snapshot);
  let portRows = 0;
  for (const v of model.snapshot.vteps) portRows += v.macs.length;
  const large = hosts.length > LARGE_HOSTS || portRows > LARGE_PORT_ROWS;
  const sel = opts.selectedNetwork;
  const byVtep = networksByVtep(model);

  const cards: HostCard[] = hosts.map((h) => {
    const kind = agentKind(h.agentType);
    const nets = hostNetworks(h, byVtep).sort(byNet);
    // the selected network first, so it is never among the hidden ones
    if (sel && nets.includes(sel)) nets.splice(0, 0, ...nets.splice(nets.indexOf(sel), 1));
    const shown = nets.slice(0, CARD.maxBridges);
    const bridges = shown.map((network): BridgeCard => {
      const vni = networkIn(model.snapshot, network)?.vni ?? null;
      const entries = h.vtep ? vtepEntriesOf(model, network, h.vtep) : undefined;
      const ports = portsOf(entries);
      return {
        network,
        vni,
        bridge: kind === 'linuxbridge' ? linuxBridgeNames.bridge(network) : kind === 'ovs' ? 'br-tun' : null,
        vxlan: kind === 'linuxbridge' && vni !== null ? linuxBridgeNames.vxlan(vni) : null,
        ports: large ? [] : ports,
        portCount: ports.length,
        collapsed: large,
        flood: entries?.flood ?? false,
        highlighted: sel === network,
        dimmed: sel !== null && sel !== network,
      };
    });
    const hiddenBridges = nets.length - shown.length;
    const drift = driftBadge(h.name ?? h.id, opts.overlay);
    const floodNote = drift && drift.excessGroups.length ? `BUM also to ${drift.excessGroups.join(', ')}: excess copies` : null;
    const agentDown = h.name !== null ? agentDownMark(h.name, opts.overlay) : null;
    const warnings = Number(h.l2population === false) + Number(floodNote !== null) + Number(agentDown !== null);
    return {
      id: h.id,
      title: h.name ?? h.vtep ?? h.id,
      named: h.name !== null,
      vtep: h.vtep,
      agentType: h.agentType,
      agentKind: kind,
      l2pop: l2popState(h),
      arpResponder: h.arpResponder,
      bridges,
      hiddenBridges,
      drift,
      floodNote,
      agentDown,
      dimmed: sel !== null && !nets.includes(sel),
      selected: opts.selectedHost === h.id,
      width: CARD.width,
      height: cardHeight(bridges, hiddenBridges, warnings),
    };
  });

  const { edges, notice } = buildEdges(model, hosts, large, opts);
  // large clouds re-pack on a network pick (its members first); small ones keep their places
  const cardsKey = cards
    .map(
      (c) =>
        `${c.id}:${layoutSlot(c.height)}:${c.bridges
          .map((b) => b.network)
          .sort()
          .join(',')}`,
    )
    .join('|');
  const layoutKey = large ? `${sel ?? ''}#${cardsKey}` : cardsKey;
  return { hosts: cards, edges, large, edgeNotice: notice, layoutKey };
}

function buildEdges(model: ModelState, hosts: HostView[], large: boolean, opts: TopologyOptions): { edges: TunnelEdge[]; notice: string | null } {
  const sel = opts.selectedNetwork;
  if (large && !sel) return { edges: [], notice: 'Large cloud: pick a network to draw its tunnels.' };
  const s = model.snapshot;
  let raw: Omit<TunnelEdge, 'offset'>[] = [];
  for (const h of hosts) {
    if (!h.vtep) continue;
    for (const told of toldFdbOf(s, h.id)) {
      if (large && told.network !== sel) continue;
      const dimmed = sel !== null && told.network !== sel;
      const macsByVtep = new Map<string, number>();
      for (const row of told.fdb) if (!row.flood) macsByVtep.set(row.vtep, (macsByVtep.get(row.vtep) ?? 0) + 1);
      for (const vtep of told.floodList) {
        const target = hostOfVtepIn(s, vtep);
        if (!target || target === h.id) continue;
        raw.push({
          id: `flood-${told.network}-${h.vtep}-${vtep}`,
          kind: 'flood',
          network: told.network,
          vni: told.vni,
          source: h.id,
          target,
          sourceVtep: h.vtep,
          targetVtep: vtep,
          macs: 0,
          applied: told.applied,
          bumFps: null,
          dimmed,
        });
      }
      for (const [vtep, macs] of macsByVtep) {
        const target = hostOfVtepIn(s, vtep);
        if (!target || target === h.id) continue;
        raw.push({
          id: `unicast-${told.network}-${h.vtep}-${vtep}`,
          kind: 'unicast',
          network: told.network,
          vni: told.vni,
          source: h.id,
          target,
          sourceVtep: h.vtep,
          targetVtep: vtep,
          macs,
          applied: told.applied,
          bumFps: null,
          dimmed,
        });
      }
    }
  }
  if (opts.overlay) raw = withNodeView(raw, model, hosts, large, opts.overlay, sel);
  let notice: string | null = null;
  let kept = raw;
  if (large && sel) {
    const members = new Set(raw.map((e) => e.source));
    if (members.size > DENSE_MESH) {
      kept = raw.filter((e) => e.kind !== 'unicast');
      notice = `Dense network (${members.size} VTEPs): flood entries only; a host's panel lists its unicast entries.`;
    }
  }
  if (kept.length > MAX_EDGES) {
    const all = kept.length;
    if (opts.selectedHost) {
      kept = kept.filter((e) => e.source === opts.selectedHost || e.target === opts.selectedHost);
      notice = `${all.toLocaleString()} tunnel entries: showing those of the selected host only.`;
    } else {
      kept = [];
      notice = `${all.toLocaleString()} tunnel entries: select a host to draw its tunnels.`;
    }
    if (kept.length > MAX_EDGES) kept = kept.slice(0, MAX_EDGES);
  }
  // in a large cloud, the selected host's tunnels stand out of the mesh
  const focus = large ? opts.selectedHost : null;
  if (focus && kept.some((e) => e.source === focus || e.target === focus)) {
    kept = kept.map((e) => (e.source === focus || e.target === focus || e.dimmed ? e : { ...e, dimmed: true }));
  }
  return { edges: withOffsets(kept, networkOrder(s)), notice };
}

/**
 * Apply the host view to the told edges: a flood recipient the source's flood list misses turns
 * its edge into a `missing` one (added when not told), a recipient outside the ideal list adds an
 * `excess` edge; flood and excess edges get the measured BUM rate.
 */
function withNodeView(
  raw: Omit<TunnelEdge, 'offset'>[],
  model: ModelState,
  hosts: HostView[],
  large: boolean,
  o: NodeOverlay,
  sel: string | null,
): Omit<TunnelEdge, 'offset'>[] {
  const s = model.snapshot;
  const byId = new Map(raw.map((e) => [e.id, e]));
  const nameOf = (id: string) => hostIn(s, id)?.name ?? id;
  for (const h of hosts) {
    if (!h.vtep) continue;
    const name = h.name ?? h.id;
    for (const [network, perHost] of o.floods) {
      if (large && network !== sel) continue;
      const fl = perHost.get(name);
      if (!fl) continue;
      const vni = networkIn(s, network)?.vni ?? fl.vni;
      const dimmed = sel !== null && network !== sel;
      for (const [kind, list] of [
        ['missing', fl.missing],
        ['excess', fl.excess],
      ] as const) {
        for (const vtep of list) {
          if (isMulticastIp(vtep)) continue;
          const target = hostOfVtepIn(s, vtep);
          if (!target || target === h.id) continue;
          const told = byId.get(`flood-${network}-${h.vtep}-${vtep}`);
          byId.delete(`flood-${network}-${h.vtep}-${vtep}`);
          const id = `${kind}-${network}-${h.vtep}-${vtep}`;
          byId.set(id, {
            id,
            kind,
            network,
            vni,
            source: h.id,
            target,
            sourceVtep: h.vtep,
            targetVtep: vtep,
            macs: 0,
            applied: told?.applied ?? h.l2population,
            bumFps: null,
            dimmed,
          });
        }
      }
    }
  }
  return [...byId.values()].map((e) =>
    e.kind === 'unicast'
      ? e
      : { ...e, bumFps: linkBumRate(o.bum, { host: nameOf(e.source), vtep: e.sourceVtep }, { host: nameOf(e.target), vtep: e.targetVtep }, e.vni) },
  );
}

/** Fan out the edges of one host pair: each network gets a lane; flood outside, unicast inside. */
function withOffsets(edges: Omit<TunnelEdge, 'offset'>[], order: (a: string, b: string) => number): TunnelEdge[] {
  const pairNets = new Map<string, string[]>();
  const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  for (const e of edges) {
    const k = pairKey(e.source, e.target);
    const list = pairNets.get(k);
    if (!list) pairNets.set(k, [e.network]);
    else if (!list.includes(e.network)) list.push(e.network);
  }
  for (const list of pairNets.values()) list.sort(order);
  return edges.map((e) => {
    const lane = pairNets.get(pairKey(e.source, e.target))!.indexOf(e.network);
    const base = 14 + lane * 34;
    return { ...e, offset: e.kind === 'unicast' ? base : base + 16 };
  });
}
