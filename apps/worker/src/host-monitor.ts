/**
 * The worker's node view: node agents' snapshots (full + deltas) and BUM reports from l2scope's own
 * exchange, the told-vs-held analysis against the l2pop model (debounced: re-run after
 * changes, never more often than a few times its own duration; incremental: a {@link NodeAnalyzer}
 * re-analyses only the hosts whose snapshot arrived and the hosts and findings of the networks the
 * model changes since the last run touched), finding lifecycles (an open finding's hosts, detail and
 * evidence follow the latest analysis, in memory and in the database), convergence lags, throttled
 * persistence and live push.
 *
 * Node data is state, not a log: a delivery is acked once applied in memory; the database gets
 * the latest state per host at most once a second. A lost snapshot is replaced by the next full.
 * Live `update` events follow the write that holds them (browsers resync from the database: an
 * update emitted before its write could be missed by a page that connected in between).
 */
import { EventEmitter } from 'node:events';
import {
  type BumReport,
  ConvergenceTracker,
  type ConvergenceSample,
  type FdbMessage,
  type FindingView,
  type FullNodeSnapshot,
  type HostAnalysis,
  type HostConvergence,
  type Finding,
  type LivenessMemo,
  type ModelChange,
  type NodeAnalysis,
  NodeAnalyzer,
  NodeDeltaMismatch,
  type NodeRefusalReason,
  agentsAt,
  nextAgentDownAt,
  type NodeSnapshot,
  type NodesLiveUpdate,
  applyNodeDelta,
  isL2AgentReport,
  isNewerSnapshot,
  noRefusals,
  summarizeHost,
  vtepConflictFinding,
  withAgentLiveness,
} from '@l2scope/domain';
import type { Delivery } from './delivery';
import { type FindingChanges, FindingLifecycle } from './finding-lifecycle';
import { RefusalLog, admitNodeMessage } from './node-admission';
import type { IngestPipeline } from './pipeline';
import type { HostMonitorEvents, HostMonitorOptions, NodeCounters, NodesStatus } from './host-monitor-contract';

export type { HostMonitorEvents, HostMonitorOptions, NodeCounters, NodeStore, NodesStatus } from './host-monitor-contract';

/**
 * Node agents' snapshots and BUM reports in memory, the incremental told-vs-held analysis
 * against the l2pop model, finding lifecycles, convergence lags; their throttled persistence through
 * a {@link NodeStore} and, after each write, the live `update` event. Follows the pipeline's
 * `applied` events ({@link HostMonitor.follow}); takes node agents' deliveries ({@link HostMonitor.handle})
 * and snapshots read elsewhere, e.g. from a support bundle ({@link HostMonitor.acceptSnapshot}).
 */
export class HostMonitor extends EventEmitter<HostMonitorEvents> {
  readonly counters: NodeCounters = { snapshots: 0, deltas: 0, deltaMismatches: 0, refused: noRefusals(), bumReports: 0, analyses: 0, lastAnalysisMs: 0 };
  private readonly refusalLog: RefusalLog;
  private dirtyRefusals = false;
  /** Signature of the model's VTEP conflicts at the last analysis (a change schedules one, node agents or not). */
  private conflictsSeen = '';
  /** Hosts whose agent was down at the last analysis (a report_state of one of them schedules one). */
  private downSeen = new Set<string>();
  /** Model clock (epoch ms) at which the next alive agent crosses agent_down_time, null when none (then no liveness change is due without a report). */
  private nextDownAt: number | null = null;
  /** Host analyses decorated with their agent's liveness, by the analyzer's object (identity kept while nothing changed). */
  private readonly livenessMemo: LivenessMemo = new WeakMap();
  /** The Neutron API's findings (`port_without_l2pop`, `agent_silent_on_tap`), set by its poller. */
  private apiFindings: Finding[] = [];
  private readonly fulls = new Map<string, FullNodeSnapshot>();
  private readonly bum = new Map<string, BumReport>();
  /** Epoch ms the worker last received each host's snapshot or BUM report (host expiry). */
  private readonly lastSeen = new Map<string, number>();
  private readonly tracker = new ConvergenceTracker();
  private analysis: NodeAnalysis | null = null;
  /** Incremental analysis: fed the model's changes, it re-analyses only what they and new snapshots touch. */
  private readonly analyzer = new NodeAnalyzer();
  /** Per host: the last analysis pushed / saved, and its JSON (compared only when the analyzer produced another object). */
  private readonly published = new Map<string, { analysis: HostAnalysis; json: string }>();
  private readonly openFindings = new FindingLifecycle();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private lastRunAt = 0;
  private dirtySnapshots = new Set<string>();
  private dirtyBum = new Set<string>();
  private dirtyConvergence = new Set<string>();
  /** Per host, the tracker counts last published and stored (`pending/timedOut/alreadyHeld`). */
  private readonly countsSeen = new Map<string, string>();
  private pendingSamples: ConvergenceSample[] = [];
  private persistTimer: NodeJS.Timeout | null = null;
  /** The write queue: every write runs after the previous one, each update is emitted after its write. */
  private persisting: Promise<void> = Promise.resolve();
  private readonly debounceMs: number;

