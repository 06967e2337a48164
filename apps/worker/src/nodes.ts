/**
 * The worker's node view: node agents' snapshots (full + deltas) and BUM reports from l2scope's own
 * exchange, the expected-vs-actual analysis against the l2pop model (debounced: re-run after
 * changes, never more often than a few times its own duration; incremental: a {@link NodeAnalyzer}
 * re-analyses only the hosts whose snapshot arrived and the hosts and findings of the networks the
 * model changes since the last run touched), finding lifecycles, convergence lags, throttled
 * persistence and live push.
 *
 * Node data is state, not a log: a delivery is acked once applied in memory; the database gets
 * the latest state per host at most once a second. A lost snapshot is replaced by the next full.
 */
import { type Db, type DbProvider, findingView, insertRows, storableJson } from '@l2scope/db';
import {
  type BumReport,
  type ClusterModel,
  ConvergenceTracker,
  type ConvergenceSample,
  type FdbMessage,
  type FindingView,
  type FullNodeSnapshot,
  type HostAnalysis,
  type HostConvergence,
  type ModelChange,
  type NodeAnalysis,
  NodeAnalyzer,
  NodeDeltaMismatch,
  type NodesLiveUpdate,
  applyNodeDelta,
  findingKey,
  parseBumReport,
  parseNodeSnapshot,
  summarizeHost,
} from '@l2scope/domain';
import type { Delivery } from './delivery';

export interface NodeMonitorOptions {
  model: ClusterModel;
  db: Db;
  provider: DbProvider;
  log: (line: string) => void;
  /** Live push of what changed. */
  publish: (update: NodesLiveUpdate) => void;
  /** Delay after a change before re-analysing (ms). */
  debounceMs?: number;
  /** Keep convergence samples this long (ms). */
  convergenceRetentionMs?: number;
}

/** Counters of the node data stream. */
export interface NodeCounters {
  snapshots: number;
  deltas: number;
  /** Deltas that did not match the last full (waiting for the next full). */
  deltaMismatches: number;
  /** Bodies that were not a valid snapshot / BUM report. */
  invalid: number;
  bumReports: number;
  analyses: number;
  /** Duration of the last analysis (ms). */
  lastAnalysisMs: number;
}

const CONVERGENCE_SAMPLE = { name: 'ConvergenceSample', columns: ['messageId', 'host', 'network', 'vtep', 'mac', 'change', 'castAt', 'seenAt', 'lagMs'] } as const;

export class NodeMonitor {
  readonly counters: NodeCounters = { snapshots: 0, deltas: 0, deltaMismatches: 0, invalid: 0, bumReports: 0, analyses: 0, lastAnalysisMs: 0 };
  private readonly fulls = new Map<string, FullNodeSnapshot>();
  private readonly bum = new Map<string, BumReport>();
  private readonly tracker = new ConvergenceTracker();
  private analysis: NodeAnalysis | null = null;
  /** Incremental analysis: fed the model's changes, it re-analyses only what they and new snapshots touch. */
  private readonly analyzer = new NodeAnalyzer();
  /** Per host: the last analysis pushed / saved, and its JSON (compared only when the analyzer produced another object). */
  private readonly published = new Map<string, { analysis: HostAnalysis; json: string }>();
  private openFindings = new Map<string, FindingView>();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastRunAt = 0;
  private dirtySnapshots = new Set<string>();
  private dirtyBum = new Set<string>();
  private dirtyConvergence = new Set<string>();
  private pendingSamples: ConvergenceSample[] = [];
  private persistTimer: NodeJS.Timeout | null = null;
  private persisting: Promise<void> = Promise.resolve();
  private readonly debounceMs: number;

  constructor(private readonly opts: NodeMonitorOptions) {
    this.debounceMs = opts.debounceMs ?? 500;
  }

  /** Restore the last state from the database (snapshots, open findings). */
  async load(): Promise<void> {
    const [states, findings] = await Promise.all([this.opts.db.nodeState.findMany(), this.opts.db.finding.findMany({ where: { resolvedAt: null } })]);
    for (const s of states) this.fulls.set(s.host, s.snapshot as unknown as FullNodeSnapshot);
    for (const f of findings) {
      const { resolvedAt: _open, ...view } = findingView(f);
      this.openFindings.set(f.key, view);
    }
    if (this.fulls.size) this.schedule();
  }

  /** Hosts that have a node agent (a full snapshot). */
  hosts(): string[] {
    return [...this.fulls.keys()].sort();
  }

  /** The latest full snapshot of a host. */
  snapshotOf(host: string): FullNodeSnapshot | undefined {
    return this.fulls.get(host);
  }

  /** The latest analysis (null before the first). */
  latest(): NodeAnalysis | null {
    return this.analysis;
  }

  convergence(): HostConvergence[] {
    return this.tracker.stats();
  }

