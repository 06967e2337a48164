/**
 * The live-push contract between the worker (producer, apps/worker/src/live.ts `LiveServer`) and
 * browsers (consumer, apps/web/src/state/sync.ts `LiveSync`): socket.io event names and payloads.
 * Pure types; what is pushed is JSON (ISO-8601 strings for times unless a field says epoch ms).
 *
 * Transport: one socket.io connection per browser, on the worker's live port (`--port`, default 3001, the
 * same HTTP server as `/healthz` and `/api/*`). Server -> browser only: a browser never emits.
 *
 * Batching and ordering:
 * - The worker pushes in windows (`windowMs`, default 50 ms): the first thing queued in a quiet
 *   period arms a timer; when it fires, each event below is emitted at most once, in the order
 *   `model`, `messages`, `nodes`, `stats`, and only if something was queued for it. socket.io keeps
 *   the order of events on one connection, so a browser sees windows in order and, within a window,
 *   the model before the messages that caused it.
 * - `model` and `messages` carry only committed data: the ingest pipeline hands a batch of
 *   messages (and the model changes they made) to the live server after its database transaction
 *   committed, so anything pushed is already in what `topology.snapshot` / `messages.list` read.
 * - Nothing is replayed: a browser that connects (or reconnects) gets the events from then on,
 *   plus one `stats` and one `subscribed` at once; what it missed comes from the database. `LiveSync` subscribes first,
 *   then on every (re)connect buffers `model` batches while it fetches `topology.snapshot`, folds
 *   the buffered batches whose `seq` is newer than the snapshot's in arrival order, then applies
 *   later batches directly (same for `nodes` updates around `nodes.overview`, all of them in arrival
 *   order, as they are absolute per host).
 *
 * Events ({@link LiveServerEvents}):
 * - `model` ({@link ModelBatch}): the l2pop model's changes of the window.
 * - `messages` ({@link MessagesBatch}): inspector rows of the window, thinned under bursts.
 * - `nodes` ({@link NodesLiveUpdate}): the node view (analyses, findings, convergence, BUM).
 * - `stats` ({@link TapStats}): the worker's counters and tap state, absolute.
 * - `subscribed` ({@link LiveSubscribed}): once per connection, where its `model` batches start, so a
 *   snapshot requested while the socket was still connecting can be joined with them (or refetched).
 */
import type { MessageSummary } from './inspect';
import type { ModelChange } from './model';
import type { HostConvergence } from './node/convergence';
import type { NodeRefusals } from './node/identity';
import type { FindingView, HostNodeSummary } from './node/summary';
import type { ToggleJobView } from './toggle/view';

/**
 * socket.io `model` event: the model changes committed during one window.
 *
 * `changes` are coalesced per record (`modelChangeKey`: host, network, or (network, VTEP)): one
 * change per record, the latest, ordered by when that latest change happened. Each is absolute (an
 * upsert with the record's whole value, or a removal), so applying one again, or applying a batch
 * on a snapshot that already holds part of it, is harmless; fold them with `applyModelChanges`.
 * A record removed and re-created within the window arrives as one upsert.
 *
 * `seq` is the id of the last message committed when the window closed (the model's `seq`): it
 * grows from batch to batch, and a snapshot with `seq >= batch.seq` already contains the batch.
 * A window whose messages changed nothing emits no `model` event (`seq` then moves with the next one).
 */
export interface ModelBatch {
  /** Id of the last message committed (monotonic, same numbering as `ModelSnapshot.seq`). */
  seq: number;
  /** One absolute change per record, in order of each record's latest change. */
  changes: ModelChange[];
  /**
   * Changes of this window not sent (0 or absent normally): a burst touched more records than the worker
   * pushes per window, or hosts expired from the model. The browser then refetches the model
   * (`topology.snapshot`) instead of folding the batch. Absent means 0.
   */
  skipped?: number;
}

/**
 * socket.io `messages` event: summaries of the messages committed during one window, oldest first.
 * At most `maxMessagesPerWindow` (default 500) per window: under a burst the oldest are dropped and
 * counted in `skipped`; a browser that gets `skipped > 0` refetches the first page of history
 * through tRPC (`messages.list`) instead of trusting its rows.
 */
export interface MessagesBatch {
  messages: MessageSummary[];
  /** Summaries of this window not sent (burst thinned); 0 normally. */
  skipped: number;
}

/**
 * socket.io `subscribed` event: sent to a socket once, as it connects, right after it joined the
 * broadcasts (before any `model` batch can reach it). It lets a browser use a model snapshot it
 * requested before its socket was connected: that snapshot (read at `seq` S) plus the batches
 * the socket gets is the whole model when `modelSeq` is not null, S >= `modelSeq` and
 * S > `modelSkippedAt` (when not null); otherwise the browser fetches the snapshot again.
 */
