/**
 * Keeps the store in step with the worker: the only module that does I/O for client state.
 *
 * Model protocol (no update lost, none applied twice out of order):
 * 1. subscribe to socket.io; on every (re)connect start a resync: from then on live `model`
 *    batches are buffered;
 * 2. fetch `topology.snapshot({ vteps: false })` (the database projection's hosts and networks,
 *    with its `seq`) and `topology.vteps` (its VTEP entries, with theirs) at once; a large cloud
 *    (past the fleet threshold) shows its hosts as soon as they are in, live batches still buffered;
 * 3. join the parts at the lower `seq` (`joinSnapshot`), fold the buffered batches newer than it,
 *    then apply later batches directly (changes are absolute upserts/removals).
 * The first load does not wait for the socket: step 2 starts with the connection. Such an early
 * snapshot is shown at once (live batches buffered), but it may predate changes broadcast before
 * the socket joined, so it is kept only when the connection's `subscribed` event (domain
 * `LiveSubscribed`) says every change after its `seq` reaches the socket; else the sync runs
 * again, connected (`confirmModel`).
 * A `model` batch with `skipped` > 0 (a burst past the worker's per-window cap, or hosts expired)
 * carries no changes: it starts a resync (step 2) instead.
 * If the worker cannot be reached, the early snapshot shows the last persisted state.
 *
 * Inspector: first page via `messages.list` with the filters; live `messages` rows are
 * prepended when they match (structured filters client-side with the server's rules; with a
 * free-text filter a catch-up query `after` the last checked id asks the server, which matches
 * MACs and IPs a summary does not carry). A thinned burst (`skipped` > 0) refetches the first page.
 *
 * Toggle jobs: `jobs.list` on enable and every (re)connect, then each live `toggle` event; a job
 * is a whole value and the newer copy (by `updatedAt`) wins, so order does not matter.
 *
 * Host view: same protocol as the model: live `nodes` updates are buffered while `nodes.overview`
 * is fetched (on every (re)connect), then folded in arrival order (they are absolute per host).
 *
 * One LiveSync serves every page of the app (it lives in the root layout): each page enables the
 * parts it shows (`enable('model', 'inspector')` on the topology, `enable('nodes')` on the node
 * pages); a part once enabled stays in sync, so going back to a page shows current state at once.
 */
import { io, type Socket } from 'socket.io-client';
import type { LiveServerEvents, LiveSubscribed, MessageSummary, ModelSnapshot, ToggleJobView } from '@l2scope/domain';
import type { TrpcClient } from '../lib/trpc';
import { type InspectorFilter, PAGE_SIZE, matchesStructured, needsServerMatch, normalizeFilter, sameFilter } from './inspector';
import { earlySnapshotWhole, joinSnapshot } from './model';
import type { L2Store } from './store';
import { FLEET_THRESHOLD } from '../topology/fleet';

/** Wait before loading persisted state when the live socket does not connect. */
const OFFLINE_FALLBACK_MS = 1_500;
const RETRY_MS = 4_000;
const CATCH_UP_PAGE = 500;
/**
 * Past this many hosts the model shows as soon as its hosts and networks are in, before its VTEP
 * entries (the topology's fleet view threshold: that view draws hosts only). Smaller clouds wait
 * for both parts, so their cards never show a moment without ports.
 */
const PARTIAL_FIRST_HOSTS = FLEET_THRESHOLD;
/** socket.io's path on the dashboard's origin (the web server proxies it to the worker). */
export const LIVE_PATH = '/socket.io';

/** What a page needs kept in sync: the l2pop model (topology), the inspector's rows, the host view, the toggle jobs. */
export type SyncFeature = 'model' | 'inspector' | 'nodes' | 'jobs';

/** Jobs read when the `jobs` part loads (then live `toggle` events keep them current). */
const JOBS_PAGE = 200;