  constructor(private readonly opts: HostMonitorOptions) {
    super();
    this.debounceMs = opts.debounceMs ?? 500;
    this.refusalLog = new RefusalLog(opts.log);
  }

  /**
   * Restore the last state from the database (snapshots, open findings). Throws the store's error.
   * @param since only hosts whose snapshot was received at or after it (host expiry)
   */
  async load(since?: Date): Promise<void> {
    const { snapshots, invalid, findings } = await this.opts.store.loadNodes(since);
    const refused = await this.opts.store.loadNodeRefusals();
    for (const r of Object.keys(refused) as NodeRefusalReason[]) this.counters.refused[r] += refused[r];
    for (const r of invalid) this.opts.log(`nodes: the stored snapshot of ${r.host} is not valid, ignored: ${r.error}`);
    for (const s of snapshots) {
      this.fulls.set(s.host, s);
      this.lastSeen.set(s.host, Date.now());
    }
    this.openFindings.load(findings);
    if (this.fulls.size) this.schedule();
  }

  /** Follow a pipeline: every cast it folds is expected on the hosts, every model change re-analysed. */
  follow(pipeline: Pick<IngestPipeline, 'on'>): void {
    pipeline.on('applied', (msg, at, id, changes) => {
      if (msg.kind === 'fdb') this.onCast(msg, at, id);
      if (changes.length) this.modelChanged(changes);
      const l2Report = msg.kind === 'report_state' && isL2AgentReport(msg.agent);
      if (l2Report && this.conflictsSignature() !== this.conflictsSeen) this.schedule(true);
      // agent liveness: an agent crossed agent_down_time (the model's clock passed it), or a down one reported again
      if (this.livenessDue() || (l2Report && this.downSeen.has(msg.agent.host))) this.schedule(true);
      else if (l2Report && this.nextDownAt === null) this.schedule(true); // a first report: compute when it can go down
    });
  }

  /**
   * The model's clock moved without a message (`ClusterModel.advanceClock`, the worker's live tap
   * while the bus is quiet): analyse again when an alive agent has now crossed agent_down_time.
   * @returns whether an analysis was scheduled
   */
  clockAdvanced(): boolean {
    if (!this.livenessDue()) return false;
    this.schedule(true);
    return true;
  }