export interface LiveSubscribed {
  /**
   * Every model change committed with an id above this reaches this socket in a `model` batch (the
   * worker's last committed message id when the socket joined). Null when this worker cannot tell:
   * it shares broadcasts with other workers over Redis, so batches it did not publish reach the socket.
   */
  modelSeq: number | null;
  /**
   * The last committed message id when the worker last skipped model changes (a `model` batch
   * with `skipped`: a burst past the per-window cap, or hosts expired, which no message id
   * orders); null when it never did. A snapshot read at a `seq` not above it may predate the skip.
   */
  modelSkippedAt: number | null;
}

/** socket.io `live` event: the socket's back-pressure state. */
export interface LiveSocketState {
  behind: boolean;
}

/** Counters and state of the worker, shown in the UI header. */
export interface TapStats {
  /** "amqp" (live tap), "replay" (in-process replay) or "idle". */
  mode: 'amqp' | 'replay' | 'idle';
  /** Broker connection up (always true for an in-process replay). */
  connected: boolean;
  /** Messages received since the database was created. */
  received: number;
  /** Messages that could not be decoded (kept raw). */
  undecodable: number;
  /** Messages the broker dropped from the tap queue because it was full (x-overflow drop-head). */
  dropped: number;
  /** Messages that expired in the tap queue before the worker took them (TTL). */
  expired: number;
  /** Messages waiting in the tap queue at the last check, null if unknown. */
  queueDepth: number | null;
  /** Exchanges not (yet) present on the broker, so not bound (retried). */
  missingExchanges: string[];
  /** Exchanges the tap's RabbitMQ user may not read, so not tapped. */
  deniedExchanges: string[];
  /** Disconnections of the tap, most recent first (bounded). */
  gaps: TapGapView[];
  /** Id of the last persisted message. */
  seq: number;
  /**
   * On PostgreSQL with several workers (docs/operations.md#failover): `active` taps and writes,
   * `standby` waits for the lock and serves what the active committed. Absent from older workers.
   */
  role?: 'active' | 'standby';
}

/** A period during which the tap was disconnected (messages then were not seen). */
export interface TapGapView {
  id: number;
  startedAt: string;
  endedAt: string | null;
  reason: string;
}

/**
 * socket.io `nodes` event: what changed in the node view since the last one (absolute per host).
 * The worker sends one after an analysis that changed a host's summary, a finding or a host's
 * convergence figures, and one when new BUM reports arrived (with its
 * periodic store, at most about once a second); updates
 * queued within one window are merged: per host the latest summary / convergence / BUM report
 * wins, `findings` and `at` are the latest.
 */
export interface NodesLiveUpdate {
  /** ISO-8601 time of the (latest merged) update. */
  at: string;
  /** Hosts whose analysis changed. */
  hosts: HostNodeSummary[];
  /** Every open finding (the list is short). */
  findings: FindingView[];
  /** Hosts whose convergence figures changed. */
  convergence: HostConvergence[];
  /** Hosts whose BUM report changed: the latest report (BumReport JSON). */
  bum: { host: string; report: unknown }[];
  /** Node messages refused so far, per reason (totals), when they changed (docs/rabbitmq.md#refusals). */
  refused?: NodeRefusals;
}

/**
 * socket.io events the worker emits (`Server<{}, LiveServerEvents>` / `Socket<LiveServerEvents>`),
 * batched in ~50 ms windows (see the module comment for ordering).
 */
export interface LiveServerEvents {
  /** New messages (oldest first). `skipped` > 0 when a burst was thinned: refetch history through tRPC. */
  messages: (batch: MessagesBatch) => void;
  /** Model changes up to `seq` (coalesced per record within the window; absolute values). */
  model: (batch: ModelBatch) => void;
  /**
   * The worker's counters: sent to a socket when it connects, and after every window in which a
   * batch was committed or the tap's state changed (connection, drops, gaps, queue depth).
   */
  stats: (stats: TapStats) => void;
  /**
   * This socket's own state of the live push: `behind` while the worker holds windows back because
   * the socket's buffers are past the bound (back-pressure, docs/operations.md#live-push); at
   * `behind: false` it just got `model` and `messages` with `skipped` (refetch) instead.
   */
  live: (state: LiveSocketState) => void;
  /** Node agents' view: analyses, findings, convergence, BUM (coalesced per host within the window). */
  nodes: (update: NodesLiveUpdate) => void;
  /** Once per connection, before any batch: where this socket's model batches start ({@link LiveSubscribed}). */
  subscribed: (s: LiveSubscribed) => void;
  /** A toggle job as the worker just wrote it (every state change and step; not batched: jobs change rarely). */
  toggle: (job: ToggleJobView) => void;
}
