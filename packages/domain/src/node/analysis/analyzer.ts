/**
 * The analysis driver: {@link analyzeNodes} compares every host's snapshot with the model, and the
 * incremental {@link NodeAnalyzer} recomputes only what changed since its last run; both go host by
 * host through {@link analyzeHost} (held state, mode, drift, flood lists), then network by network
 * through the cross-host findings.
 */
import { ClusterModel, type ModelChange, type ModelSnapshot } from '../../model';
import type { VxlanDevice } from '../linuxbridge';
import type { FullNodeSnapshot } from '../snapshot';
import { type ProbeFree, ucastProbeNote, withoutUcastProbe } from '../ucast-probe';
import { compareText, sortStr } from '../util';
import type { Env, HostCtx, NetFacts } from './context';
import { type Finding, networkFindings } from './findings';
import { ALL_HOSTS_GROUP } from './flood-list';
import { type HostMode } from './host-mode';
import { type HostAnalysis, analyzeHost, networkIndex } from './host-analysis';

export type { HostAnalysis } from './host-analysis';

/** The result of {@link analyzeNodes}; `l2scope analyze` prints it (plus an `input` summary). */
export interface NodeAnalysis {
  hosts: Record<string, HostAnalysis>;
  findings: Finding[];
}

/** Input of {@link analyzeNodes} and {@link NodeAnalyzer.analyze}. */
export interface AnalyzeNodesInput {
  /** What l2pop told the agents: the live model, or its snapshot (e.g. from the database). */
  model: ClusterModel | ModelSnapshot;
  /** The latest full snapshot per host (later ones win when a host appears twice). */
  snapshots: FullNodeSnapshot[];
}

/**
 * Compare every host's snapshot with the model: per host its mode, drift and flood lists, and
 * cross-host findings. Hosts the model names without a snapshot are listed with their reported
 * mode only. Never throws on inconsistent input: what cannot be evaluated is said in `mode.notes`.
 * A full computation, O(FDB and neighbour rows of every host); to re-analyse after a few changes,
 * keep a {@link NodeAnalyzer}, which gives the same result.
 */
export function analyzeNodes(input: AnalyzeNodesInput): NodeAnalysis {
  return new NodeAnalyzer().analyze(input);
}

/** A host's cached analysis. */
interface HostEntry {
  snap: FullNodeSnapshot | null;
  /** Identity of the host in the model: `<modelId>\0<anonymous id of its VTEP>\0<vtep>\0<type>`. */
  key: string;
  ctx: HostCtx;
  result: HostAnalysis;
  /** Networks the result read from the model, and `#<segmentId>` (`#vni:<n>`, `#gre:<n>`) for each segment of its snapshot (their network id mapping). */
  deps: Set<string>;
  /** Its analysis expanded multicast groups (it depends on every host's groups and VTEPs). */
  usesGroups: boolean;
  /** Its host-wide `stale_tunnel_port` finding, or null. */
  stale: Finding | null;
}

/** What the last {@link NodeAnalyzer.analyze} did. */
export interface NodeAnalyzerStats {
  /** Everything was recomputed (first run, another model instance, {@link NodeAnalyzer.invalidate}). */
  full: boolean;
  /** Hosts analysed again (the others' results were reused as they are, same objects). */
  hostsAnalyzed: number;
  /** Hosts in the result. */
  hosts: number;
  /** Networks whose cross-host findings were computed again. */
  networksAnalyzed: number;
  /** Networks with findings evaluated. */
  networks: number;
}

const identity = (modelId: string | null, anon: string | null, vtep: string | null, type: string | null) =>
  `${modelId ?? ''}\u0000${anon ?? ''}\u0000${vtep ?? ''}\u0000${type ?? ''}`;

