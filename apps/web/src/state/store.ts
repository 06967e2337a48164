/**
 * The dashboard's client store: one state object, one reducer, one subscription point.
 * Every piece of client state lives here (live connection, tap stats, the model, the inspector's
 * rows and filters, the selections); components only select from it and dispatch actions, and
 * `sync.ts` is the only module that talks to the network.
 */
import { useSyncExternalStore } from 'react';
import type { MessageSummary, ModelSnapshot, NodesLiveUpdate, TapStats, ToggleJobView } from '@l2scope/domain';
import { type InspectorFilter, MAX_ROWS, mergeNewestFirst, normalizeFilter } from './inspector';
import { EMPTY_MODEL, type ModelBatch, type ModelState, applyBuffered, applyModelBatch, modelFromSnapshot } from './model';
import { EMPTY_HOST_VIEW, type HostViewOverview, type HostViewState, applyHostViewUpdate, hostViewFromOverview } from './host-view';
import { EMPTY_JOBS, type JobsState, upsertJobs } from './jobs';

/** Counters as persisted in the database (`stats.get`): shown until the live socket reports. */
export interface PersistedStats {
  received: number;
  undecodable: number;
  dropped: number;
  expired: number;
  seq: number;
  gaps: TapStats['gaps'];
}

export type SocketState = 'connecting' | 'connected' | 'disconnected';

export interface L2State {
  live: {
    socket: SocketState;
    /** Last connection error of the live socket. */
    error: string | null;
    /** Resolved socket.io URL. */
    url: string | null;
    /** Latest `stats` event (null until the worker has sent one). */
    stats: TapStats | null;
    persisted: PersistedStats | null;
    /** Newest model `seq` seen on the socket, also while the model itself is not synced (pages without the topology). */
    modelSeq: number;
    /** The worker holds live windows back from this browser (back-pressure: it reads too slowly); a refetch follows. */
    behind: boolean;
  };
  model: {
    state: ModelState;
    status: 'loading' | 'ready' | 'error';
    error: string | null;
    /** A snapshot fetch is under way: live batches are buffered until it lands. */
    syncing: boolean;
    /** Generation of the snapshot request in flight (stale answers are dropped). */
    gen: number;
    buffer: ModelBatch[];
    /** Batches were dropped at the buffer bound during this sync: the sync must start over. */
    overflowed: boolean;
    /** `state` is a part of a sync's answer shown on the first load (`model/partial`), not yet a whole synced model. */
    partial: boolean;
  };
  inspector: {
    filter: InspectorFilter;
    /** Bumped on every first-page request: answers and live rows of an older generation are dropped. */
    gen: number;
    /** Newest first, at most MAX_ROWS. */
    rows: MessageSummary[];
    /** `before` cursor of the next older page; null when none. */
    nextCursor: number | null;
    status: 'loading' | 'ready' | 'error';
    error: string | null;
    loadingOlder: boolean;
    /** Rows were dropped at the memory bound: older pages stop there. */
    capped: boolean;
    paused: boolean;
    /** Rows received while paused, newest first. */
    pending: MessageSummary[];
    /** While paused, rows were lost (burst thinned by the worker, or pending overflow): resume refetches. */
    stale: boolean;
  };
  /** The host view (told vs held): overview + live `nodes` updates. */
  nodes: {
    view: HostViewState;
    status: 'idle' | 'loading' | 'ready' | 'error';
    error: string | null;
    /** An overview fetch is under way: live updates are buffered until it lands. */
    syncing: boolean;
    gen: number;
    buffer: NodesLiveUpdate[];
    overflowed: boolean;
    /** Bumped on every change of the view (overview loaded, update applied). */
    rev: number;
    /** Per host: `rev` of the last change that touched it (summary, lags, BUM, a finding naming it). */
    hostRev: Readonly<Record<string, number>>;
    /** `rev` of the last change of the open findings. */
    findingsRev: number;
    /** `rev` of the last change of a BUM report. */
    bumRev: number;
  };
  /** Toggle jobs: read through tRPC, returned by the toggle mutations, and the live `toggle` events (`state/jobs.ts`). */
  jobs: JobsState;
  ui: {
    selectedHost: string | null;
    /** Network picker: highlight one network (null = all). */
    selectedNetwork: string | null;
    selectedMessage: number | null;
  };
}