/** A performance mark, first occurrence only (the perf script's breakdown of the first paint; no-op without `performance`). */
function mark(name: string): void {
  if (typeof performance !== 'undefined' && performance.getEntriesByName(name).length === 0) performance.mark(name);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Wires the socket and the tRPC client to a store. One instance per page. */
export class LiveSync {
  private socket: Socket<LiveServerEvents> | null = null;
  private stopped = false;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  /** Highest message id seen on the socket. */
  private lastLiveId = 0;
  /** Text filter catch-up: every id <= textCursor has been checked by the server. */
  private textCursor = 0;
  private catchUpTarget = 0;
  private catchUpRunning = false;
  private everConnected = false;
  /** The offline fallback ran (the worker was not reachable at start): parts enabled later load at once. */
  private fallbackDone = false;
  /** The current connection's `subscribed` event (null while connecting or disconnected). */
  private subscribed: LiveSubscribed | null = null;
  /**
   * A model sync whose requests went out before the socket was connected (its generation, and its
   * joined snapshot once in): it waits for the connection's `subscribed` to be confirmed or fetched
   * again ({@link LiveSync.confirmModel}).
   */
  private early: { gen: number; snapshot: ModelSnapshot | null } | null = null;
  private readonly features = new Set<SyncFeature>();

  /**
   * @param origin the dashboard's own origin, resolved on `start` (it may need `window`): the socket
   *   connects there at {@link LIVE_PATH}, which the web server forwards to the worker (`apps/web/proxy.ts`)
   */
  constructor(
    private readonly store: L2Store,
    private readonly client: TrpcClient,
    private readonly origin: () => string,
  ) {}

  /**
   * Keep these parts in sync from now on (idempotent). Enabled before `start`, they load with
   * the connection; enabled later, they load at once.
   */
  enable(...features: SyncFeature[]): void {
    const added = features.filter((f) => !this.features.has(f));
    for (const f of added) this.features.add(f);
    if (!this.socket || added.length === 0) return;
    for (const f of added) if (this.socket.connected || this.fallbackDone || f === 'model') this.load(f, this.socket.connected);
  }

  /** Whether a part is kept in sync. */
  enabled(feature: SyncFeature): boolean {
    return this.features.has(feature);
  }

  private load(f: SyncFeature, connected: boolean): void {
    if (f === 'model') void this.resyncModel();
    else if (f === 'nodes') void this.resyncNodes();
    else if (f === 'jobs') void this.loadJobs();
    else if (connected && this.store.getState().inspector.paused) this.store.dispatch({ type: 'inspector/stale' });
    else void this.fetchFirst(connected);
  }

  /** Connect and load. Idempotent while started; may be called again after `stop`. */
  start(): void {
    if (this.socket) return;
    this.stopped = false;
    this.everConnected = false;
    this.fallbackDone = false;
    const origin = this.origin();
    const { dispatch } = this.store;
    mark('l2scope:live-start');
    dispatch({ type: 'live/socket', socket: 'connecting', url: `${origin}${LIVE_PATH}` });
    const socket: Socket<LiveServerEvents> = io(origin, {
      path: LIVE_PATH,
      addTrailingSlash: false,
      transports: ['websocket', 'polling'],
      reconnectionDelayMax: 5_000,
      timeout: 5_000,
    });
    this.socket = socket;
    socket.on('connect', () => {
      mark('l2scope:live-connected');
      this.everConnected = true;
      this.subscribed = null;
      dispatch({ type: 'live/socket', socket: 'connected', error: null });
      // what was missed while away (or before the subscription) comes from the database; a model
      // sync requested before the connection waits for its `subscribed` instead
      for (const f of this.features) if (f !== 'model' || !this.early) this.load(f, true);
      // a worker that sends no `subscribed` (an older one): fetch the model again, connected
      const early = this.early?.gen;
      if (early !== undefined)
        this.later(OFFLINE_FALLBACK_MS, () => {
          if (this.early?.gen === early && !this.subscribed && this.socket?.connected) void this.resyncModel();
        });
    });
    socket.on('subscribed', (sub) => {
      this.subscribed = sub;
      this.confirmModel();
    });
    socket.on('disconnect', (reason) => {
      this.subscribed = null;
      dispatch({ type: 'live/socket', socket: 'disconnected', error: reason });
      dispatch({ type: 'live/behind', behind: false });
      void this.loadPersistedStats();
    });
    socket.on('connect_error', (err) => {
      dispatch({ type: 'live/socket', socket: 'disconnected', error: err.message });
    });
    socket.on('model', (batch) => {
      if (!this.features.has('model')) dispatch({ type: 'live/modelSeq', seq: batch.seq });
      else if ((batch.skipped ?? 0) > 0)
        void this.resyncModel(); // changes were left out (burst, expired hosts): refetch
      else dispatch({ type: 'model/batch', batch });
    });
    socket.on('stats', (stats) => dispatch({ type: 'live/stats', stats }));
    // back-pressure: the worker held windows back; `behind: false` comes with `skipped` batches (refetch)
    socket.on('live', (state) => dispatch({ type: 'live/behind', behind: state.behind }));
    socket.on('messages', (batch) => this.onMessages(batch.messages, batch.skipped));
    socket.on('nodes', (update) => {
      if (this.features.has('nodes')) dispatch({ type: 'nodes/update', update });
    });
    // a job is a whole value and the newer copy wins (state/jobs.ts): no buffering needed
    socket.on('toggle', (job) => {
      if (this.features.has('jobs')) dispatch({ type: 'jobs/upsert', jobs: [job] });
    });

    void this.loadPersistedStats();
    // the model's requests go out with the socket's connection, not after it (the first paint)
    if (this.features.has('model')) void this.resyncModel();
    this.later(OFFLINE_FALLBACK_MS, () => {
      if (this.everConnected) return;
      this.fallbackDone = true;
      for (const f of this.features) if (f !== 'model' || !this.early) this.load(f, false);
    });
  }

  /** Disconnect and drop pending timers. */
  stop(): void {
    this.stopped = true;
    this.early = null;
    this.subscribed = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
  }

  /** Change the host filter, keeping the others as they are in the store. */
  setHost(host: string | undefined): void {
    this.setFilter({ ...this.store.getState().inspector.filter, host });
  }

  /** Change the free-text filter, keeping the others as they are in the store. */
  setText(text: string): void {
    this.setFilter({ ...this.store.getState().inspector.filter, text });
  }

  /** Change the inspector's filters (refetches the first page). */
  setFilter(filter: InspectorFilter): void {
    const current = this.store.getState().inspector.filter;
    if (sameFilter(current, filter)) return;
    this.store.dispatch({ type: 'inspector/filter', filter: normalizeFilter(filter) });
    void this.fetchFirst(false);
  }

  /** Fetch the next older page (on scroll), unless one is loading or the memory bound is reached. */
  async loadOlder(): Promise<void> {
    const ins = this.store.getState().inspector;
    if (ins.loadingOlder || ins.nextCursor === null || ins.status !== 'ready' || ins.capped) return;
    const gen = ins.gen;
    this.store.dispatch({ type: 'inspector/olderRequest' });
    try {
      const res = await this.client.messages.list.query({ ...ins.filter, before: ins.nextCursor, limit: PAGE_SIZE });
      this.store.dispatch({ type: 'inspector/olderPage', gen, items: res.items, nextCursor: res.nextCursor });
    } catch (err) {
      this.store.dispatch({ type: 'inspector/error', gen, error: message(err) });
    }
  }

  /** Pause live rows (they are buffered and counted). */
  pause(): void {
    this.store.dispatch({ type: 'inspector/pause' });
  }

  /** Resume: flush the buffered rows; refetch the first page if some were lost meanwhile. */
  resume(): void {
    const stale = this.store.getState().inspector.stale;
    this.store.dispatch({ type: 'inspector/resume' });
    if (stale) void this.fetchFirst(true);
  }

  /** Reload the first page with the current filters. */
  refresh(): void {
    void this.fetchFirst(true);
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  private async resyncModel(): Promise<void> {
    const gen = this.store.getState().model.gen + 1;
    this.store.dispatch({ type: 'model/syncStart', gen });
    // sent before the socket is connected, the answer may miss changes broadcast before the socket
    // joined: it is shown, and confirmed (or fetched again) once the connection's `subscribed` is in
    const early = !this.socket?.connected;
    this.early = early ? { gen, snapshot: null } : null;
    try {
      // two requests at once: the hosts and networks (a large cloud's first picture: the fleet view
      // needs nothing else), and the VTEP entries (90% of a fleet's rows and bytes)
      const vtepsReq = this.client.topology.vteps.query();
      vtepsReq.catch(() => {}); // awaited below; a failure of the first request must not leave it unhandled
      const first = await this.client.topology.snapshot.query({ vteps: false });
      mark('l2scope:snapshot-received');
      if (first.hosts.length > PARTIAL_FIRST_HOSTS) this.store.dispatch({ type: 'model/partial', gen, snapshot: first });
      mark('l2scope:snapshot-folded');
      const rest = await vtepsReq;
      mark('l2scope:vteps-received');
      const snapshot = joinSnapshot(first, rest);
      if (early) {
        if (this.early?.gen !== gen) return; // a newer sync took over
        this.store.dispatch({ type: 'model/partial', gen, snapshot });
        mark('l2scope:vteps-folded');
        this.early = { gen, snapshot };
        this.confirmModel();
        return;
      }
      this.store.dispatch({ type: 'model/snapshot', gen, snapshot });
      mark('l2scope:vteps-folded');
      this.afterSnapshot(gen);
    } catch (err) {
      if (this.early?.gen === gen) this.early = null;
      this.store.dispatch({ type: 'model/error', gen, error: message(err) });
      this.later(RETRY_MS, () => {
        if (this.store.getState().model.gen === gen) void this.resyncModel();
      });
    }
  }

  /** After a snapshot was folded: start over if the buffer overflowed meanwhile. */
  private afterSnapshot(gen: number): void {
    const m = this.store.getState().model;
    if (m.gen === gen && m.overflowed) void this.resyncModel();
  }

  /**
   * An early model sync (requested before the socket was connected) meets the connection's
   * `subscribed`: its snapshot, read at `seq` S, plus the batches buffered since the connection is
   * the whole model when S >= `modelSeq` (every change after S reached the socket) and S >
   * `modelSkippedAt` (no skipped change, such as an expired host, may postdate the read). Then the
   * buffered batches are folded in; otherwise the model is fetched again, the socket connected.
   * No-op until both the snapshot and `subscribed` are in.
   */
  private confirmModel(): void {
    const early = this.early;
    const sub = this.subscribed;
    if (!early?.snapshot || !sub || !this.socket?.connected) return;
    this.early = null;
    if (this.store.getState().model.gen !== early.gen) return;
    if (!earlySnapshotWhole(early.snapshot.seq, sub)) {
      void this.resyncModel();
      return;
    }
    this.store.dispatch({ type: 'model/snapshot', gen: early.gen, snapshot: early.snapshot });
    this.afterSnapshot(early.gen);
  }

  private async resyncNodes(): Promise<void> {
    const gen = this.store.getState().nodes.gen + 1;
    this.store.dispatch({ type: 'nodes/syncStart', gen });
    try {
      const overview = await this.client.nodes.overview.query();
      this.store.dispatch({ type: 'nodes/overview', gen, overview });
      const n = this.store.getState().nodes;
      if (n.gen === gen && n.overflowed) void this.resyncNodes();
    } catch (err) {
      this.store.dispatch({ type: 'nodes/error', gen, error: message(err) });
      this.later(RETRY_MS, () => {
        if (this.store.getState().nodes.gen === gen) void this.resyncNodes();
      });
    }
  }

  /** Read the newest jobs (on enable and every (re)connect: what happened while away). */
  private async loadJobs(): Promise<void> {
    try {
      const jobs = await this.client.jobs.list.query({ limit: JOBS_PAGE });
      this.store.dispatch({ type: 'jobs/upsert', jobs });
    } catch {
      this.later(RETRY_MS, () => void this.loadJobs());
    }
  }

  /** Fold jobs a mutation or a read returned (the same rule as live events: the newer copy wins). */
  upsertJobs(jobs: ToggleJobView[]): void {
    this.store.dispatch({ type: 'jobs/upsert', jobs });
  }

  private async loadPersistedStats(): Promise<void> {
    try {
      const stats = await this.client.stats.get.query();
      this.store.dispatch({ type: 'live/persisted', stats });
    } catch {
      // the header shows the database as unreachable through the model/inspector errors
    }
  }

  private async fetchFirst(keepRows: boolean): Promise<void> {
    const ins = this.store.getState().inspector;
    const gen = ins.gen + 1;
    const filter = ins.filter;
    const liveMark = this.lastLiveId;
    this.store.dispatch({ type: 'inspector/request', gen, keepRows });
    try {
      const res = await this.client.messages.list.query({ ...filter, limit: PAGE_SIZE });
      if (this.store.getState().inspector.gen !== gen) return;
      this.store.dispatch({ type: 'inspector/firstPage', gen, items: res.items, nextCursor: res.nextCursor });
      this.textCursor = Math.max(res.items[0]?.id ?? 0, liveMark);
      if (needsServerMatch(filter) && this.lastLiveId > this.textCursor) void this.catchUp(this.lastLiveId);
    } catch (err) {
      this.store.dispatch({ type: 'inspector/error', gen, error: message(err) });
      this.later(RETRY_MS, () => {
        if (this.store.getState().inspector.gen === gen) void this.fetchFirst(true);
      });
    }
  }

  private onMessages(messages: MessageSummary[], skipped: number): void {
    for (const m of messages) if (m.id > this.lastLiveId) this.lastLiveId = m.id;
    if (!this.features.has('inspector')) return;
    const ins = this.store.getState().inspector;
    if (skipped > 0) {
      // the worker thinned a burst: the database has the rows we did not get
      if (ins.paused) this.store.dispatch({ type: 'inspector/stale' });
      else void this.fetchFirst(true);
      return;
    }
    if (ins.status === 'error') return;
    if (needsServerMatch(ins.filter)) {
      if (ins.status === 'ready') void this.catchUp(this.lastLiveId);
      return;
    }
    const rows = messages.filter((m) => matchesStructured(m, ins.filter));
    if (rows.length) this.store.dispatch({ type: 'inspector/incoming', gen: ins.gen, rows });
  }

  /** Ask the server which messages after `textCursor` match the text filter (one query at a time). */
  private async catchUp(upTo: number): Promise<void> {
    if (upTo > this.catchUpTarget) this.catchUpTarget = upTo;
    if (this.catchUpRunning) return;
    this.catchUpRunning = true;
    try {
      while (!this.stopped && this.textCursor < this.catchUpTarget) {
        const ins = this.store.getState().inspector;
        if (!needsServerMatch(ins.filter) || ins.status !== 'ready') break;
        const target = this.catchUpTarget;
        const res = await this.client.messages.list.query({ ...ins.filter, after: this.textCursor, limit: CATCH_UP_PAGE });
        if (this.store.getState().inspector.gen !== ins.gen) continue;
        this.store.dispatch({ type: 'inspector/incoming', gen: ins.gen, rows: res.items });
        this.textCursor = res.items.length >= CATCH_UP_PAGE ? Math.max(...res.items.map((m) => m.id)) : target;
      }
    } catch {
      // next live batch retries
    } finally {
      this.catchUpRunning = false;
    }
  }
}