/**
 * Incremental {@link analyzeNodes}: keeps every host's analysis and every network's findings, and on
 * the next {@link analyze} recomputes only
 * - hosts whose snapshot is another object (a snapshot whose `agent`, `linuxbridge` and
 *   `openvswitch` sections are the same objects, e.g. a delta without sections, only gets its
 *   `snapshot` stamp updated), whose host record changed, or that hold, are members of, or have
 *   ports on a network that changed (VTEP entries, VNI);
 * - hosts that expand multicast groups, when a host's groups, VTEP or agent type changed;
 * - the findings of the networks those hosts take part in, and of the changed networks.
 * The result is deep-equal to `analyzeNodes` on the same inputs (reused parts are the same objects as
 * in the previous result: do not mutate them).
 *
 * Contract: every change list {@link ClusterModel.apply} returned since the last `analyze` must be
 * given to {@link modelChanged} (a model that is another instance than last time, or a
 * {@link ModelSnapshot}, is analysed in full). Not safe to share between models.
 */
export class NodeAnalyzer {
  private model: ClusterModel | null = null;
  private readonly hostCache = new Map<string, HostEntry>();
  private readonly netFacts = new Map<string, NetFacts>();
  private readonly findingCache = new Map<string, Finding[]>();
  private bySegment = new Map<string, string>();
  private vniOf = new Map<string, number | null>();
  private groupSig = '';
  private dirtyNetworks = new Set<string>();
  private dirtyHosts = new Set<string>();
  private everything = true;
  private last: NodeAnalyzerStats = { full: true, hostsAnalyzed: 0, hosts: 0, networksAnalyzed: 0, networks: 0 };

  /** Per snapshot received, the same snapshot without the agent's unicast probe (kept while the probe's VNI stays unknown). */
  private readonly probeFreeCache = new WeakMap<FullNodeSnapshot, ProbeFree>();

  private probeFree(s: FullNodeSnapshot, byVni: Map<number, string>): ProbeFree {
    const hit = this.probeFreeCache.get(s);
    if (hit?.probe && !byVni.has(hit.probe.vni!)) return hit;
    const out = s.linuxbridge ? withoutUcastProbe(s, (v) => byVni.has(v)) : { snapshot: s, probe: null };
    this.probeFreeCache.set(s, out);
    return out;
  }

  /** What the last {@link analyze} recomputed. */
  get stats(): NodeAnalyzerStats {
    return this.last;
  }

  /**
   * Changes folded into the model since the last {@link analyze} (what {@link ClusterModel.apply}
   * returned, in any order; duplicates are harmless). `host` / `host_removed` mark that host,
   * `vtep` / `vtep_removed`, `network` and `network_removed` that network.
   */
  modelChanged(changes: readonly ModelChange[]): void {
    for (const c of changes) {
      switch (c.type) {
        case 'host':
          this.dirtyHosts.add(c.host.id);
          break;
        case 'host_removed':
          this.dirtyHosts.add(c.id);
          break;
        case 'network':
          this.dirtyNetworks.add(c.network.id);
          break;
        case 'network_removed':
          this.dirtyNetworks.add(c.id);
          break;
        case 'vtep':
          this.dirtyNetworks.add(c.entries.network);
          break;
        case 'vtep_removed':
          this.dirtyNetworks.add(c.network);
          break;
      }
    }
  }

  /** Forget every cached result: the next {@link analyze} is a full one (e.g. after a model was rebuilt in place). */
  invalidate(): void {
    this.everything = true;
  }