  /** An alive agent has crossed agent_down_time at the model's clock since the last analysis. */
  private livenessDue(): boolean {
    return this.nextDownAt !== null && this.opts.model.clock >= this.nextDownAt;
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

  /** Lag figures per host (ms), with pending and timed-out entries. */
  convergence(): HostConvergence[] {
    return this.tracker.stats();
  }

  /** Open findings (for the live overview). */
  findings(): FindingView[] {
    return this.openFindings.list();
  }

  /** The host view from memory, for `GET /api/nodes`. */
  status(): NodesStatus {
    return { analysis: this.latest(), findings: this.findings(), convergence: this.convergence(), counters: this.counters, hosts: this.hosts() };
  }

  /**
   * One message from the node exchange (`snapshot.<host>` or `bum.<host>`), hostile until checked
   * (`admitNodeMessage`: size before parsing, user = routing key = body host, schema), then a
   * snapshot must be newer than the one held (`stale`). A refusal is counted per reason and logged
   * once per reason per minute. Never throws.
   */
  async handle(d: Delivery): Promise<void> {
    const a = admitNodeMessage(d, { maxBytes: this.opts.maxMessageBytes, users: this.opts.nodeAgentUsers });
    if (!a.ok) return this.refuse(a.reason, d, a.why);
    try {
      if (a.kind === 'bum') this.onBum(a.body);
      else this.onSnapshot(a.body, d);
    } catch (err) {
      this.refuse('invalid', d, (err as Error).message.slice(0, 300));
    }
  }

  /** Count a refused node message from elsewhere on `l2scope.node` (a command reply), as {@link handle} counts its own. */
  noteRefusal(reason: NodeRefusalReason, d: Pick<Delivery, 'routingKey' | 'properties'>, why: string): void {
    this.refuse(reason, d, why);
  }

  /** Count a refused node message, mark the totals for the next write, log it (once per reason per minute). */
  private refuse(reason: NodeRefusalReason, d: Pick<Delivery, 'routingKey' | 'properties'>, why: string): void {
    this.counters.refused[reason]++;
    this.dirtyRefusals = true;
    this.flushSoon();
    this.refusalLog.note(reason, d, why);
  }

  /**
   * A full snapshot of a host, already validated (domain `parseNodeSnapshot`) and, from a node
   * agent, its identity checked ({@link handle}); or read from a support bundle. Replaces the host's
   * state when newer than the one held (`isNewerSnapshot`: seq within an agent process, takenAt
   * across restarts), else it is refused as `stale`.
   * @returns whether it was taken
   */
  acceptSnapshot(full: FullNodeSnapshot): boolean {
    if (!isNewerSnapshot(this.fulls.get(full.host), full)) {
      this.refuse('stale', { routingKey: `snapshot.${full.host}`, properties: {} }, this.staleWhy(full));
      return false;
    }
    this.counters.snapshots++;
    this.update(full);
    return true;
  }

  private staleWhy(s: NodeSnapshot): string {
    const held = this.fulls.get(s.host)!;
    return `${s.kind} seq ${s.seq} of ${s.instance} taken ${s.takenAt}, holding seq ${held.seq} of ${held.instance} taken ${held.takenAt}`;
  }

  private onSnapshot(snap: NodeSnapshot, d: Delivery): void {
    if (!isNewerSnapshot(this.fulls.get(snap.host), snap)) return this.refuse('stale', d, this.staleWhy(snap));
    if (snap.kind === 'full') {
      this.acceptSnapshot(snap);
      return;
    }
    this.counters.deltas++;
    const base = this.fulls.get(snap.host);
    if (!base) {
      this.counters.deltaMismatches++;
      return;
    }
    let full: FullNodeSnapshot;
    try {
      full = applyNodeDelta(base, snap);
    } catch (err) {
      if (!(err instanceof NodeDeltaMismatch)) throw err;
      this.counters.deltaMismatches++;
      return;
    }
    this.update(full);
  }

  /** A host's new full state: stored soon, convergence observed, analysis scheduled. */
  private update(full: FullNodeSnapshot): void {
    this.fulls.set(full.host, full);
    this.lastSeen.set(full.host, Date.now());
    this.dirtySnapshots.add(full.host);
    this.flushSoon();
    const samples = this.tracker.observe(full, this.byVni());
    if (samples.length) {
      for (const sample of samples) this.pendingSamples.push(sample); // no spread: a snapshot can yield any number
      this.dirtyConvergence.add(full.host);
      this.emit('samples', samples);
    }
    this.schedule();
  }

  private onBum(report: BumReport): void {
    this.counters.bumReports++;
    this.bum.set(report.host, report);
    this.lastSeen.set(report.host, Date.now());
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

  private conflictsSignature(): string {
    return JSON.stringify(this.opts.model.vtepConflicts().map((c) => [c.vtep, c.owner, c.claimant]));
  }

  /** Analyse soon: only with node agents' snapshots, unless `force` (a VTEP conflict appeared or went). */
  private schedule(force = false): void {
    if (!force && this.fulls.size === 0) return;
    if (this.timer || this.running) return;
    // never more often than 3x the last run's duration: bounded CPU at scale
    const wait = Math.max(this.debounceMs, this.lastRunAt + 3 * this.counters.lastAnalysisMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
    }, wait);
    this.timer.unref?.();
  }

  /**
   * Host expiry: forget the node hosts last heard of (snapshot or BUM report) before `before`
   * (epoch ms): out of memory and of the stored live view (`forgetHosts`), then re-analysed.
   * @returns the hosts forgotten, sorted
   */
  async expire(before: number): Promise<string[]> {
    const gone = [...this.lastSeen].filter(([, at]) => at < before).map(([h]) => h);
    if (gone.length === 0) return [];
    for (const h of gone) {
      this.lastSeen.delete(h);
      this.fulls.delete(h);
      this.bum.delete(h);
      this.published.delete(h);
      this.dirtySnapshots.delete(h);
      this.dirtyBum.delete(h);
      this.tracker.forget(h);
      this.countsSeen.delete(h);
      this.dirtyConvergence.delete(h);
    }
    this.analyzer.invalidate();
    await this.opts.store.forgetHosts?.(gone);
    this.schedule();
    return gone.sort();
  }

  /**
   * The findings of the last Neutron API read (domain `neutronApiFindings`): carried through the
   * same lifecycle as the analysis' (opened, refreshed, resolved when a read no longer has them);
   * an analysis runs soon even without node agents.
   */
  setApiFindings(findings: Finding[]): void {
    if (JSON.stringify(findings) === JSON.stringify(this.apiFindings)) return;
    this.apiFindings = findings;
    this.schedule(true);
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
      analysis = this.withLiveness(analysis);
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

  /**
   * The analysis with each host's agent liveness at the model's clock (domain `withAgentLiveness`):
   * `agent` per host, drift on a down host referencing its `agent_down` finding, and those findings.
   * Notes which hosts are down and when the next alive one crosses agent_down_time.
   */
  private withLiveness(a: NodeAnalysis): NodeAnalysis {
    const model = this.opts.model;
    const hosts = model.hostIds().flatMap((id) => model.host(id) ?? []);
    const opts = this.opts.liveness ?? {};
    const agents = agentsAt(hosts, model.clock, opts);
    this.downSeen = new Set([...agents].filter(([, l]) => !l.alive).map(([h]) => h));
    this.nextDownAt = nextAgentDownAt(hosts, model.clock, opts);
    return withAgentLiveness(a, agents, opts, this.livenessMemo);
  }

  private afterAnalysis(a: NodeAnalysis): void {
    const at = new Date();
    const now = at.toISOString();
    const changedHosts: string[] = [];
    for (const [host, ha] of Object.entries(a.hosts)) {
      if (!ha.snapshot) continue; // hosts without a node agent: the topology shows them already
      const prev = this.published.get(host);
      if (prev?.analysis === ha) continue; // reused by the incremental analysis: unchanged
      const json = JSON.stringify(ha);
      this.published.set(host, { analysis: ha, json });
      if (prev?.json !== json) changedHosts.push(host);
    }
    // finding lifecycle: open new ones, refresh open ones, resolve the gone (VTEP conflicts come from the model)
    const conflicts = this.opts.model.vtepConflicts();
    this.conflictsSeen = this.conflictsSignature();
    const changes = this.openFindings.apply([...a.findings, ...conflicts.map(vtepConflictFinding), ...this.apiFindings], now);
    const stats = this.tracker.stats();
    // the counts only the tracker knows (a cast adds pending entries without any sample): stored and published when they change
    const counts: HostConvergence[] = [];
    for (const s of stats) {
      const sig = `${s.pending}/${s.timedOut}/${s.alreadyHeld ?? 0}`;
      if (this.countsSeen.get(s.host) === sig) continue;
      this.countsSeen.set(s.host, sig);
      counts.push(s);
      this.dirtyConvergence.add(s.host);
    }
    const conv = stats.filter((s) => this.dirtyConvergence.has(s.host));
    this.dirtyConvergence.clear();
    const update =
      changedHosts.length || changes.opened.length || changes.refreshed.length || changes.resolved.length || conv.length
        ? { at: now, hosts: changedHosts.map((h) => summarizeHost(h, a.hosts[h]!)), findings: this.openFindings.list(), convergence: conv, bum: [] }
        : null;
    this.persist(changedHosts, changes, at, update, counts);
  }

  /**
   * Queue the analysis' write (changed hosts' analyses, findings opened / refreshed / resolved /
   * still seen, all at `now`, the analysis' time, as the live view has them; and the convergence
   * samples behind `update`'s lag figures), then emit `update`.
   */
  private persist(changedHosts: string[], changes: FindingChanges, now: Date, update: NodesLiveUpdate | null, counts: readonly HostConvergence[]): void {
    const a = this.analysis!;
    const store = this.opts.store;
    const { opened, refreshed, resolved } = changes;
    // the JSON made for change detection, taken now (a later run may replace it before this runs)
    const hostRows = changedHosts.map((host) => ({ host, driftCount: a.hosts[host]!.drift.length, json: this.published.get(host)!.json }));
    const samples = this.pendingSamples.splice(0);
    this.enqueue(
      async () => {
        await store.saveHostAnalyses(hostRows, now);
        for (const f of opened) this.openFindings.written(f, await store.openFinding(f, now));
        await store.refreshFindings(refreshed, now);
        await store.resolveFindings(resolved, now);
        await store.touchFindings(this.openFindings.writtenIds(), now);
        await this.writeSamples(samples);
        if (counts.length) await store.saveConvergenceCounts(counts, now);
      },
      update,
      'saving the analysis failed',
    );
    this.flushSoon();
  }

  private flushSoon(): void {
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = null;
      void this.flush();
    }, this.opts.flushDelayMs ?? 1000);
    this.persistTimer.unref?.();
  }