export type L2Action =
  | { type: 'live/socket'; socket: SocketState; error?: string | null; url?: string | null }
  | { type: 'live/stats'; stats: TapStats }
  | { type: 'live/behind'; behind: boolean }
  | { type: 'live/persisted'; stats: PersistedStats }
  | { type: 'model/syncStart'; gen: number }
  | { type: 'model/snapshot'; gen: number; snapshot: ModelSnapshot }
  /**
   * A model shown before its sync is done, live batches still buffered: the hosts and networks of a
   * large cloud while its VTEP entries are on their way, or a snapshot requested before the socket
   * was connected while its `subscribed` is awaited. On the first load only (or over another partial).
   */
  | { type: 'model/partial'; gen: number; snapshot: ModelSnapshot }
  | { type: 'model/error'; gen: number; error: string }
  | { type: 'model/batch'; batch: ModelBatch }
  | { type: 'live/modelSeq'; seq: number }
  | { type: 'nodes/syncStart'; gen: number }
  | { type: 'nodes/overview'; gen: number; overview: HostViewOverview }
  | { type: 'nodes/error'; gen: number; error: string }
  | { type: 'nodes/update'; update: NodesLiveUpdate }
  | { type: 'jobs/upsert'; jobs: ToggleJobView[] }
  | { type: 'inspector/filter'; filter: InspectorFilter }
  | { type: 'inspector/request'; gen: number; keepRows: boolean }
  | { type: 'inspector/firstPage'; gen: number; items: MessageSummary[]; nextCursor: number | null }
  | { type: 'inspector/error'; gen: number; error: string }
  | { type: 'inspector/olderRequest' }
  | { type: 'inspector/olderPage'; gen: number; items: MessageSummary[]; nextCursor: number | null }
  | { type: 'inspector/incoming'; gen: number; rows: MessageSummary[] }
  | { type: 'inspector/stale' }
  | { type: 'inspector/pause' }
  | { type: 'inspector/resume' }
  | { type: 'ui/selectHost'; id: string | null }
  | { type: 'ui/selectNetwork'; id: string | null }
  | { type: 'ui/selectMessage'; id: number | null };

/** Live batches kept while a snapshot is fetched; beyond this the sync starts over. */
export const MAX_BUFFERED_BATCHES = 10_000;
/** Live node updates kept while the overview is fetched; beyond this the sync starts over. */
export const MAX_BUFFERED_NODE_UPDATES = 1_000;

/** The state before anything is loaded. */
export function initialState(): L2State {
  return {
    live: { socket: 'connecting', error: null, url: null, stats: null, persisted: null, modelSeq: 0, behind: false },
    model: { state: EMPTY_MODEL, status: 'loading', error: null, syncing: true, gen: 0, buffer: [], overflowed: false, partial: false },
    inspector: {
      filter: {},
      gen: 0,
      rows: [],
      nextCursor: null,
      status: 'loading',
      error: null,
      loadingOlder: false,
      capped: false,
      paused: false,
      pending: [],
      stale: false,
    },
    nodes: {
      view: EMPTY_HOST_VIEW,
      status: 'idle',
      error: null,
      syncing: true,
      gen: 0,
      buffer: [],
      overflowed: false,
      rev: 0,
      hostRev: {},
      findingsRev: 0,
      bumRev: 0,
    },
    jobs: EMPTY_JOBS,
    ui: { selectedHost: null, selectedNetwork: null, selectedMessage: null },
  };
}

/** Fold node updates into the nodes slice (after an overview, or one live update). */
function applyHostViewUpdates(n: L2State['nodes'], view: HostViewState, updates: NodesLiveUpdate[], reset: boolean): L2State['nodes'] {
  const rev = n.rev + 1;
  const hostRev: Record<string, number> = reset ? {} : { ...n.hostRev };
  if (reset) for (const h of view.hosts.keys()) hostRev[h] = rev;
  let findingsRev = reset ? rev : n.findingsRev;
  let bumRev = reset ? rev : n.bumRev;
  let v = view;
  for (const u of updates) {
    const c = applyHostViewUpdate(v, u);
    v = c.view;
    for (const h of c.hosts) hostRev[h] = rev;
    if (c.findingsChanged) findingsRev = rev;
    if (c.bumChanged) bumRev = rev;
  }
  return { ...n, view: v, rev, hostRev, findingsRev, bumRev };
}