  /**
   * Analyse, reusing what the changes since the last call did not touch.
   * @returns the same result as `analyzeNodes(input)`
   */
  analyze(input: AnalyzeNodesInput): NodeAnalysis {
    const model = input.model instanceof ClusterModel ? input.model : ClusterModel.fromSnapshot(input.model);
    const full = this.everything || model !== this.model;
    const dirtyNets = this.dirtyNetworks;
    const dirtyHosts = this.dirtyHosts;
    this.dirtyNetworks = new Set();
    this.dirtyHosts = new Set();
    this.everything = false;
    this.model = model;
    if (full) {
      this.hostCache.clear();
      this.netFacts.clear();
      this.findingCache.clear();
    }

    // networks: a changed segment -> network mapping changes every host holding that segment
    const { byVni, bySegment, vniOf, typeOf } = networkIndex(model.networkViews());
    const dirtyVnis = new Set<string>();
    if (!full) {
      for (const [seg, id] of bySegment) if (this.bySegment.get(seg) !== id) dirtyVnis.add(`#${seg}`);
      for (const [seg, id] of this.bySegment) {
        if (bySegment.get(seg) !== id) {
          dirtyVnis.add(`#${seg}`);
          dirtyNets.add(id);
        }
      }
      for (const [id, vni] of vniOf) if (this.vniOf.get(id) !== vni) dirtyNets.add(id);
      for (const id of this.vniOf.keys()) if (!vniOf.has(id)) dirtyNets.add(id);
      for (const v of dirtyVnis) {
        const seg = v.slice(1);
        dirtyNets.add(bySegment.get(seg) ?? seg);
        dirtyNets.add(seg);
      }
    }
    this.bySegment = bySegment;
    this.vniOf = vniOf;
    for (const n of dirtyNets) this.netFacts.delete(n);
    const facts = (network: string): NetFacts => {
      let f = this.netFacts.get(network);
      if (!f) {
        const entries = model.networkEntries(network).sort((a, b) => compareText(a.vtep, b.vtep));
        const withPorts = new Set<string>();
        const flooding: string[] = [];
        for (const v of entries) {
          if (v.flood || v.macs.length > 0) withPorts.add(v.vtep);
          if (v.flood) flooding.push(v.vtep);
        }
        f = { entries, withPorts, ports: sortStr(flooding), floodSet: new Set(flooding), told: null };
        this.netFacts.set(network, f);
      }
      return f;
    };

    // host identities (cheap, every host): snapshot hosts, then hosts the model names without a snapshot
    // the agent's unicast probe device is no network's state (ucast-probe.ts): left out, noted on the host
    const snaps = new Map<string, FullNodeSnapshot>();
    const probes = new Map<string, VxlanDevice>();
    for (const s0 of input.snapshots) {
      const { snapshot: s, probe } = this.probeFree(s0, byVni);
      snaps.set(s.host, s);
      if (probe) probes.set(s.host, probe);
    }
    interface Ident {
      name: string;
      modelId: string | null;
      snap: FullNodeSnapshot | null;
      type: HostCtx['type'];
      vtep: string | null;
      anon: string | null;
      key: string;
    }
    const idents: Ident[] = [];
    const seen = new Set<string>();
    for (const s of snaps.values()) {
      const ini = s.agent.ini;
      const localIp = ini?.localIp ?? s.linuxbridge?.vxlan.find((d) => d.local)?.local ?? s.openvswitch?.tunnelPorts.find((p) => p.localIp)?.localIp ?? null;
      let modelId: string | null = model.host(s.host) ? s.host : null;
      if (!modelId && localIp) modelId = model.hostOfVtep(localIp) ?? null;
      if (modelId) seen.add(modelId);
      const vtep = (modelId ? model.host(modelId)?.vtep : null) ?? localIp;
      // a host named only by a host-directed cast (no report_state yet) and its VTEP's anonymous record are the same agent
      const anon = vtep ? (model.hostOfVtep(vtep) ?? null) : null;
      idents.push({ name: s.host, modelId, snap: s, type: s.agent.type, vtep, anon, key: identity(modelId, anon, vtep, s.agent.type) });
    }
    for (const id of model.hostIds()) {
      const h = model.host(id)!;
      if (h.name === null || seen.has(h.id) || snaps.has(h.id)) continue;
      const type = h.agentType === 'Open vSwitch agent' ? 'openvswitch' : h.agentType ? 'linuxbridge' : null;
      idents.push({ name: h.name, modelId: h.id, snap: null, type, vtep: h.vtep, anon: null, key: identity(h.id, null, h.vtep, type) });
    }
    idents.sort((a, b) => compareText(a.name, b.name));

    // group subscribers: VTEPs of hosts whose VXLAN devices joined the group
    const groupMembers = new Map<string, Set<string>>();
    const snapVteps = new Set<string>();
    const sig: string[] = [];
    for (const c of idents) {
      let groups = '';
      for (const d of c.snap?.linuxbridge?.vxlan ?? []) {
        if (!d.group || !c.vtep) continue;
        const s = groupMembers.get(d.group) ?? new Set<string>();
        s.add(c.vtep);
        groupMembers.set(d.group, s);
        groups += ` ${d.group}`;
      }
      if (c.snap && c.vtep) snapVteps.add(c.vtep);
      sig.push(`${c.vtep ?? ''}/${c.snap ? 1 : 0}/${c.type ?? ''}${groups}`);
    }
    // 224.0.0.1 is the all-hosts group: every Linux host receives it without joining, and the kernel's
    // VXLAN socket (bound to the UDP port on any address) decapsulates it (docs/lab.md#mixed: the
    // l2pop-off host reaches the l2pop hosts this way). OVS tunnels only accept their local_ip.
    const allHosts = new Set(idents.filter((c) => c.vtep && c.type !== 'openvswitch').map((c) => c.vtep!));
    for (const [g, s] of groupMembers) if (g === ALL_HOSTS_GROUP) for (const v of allHosts) s.add(v);
    const groupSig = sig.join('\n');
    const groupsChanged = groupSig !== this.groupSig;
    this.groupSig = groupSig;
    const env: Env = { model, byVni, bySegment, vniOf, typeOf, facts, groupMembers, snapVteps };

    // hosts: reuse, restamp or recompute
    const changedCtxs: HostCtx[] = [];
    const goneCtxs: HostCtx[] = [];
    const ctxs: HostCtx[] = [];
    const hosts: Record<string, HostAnalysis> = {};
    let analyzed = 0;
    const names = new Set<string>();
    for (const id of idents) {
      names.add(id.name);
      const prev = this.hostCache.get(id.name);
      const touched =
        !prev ||
        prev.key !== id.key ||
        (id.modelId !== null && dirtyHosts.has(id.modelId)) ||
        (id.anon !== null && dirtyHosts.has(id.anon)) ||
        (prev.usesGroups && groupsChanged) ||
        someIn(prev.deps, dirtyNets) ||
        someIn(prev.deps, dirtyVnis);
      if (prev && !touched && prev.snap === id.snap) {
        ctxs.push(prev.ctx);
        hosts[id.name] = prev.result;
        continue;
      }
      if (prev && !touched && prev.snap && id.snap && sameSections(prev.snap, id.snap)) {
        // the same node state under a new stamp (a delta without sections): only `snapshot` changes
        const s = id.snap;
        const result: HostAnalysis = { ...prev.result, snapshot: { takenAt: s.takenAt, seq: s.seq, instance: s.instance } };
        prev.ctx.snap = s;
        this.hostCache.set(id.name, { ...prev, snap: s, result });
        ctxs.push(prev.ctx);
        hosts[id.name] = result;
        continue;
      }
      analyzed++;
      const host = id.modelId ? (model.host(id.modelId) ?? null) : null;
      const ctx: HostCtx = {
        name: id.name,
        modelId: id.modelId,
        host,
        snap: id.snap,
        type: id.type,
        vtep: id.vtep,
        l2pop: null,
        arpEffective: null,
        mode: null as unknown as HostMode,
        held: new Map(),
      };
      const r = analyzeHost(ctx, id.anon, env);
      const probe = probes.get(id.name);
      if (probe) r.result.mode.notes.push(ucastProbeNote(probe));
      this.hostCache.set(id.name, { snap: id.snap, key: id.key, ctx, result: r.result, deps: r.deps, usesGroups: r.usesGroups, stale: r.stale });
      // the findings read the host's settings and its state per network: when neither changed (e.g. it was
      // analysed again for a network's new entries), only the changed networks' findings are due
      const sameState = prev && (prev.snap === id.snap || (prev.snap && id.snap && sameSections(prev.snap, id.snap))) && !someIn(prev.deps, dirtyVnis);
      if (!sameState || findingInputs(prev.ctx) !== findingInputs(ctx)) {
        if (prev) goneCtxs.push(prev.ctx);
        changedCtxs.push(ctx);
      }
      ctxs.push(ctx);
      hosts[id.name] = r.result;
    }
    for (const [name, e] of this.hostCache) {
      if (names.has(name)) continue;
      this.hostCache.delete(name);
      goneCtxs.push(e.ctx);
    }

    // findings: networks with state on some host or entries in the model, sorted
    const networkSet = new Set<string>();
    for (const c of ctxs) for (const n of c.held.keys()) networkSet.add(n);
    for (const n of vniOf.keys()) if (facts(n).entries.length > 0) networkSet.add(n);
    const networks = sortStr(networkSet);
    let dirtyFindings: Set<string>;
    if (full) dirtyFindings = networkSet;
    else {
      dirtyFindings = new Set(dirtyNets);
      // a host's findings-relevant state changed: the networks it took part in, before and now
      const vteps = new Set<string>();
      for (const c of [...goneCtxs, ...changedCtxs]) {
        for (const n of c.held.keys()) dirtyFindings.add(n);
        if (c.vtep !== null) vteps.add(c.vtep);
      }
      if (vteps.size) for (const n of vniOf.keys()) for (const v of facts(n).withPorts) if (vteps.has(v)) dirtyFindings.add(n);
    }
    for (const n of this.findingCache.keys()) if (!networkSet.has(n)) this.findingCache.delete(n);
    const toDo = networks.filter((n) => dirtyFindings.has(n) || !this.findingCache.has(n));
    if (toDo.length) {
      const participants = participantsOf(toDo, ctxs, facts);
      for (const n of toDo) this.findingCache.set(n, networkFindings(n, vniOf.get(n), participants.get(n) ?? []));
    }
    const findings: Finding[] = [];
    for (const n of networks) findings.push(...this.findingCache.get(n)!);
    // host-wide findings after the networks', by host name
    for (const c of ctxs) {
      const stale = this.hostCache.get(c.name)?.stale;
      if (stale) findings.push(stale);
    }
    this.last = { full, hostsAnalyzed: analyzed, hosts: ctxs.length, networksAnalyzed: toDo.length, networks: networks.length };
    return { hosts, findings };
  }
}