  /**
   * Write the latest snapshots, BUM reports and convergence samples (also called on stop), then
   * emit the BUM reports written. Resolves when every write queued so far is done.
   */
  async flush(): Promise<void> {
    const snaps = [...this.dirtySnapshots].flatMap((h) => this.fulls.get(h) ?? []);
    const reports = [...this.dirtyBum].map((h) => this.bum.get(h)!);
    const samples = this.pendingSamples.splice(0);
    this.dirtySnapshots.clear();
    this.dirtyBum.clear();
    const refused = this.dirtyRefusals ? { ...this.counters.refused } : null;
    this.dirtyRefusals = false;
    const update =
      reports.length || refused
        ? {
            at: new Date().toISOString(),
            hosts: [],
            findings: this.openFindings.list(),
            convergence: [],
            bum: reports.map((r) => ({ host: r.host, report: r })),
            ...(refused ? { refused } : {}),
          }
        : null;
    this.enqueue(
      async () => {
        await this.opts.store.saveSnapshots(snaps, new Date());
        await this.opts.store.saveBumReports(reports, new Date());
        if (refused) await this.opts.store.saveNodeRefusals(refused);
        await this.writeSamples(samples);
      },
      update,
      'saving node state failed',
    );
    await this.persisting;
  }

  private async writeSamples(samples: ConvergenceSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.opts.store.addConvergenceSamples(samples, new Date(Date.now() - (this.opts.convergenceRetentionMs ?? 24 * 3600_000)));
  }

  /**
   * Run `write` after every write queued before it; then emit `update` (after the write committed,
   * or failed: the failure is logged, and live browsers still get the state).
   */
  private enqueue(write: () => Promise<void>, update: NodesLiveUpdate | null, failure: string): void {
    this.persisting = this.persisting
      .then(write)
      .catch((err: unknown) => this.opts.log(`nodes: ${failure}: ${String(err)}`))
      .then(() => {
        if (!update) return;
        try {
          this.emit('update', update);
        } catch (err) {
          this.opts.log(`nodes: publishing an update failed: ${String(err)}`);
        }
      });
  }

  /** Stop the timers and write what is pending. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.persistTimer) clearTimeout(this.persistTimer);
    await this.flush();
  }
}