  /** One message from the node exchange (`snapshot.<host>` or `bum.<host>`). Never throws. */
  async handle(d: Delivery): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(d.body).toString('utf8'));
    } catch {
      this.counters.invalid++;
      this.opts.log(`nodes: ${d.routingKey}: body is not JSON (${d.body.byteLength} bytes), dropped`);
      return;
    }
    try {
      if (d.routingKey.startsWith('bum.')) this.onBum(parseBumReport(json));
      else if (d.routingKey.startsWith('snapshot.')) this.onSnapshot(json);
      else this.counters.invalid++;
    } catch (err) {
      this.counters.invalid++;
      this.opts.log(`nodes: ${d.routingKey}: ${(err as Error).message.slice(0, 300)}`);
    }
  }

  private onSnapshot(json: unknown): void {
    const snap = parseNodeSnapshot(json);
    let full: FullNodeSnapshot;
    if (snap.kind === 'full') {
      this.counters.snapshots++;
      full = snap;
    } else {
      this.counters.deltas++;
      const base = this.fulls.get(snap.host);
      if (!base) {
        this.counters.deltaMismatches++;
        return;
      }
      try {
        full = applyNodeDelta(base, snap);
      } catch (err) {
        if (!(err instanceof NodeDeltaMismatch)) throw err;
        this.counters.deltaMismatches++;
        return;
      }
    }
    this.fulls.set(full.host, full);
    this.dirtySnapshots.add(full.host);
    this.flushSoon();
    const samples = this.tracker.observe(full, this.byVni());
    if (samples.length) {
      this.pendingSamples.push(...samples);
      this.dirtyConvergence.add(full.host);
    }
    this.schedule();
  }

  private onBum(report: BumReport): void {
    this.counters.bumReports++;
    this.bum.set(report.host, report);
    this.dirtyBum.add(report.host);
    this.flushSoon();
  }

  /**
   * A cast folded into the model: register what each host with a node agent must now show
   * (members of the network applying l2pop, the VTEP's own host excluded; a host-directed cast: its target).
   */
  onCast(msg: FdbMessage, at: number, messageId: number): void {
    if (this.fulls.size === 0) return;
    const model = this.opts.model;
    this.tracker.expect(msg, at, messageId, (network, vtep) => {
      const owner = model.hostOfVtep(vtep);
      const candidates = msg.target && msg.target !== 'fanout' ? [msg.target] : [...this.fulls.keys()];
      return candidates.filter((h) => {
        if (h === owner || !this.fulls.has(h)) return false;
        const host = model.host(h);
        // in its network_map (what `model.memberships(h)` lists), without sorting it per cast
        return host?.l2population === true && Object.hasOwn(host.networks, network);
      });
    });
  }

  /**
   * The model changed: re-analyse soon.
   * @param changes what `ClusterModel.apply` returned (every non-empty list must be given: the
   *   incremental analysis re-analyses only what they name); omitted: everything is analysed again
   */
  modelChanged(changes?: readonly ModelChange[]): void {
    if (changes) this.analyzer.modelChanged(changes);
    else this.analyzer.invalidate();
    if (this.fulls.size) this.schedule();
  }

  private byVni(): Map<number, string> {
    const m = new Map<number, string>();
    for (const n of this.opts.model.networkViews()) if (n.vni !== null) m.set(n.vni, n.id);
    return m;
  }

  private schedule(): void {
    if (this.timer || this.running) return;
    // never more often than 3x the last run's duration: bounded CPU at scale
    const wait = Math.max(this.debounceMs, this.lastRunAt + 3 * this.counters.lastAnalysisMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
    }, wait);
    this.timer.unref?.();
  }

  /** Analyse now (also used by tests). */
  run(): NodeAnalysis {
    this.running = true;
    const t0 = performance.now();
    try {
      this.tracker.sweep(Date.now());
      let analysis: NodeAnalysis;
      try {
        analysis = this.analyzer.analyze({ model: this.opts.model, snapshots: [...this.fulls.values()] });
      } catch (err) {
        // the analysis does not throw by contract; one bad snapshot must not stop the worker anyway
        this.analyzer.invalidate();
        this.opts.log(`nodes: analysis failed: ${String(err)}`);
        return this.analysis ?? { hosts: {}, findings: [] };
      }
      this.counters.analyses++;
      this.counters.lastAnalysisMs = Math.round(performance.now() - t0);
      this.lastRunAt = Date.now();
      this.analysis = analysis;
      this.afterAnalysis(analysis);
      return analysis;
    } finally {
      this.running = false;
    }
  }

  private afterAnalysis(a: NodeAnalysis): void {
    const now = new Date().toISOString();
    const changedHosts: string[] = [];
    for (const [host, ha] of Object.entries(a.hosts)) {
      if (!ha.snapshot) continue; // hosts without a node agent: the topology shows them already
      const prev = this.published.get(host);
      if (prev?.analysis === ha) continue; // reused by the incremental analysis: unchanged
      const json = JSON.stringify(ha);
      this.published.set(host, { analysis: ha, json });
      if (prev?.json !== json) changedHosts.push(host);
    }
    // finding lifecycle: open new ones, refresh open ones, resolve the gone
    const current = new Map(a.findings.map((f) => [findingKey(f), f]));
    const opened: string[] = [];
    const resolved: FindingView[] = [];
    for (const [key, f] of current) {
      const open = this.openFindings.get(key);
      if (open) this.openFindings.set(key, { ...open, ...f, lastSeenAt: now });
      else {
        this.openFindings.set(key, { ...f, id: 0, firstSeenAt: now, lastSeenAt: now });
        opened.push(key);
      }
    }
    for (const [key, f] of this.openFindings) {
      if (current.has(key)) continue;
      this.openFindings.delete(key);
      resolved.push(f);
    }
    this.persist(changedHosts, opened, resolved);
    const conv = this.tracker.stats().filter((s) => this.dirtyConvergence.has(s.host));
    this.dirtyConvergence.clear();
    if (changedHosts.length || opened.length || resolved.length || conv.length) {
      this.opts.publish({
        at: now,
        hosts: changedHosts.map((h) => summarizeHost(h, a.hosts[h]!)),
        findings: [...this.openFindings.values()],
        convergence: conv,
        bum: [],
      });
    }
  }

  /** Open findings (for the live overview). */
  findings(): FindingView[] {
    return [...this.openFindings.values()];
  }

  private persist(changedHosts: string[], opened: string[], resolved: FindingView[]): void {
    const a = this.analysis!;
    const db = this.opts.db;
    const now = new Date();
    // the JSON made for change detection, taken now (a later run may replace it before this runs)
    const hostRows = changedHosts.map((host) => ({ host, ha: a.hosts[host]!, json: this.published.get(host)!.json }));
    this.persisting = this.persisting
      .then(async () => {
        for (const { host, ha, json } of hostRows) {
          const data = { at: now, driftCount: ha.drift.length, analysis: storableJson(JSON.parse(json) as object) };
          await db.hostAnalysisState.upsert({ where: { host }, create: { host, ...data }, update: data });
        }
        for (const key of opened) {
          const f = this.openFindings.get(key);
          if (!f) continue;
          const row = await db.finding.create({
            data: { key, kind: f.kind, network: f.network, vni: f.vni, hosts: storableJson(f.hosts), detail: storableJson(f.detail), evidence: storableJson(JSON.parse(JSON.stringify(f.evidence)) as object), firstSeenAt: now, lastSeenAt: now },
          });
          f.id = row.id;
        }
        for (const f of resolved) await db.finding.updateMany({ where: { key: findingKey(f), resolvedAt: null }, data: { resolvedAt: now, lastSeenAt: now } });
        const stillOpen = [...this.openFindings.values()].filter((f) => f.id > 0).map((f) => f.id);
        if (stillOpen.length) await db.finding.updateMany({ where: { id: { in: stillOpen } }, data: { lastSeenAt: now } });
      })
      .catch((err: unknown) => this.opts.log(`nodes: saving the analysis failed: ${String(err)}`));
    this.flushSoon();
  }

  private flushSoon(): void {
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      void this.flush();
    }, 1000);
    this.persistTimer.unref?.();
  }

  /** Write the latest snapshots, BUM reports and convergence samples (also called on stop). */
  async flush(): Promise<void> {
    const db = this.opts.db;
    const snaps = [...this.dirtySnapshots];
    const bums = [...this.dirtyBum];
    const samples = this.pendingSamples.splice(0);
    this.dirtySnapshots.clear();
    this.dirtyBum.clear();
    if (bums.length) {
      this.opts.publish({ at: new Date().toISOString(), hosts: [], findings: [...this.openFindings.values()], convergence: [], bum: bums.map((h) => ({ host: h, report: this.bum.get(h) })) });
    }
    this.persisting = this.persisting
      .then(async () => {
        const receivedAt = new Date();
        for (const host of snaps) {
          const s = this.fulls.get(host);
          if (!s) continue;
          const data = { takenAt: new Date(s.takenAt), receivedAt, agentType: s.agent.type, snapshot: storableJson(JSON.parse(JSON.stringify(s)) as object) };
          await db.nodeState.upsert({ where: { host }, create: { host, ...data }, update: data });
        }
        for (const host of bums) {
          const r = this.bum.get(host)!;
          const data = { from: new Date(r.from), to: new Date(r.to), report: storableJson(JSON.parse(JSON.stringify(r)) as object) };
          await db.bumState.upsert({ where: { host }, create: { host, ...data }, update: data });
        }
        if (samples.length) {
          await insertRows(
            db,
            this.opts.provider,
            CONVERGENCE_SAMPLE,
            samples.map((s) => [BigInt(s.messageId), s.host, s.network, s.vtep, s.mac, s.change, new Date(s.castAt), new Date(s.seenAt), s.lagMs]),
          );
          const cutoff = new Date(Date.now() - (this.opts.convergenceRetentionMs ?? 24 * 3600_000));
          await db.convergenceSample.deleteMany({ where: { seenAt: { lt: cutoff } } });
        }
      })
      .catch((err: unknown) => this.opts.log(`nodes: saving node state failed: ${String(err)}`));
    await this.persisting;
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.persistTimer) clearTimeout(this.persistTimer);
    await this.flush();
  }
}