/** What the findings read of a host besides its per-network state (`held`). */
const findingInputs = (c: HostCtx): string =>
  JSON.stringify([
    c.type,
    c.vtep,
    c.snap !== null,
    c.l2pop,
    c.arpEffective,
    c.mode.l2popSource,
    c.mode.arpResponderSource,
    c.mode.reported?.lastReportAt ?? null,
  ]);

function someIn(xs: Set<string>, ys: Set<string>): boolean {
  if (ys.size === 0) return false;
  const [small, big] = xs.size < ys.size ? [xs, ys] : [ys, xs];
  for (const x of small) if (big.has(x)) return true;
  return false;
}

/** The parts of a snapshot the analysis reads, besides its stamp, are the same objects. */
const sameSections = (a: FullNodeSnapshot, b: FullNodeSnapshot) =>
  a.host === b.host && a.agent === b.agent && a.linuxbridge === b.linuxbridge && a.openvswitch === b.openvswitch;

/**
 * Hosts taking part in each network (state for it in their snapshot, or ports on it), in `ctxs`
 * order. A scan of every host per network for a few networks, one pass over every host otherwise.
 */
function participantsOf(networks: string[], ctxs: HostCtx[], facts: (network: string) => NetFacts): Map<string, HostCtx[]> {
  const out = new Map<string, HostCtx[]>();
  if (networks.length <= 8) {
    for (const n of networks) {
      const withPorts = facts(n).withPorts;
      out.set(
        n,
        ctxs.filter((c) => c.held.has(n) || (c.vtep !== null && withPorts.has(c.vtep))),
      );
    }
    return out;
  }
  const wanted = new Set(networks);
  const byVtep = new Map<string, string[]>();
  for (const n of networks) {
    for (const v of facts(n).withPorts) {
      const l = byVtep.get(v);
      if (l) l.push(n);
      else byVtep.set(v, [n]);
    }
  }
  for (const c of ctxs) {
    const mine = new Set<string>();
    for (const n of c.held.keys()) if (wanted.has(n)) mine.add(n);
    if (c.vtep !== null) for (const n of byVtep.get(c.vtep) ?? []) mine.add(n);
    for (const n of mine) {
      const l = out.get(n);
      if (l) l.push(c);
      else out.set(n, [c]);
    }
  }
  return out;
}