/** The reducer: pure, every transition of the client state. */
export function reduce(s: L2State, a: L2Action): L2State {
  switch (a.type) {
    case 'live/socket':
      return {
        ...s,
        live: { ...s.live, socket: a.socket, error: a.error === undefined ? s.live.error : a.error, url: a.url === undefined ? s.live.url : a.url },
      };
    case 'live/stats':
      return { ...s, live: { ...s.live, stats: a.stats } };
    case 'live/behind':
      return { ...s, live: { ...s.live, behind: a.behind } };
    case 'live/persisted':
      return { ...s, live: { ...s.live, persisted: a.stats } };
    case 'live/modelSeq':
      return a.seq > s.live.modelSeq ? { ...s, live: { ...s.live, modelSeq: a.seq } } : s;

    case 'nodes/syncStart':
      return {
        ...s,
        nodes: { ...s.nodes, syncing: true, gen: a.gen, buffer: [], overflowed: false, status: s.nodes.status === 'ready' ? 'ready' : 'loading' },
      };
    case 'nodes/overview': {
      if (a.gen !== s.nodes.gen) return s;
      const n = applyHostViewUpdates(s.nodes, hostViewFromOverview(a.overview), s.nodes.buffer, true);
      return { ...s, nodes: { ...n, status: 'ready', error: null, syncing: false, buffer: [] } };
    }
    case 'nodes/error':
      if (a.gen !== s.nodes.gen) return s;
      return { ...s, nodes: { ...s.nodes, status: s.nodes.status === 'ready' ? 'ready' : 'error', error: a.error } };
    case 'nodes/update': {
      if (s.nodes.syncing) {
        if (s.nodes.buffer.length >= MAX_BUFFERED_NODE_UPDATES) return s.nodes.overflowed ? s : { ...s, nodes: { ...s.nodes, overflowed: true } };
        return { ...s, nodes: { ...s.nodes, buffer: [...s.nodes.buffer, a.update] } };
      }
      return { ...s, nodes: applyHostViewUpdates(s.nodes, s.nodes.view, [a.update], false) };
    }

    case 'model/syncStart':
      return { ...s, model: { ...s.model, syncing: true, gen: a.gen, buffer: [], overflowed: false } };
    case 'model/snapshot': {
      if (a.gen !== s.model.gen) return s;
      const state = applyBuffered(modelFromSnapshot(a.snapshot), s.model.buffer);
      return { ...s, model: { ...s.model, state, status: 'ready', error: null, syncing: false, buffer: [], partial: false } };
    }
    case 'model/partial':
      // first load only: a resync keeps showing the whole model it had until the new one is whole
      if (a.gen !== s.model.gen || !s.model.syncing || (s.model.status === 'ready' && !s.model.partial)) return s;
      return { ...s, model: { ...s.model, state: modelFromSnapshot(a.snapshot), status: 'ready', error: null, partial: true } };
    case 'model/error':
      if (a.gen !== s.model.gen) return s;
      // keep showing the last model and keep buffering: the sync retries with a new generation
      return { ...s, model: { ...s.model, status: s.model.status === 'ready' ? 'ready' : 'error', error: a.error } };
    case 'model/batch': {
      if (s.model.syncing) {
        if (s.model.buffer.length >= MAX_BUFFERED_BATCHES) return s.model.overflowed ? s : { ...s, model: { ...s.model, overflowed: true } };
        return { ...s, model: { ...s.model, buffer: [...s.model.buffer, a.batch] } };
      }
      const state = applyModelBatch(s.model.state, a.batch);
      return state === s.model.state ? s : { ...s, model: { ...s.model, state } };
    }

    case 'jobs/upsert': {
      const jobs = upsertJobs(s.jobs, a.jobs);
      return jobs === s.jobs ? s : { ...s, jobs };
    }

    case 'inspector/filter': {
      const filter = normalizeFilter(a.filter);
      return { ...s, inspector: { ...s.inspector, filter } };
    }
    case 'inspector/request':
      return {
        ...s,
        inspector: {
          ...s.inspector,
          gen: a.gen,
          status: 'loading',
          error: null,
          loadingOlder: false,
          ...(a.keepRows ? {} : { rows: [], nextCursor: null, capped: false, pending: [], stale: false }),
        },
      };
    case 'inspector/firstPage': {
      if (a.gen !== s.inspector.gen) return s;
      // keep live rows that arrived after the page was read (newer than its newest row)
      const head = a.items[0]?.id ?? 0;
      const newer = s.inspector.rows.filter((r) => r.id > head);
      const { rows } = mergeNewestFirst(a.items, newer);
      return {
        ...s,
        inspector: { ...s.inspector, rows, nextCursor: a.nextCursor, status: 'ready', error: null, capped: false, pending: [], stale: false },
      };
    }
    case 'inspector/error':
      if (a.gen !== s.inspector.gen) return s;
      return { ...s, inspector: { ...s.inspector, status: 'error', error: a.error, loadingOlder: false } };
    case 'inspector/olderRequest':
      return { ...s, inspector: { ...s.inspector, loadingOlder: true } };
    case 'inspector/olderPage': {
      if (a.gen !== s.inspector.gen) return s;
      const room = MAX_ROWS - s.inspector.rows.length;
      const items = a.items.slice(0, Math.max(0, room));
      const capped = items.length < a.items.length;
      const rows = items.length ? dedupeAppend(s.inspector.rows, items) : s.inspector.rows;
      return { ...s, inspector: { ...s.inspector, rows, nextCursor: capped ? null : a.nextCursor, loadingOlder: false, capped: s.inspector.capped || capped } };
    }
    case 'inspector/incoming': {
      if (a.gen !== s.inspector.gen || a.rows.length === 0) return s;
      const ins = s.inspector;
      if (ins.paused) {
        const { rows: pending, trimmed } = mergeNewestFirst(ins.pending, a.rows);
        return { ...s, inspector: { ...ins, pending, stale: ins.stale || trimmed > 0 } };
      }
      const { rows, trimmed } = mergeNewestFirst(ins.rows, a.rows);
      // trimmed rows can be paged in again from the last kept row
      const nextCursor = trimmed ? (rows[rows.length - 1]?.id ?? null) : ins.nextCursor;
      return { ...s, inspector: { ...ins, rows, nextCursor } };
    }
    case 'inspector/stale':
      return { ...s, inspector: { ...s.inspector, stale: true } };
    case 'inspector/pause':
      return { ...s, inspector: { ...s.inspector, paused: true } };
    case 'inspector/resume': {
      const ins = s.inspector;
      const { rows, trimmed } = mergeNewestFirst(ins.rows, ins.pending);
      const nextCursor = trimmed ? (rows[rows.length - 1]?.id ?? null) : ins.nextCursor;
      return { ...s, inspector: { ...ins, paused: false, pending: [], rows, nextCursor } };
    }

    case 'ui/selectHost':
      return { ...s, ui: { ...s.ui, selectedHost: a.id } };
    case 'ui/selectNetwork':
      return { ...s, ui: { ...s.ui, selectedNetwork: a.id } };
    case 'ui/selectMessage':
      return { ...s, ui: { ...s.ui, selectedMessage: a.id } };
  }
}

function dedupeAppend(rows: MessageSummary[], older: MessageSummary[]): MessageSummary[] {
  const last = rows[rows.length - 1]?.id ?? Infinity;
  return rows.concat(older.filter((m) => m.id < last));
}

/** A minimal external store around {@link reduce}. */
export interface L2Store {
  getState(): L2State;
  dispatch(action: L2Action): void;
  subscribe(listener: () => void): () => void;
}

/** Create a store (the app uses the {@link l2store} singleton; tests create their own). */
export function createL2Store(initial: L2State = initialState()): L2Store {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    getState: () => state,
    dispatch(action) {
      const next = reduce(state, action);
      if (next === state) return;
      state = next;
      for (const l of listeners) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The browser's store. */
export const l2store = createL2Store();
const serverState = initialState();

/**
 * Select a slice of the store; re-renders when the selected value changes (by identity).
 * Selectors must return stored values, not new objects.
 */
export function useL2<T>(selector: (s: L2State) => T): T {
  return useSyncExternalStore(
    l2store.subscribe,
    () => selector(l2store.getState()),
    () => selector(serverState),
  );
}

/** Dispatch to the browser's store. */
export const dispatch = (action: L2Action): void => l2store.dispatch(action);
