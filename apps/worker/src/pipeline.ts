/**
 * The ingest pipeline: every delivery is decoded, folded into the model, and persisted with
 * its derived model changes in batches (one transaction per batch, ~50 ms windows or
 * `maxBatch` messages). A delivery's promise resolves once its batch is committed, so the
 * AMQP tap acks only persisted messages; browsers get the batch after the commit.
 *
 * Bounded: the tap's prefetch (or the replay's high-water mark) bounds what is in flight.
 * Bad input never stops it: an undecodable message is stored with its error and raw body, and
 * `submit` never throws: anything that throws while decoding or modelling a delivery (a bug, or
 * input no cap foresaw) makes it an undecodable `processing_failed` row with the error and its raw
 * bytes (docs/wire-format.md#poison-input).
 *
 * Data flows one way: the pipeline calls nothing but its sink; what happens next is up to its
 * subscribers ({@link PipelineEvents}: the node monitor follows `applied`, the live server `committed`).
 */
import { EventEmitter } from 'node:events';
import { type Counters, type MessageRecord, deliveryIdentity } from '@l2scope/db';
import {
  ClusterModel,
  DEFAULT_JSON_LIMITS,
  type DecodeResult,
  type DecodedMessage,
  type MessageRefs,
  type MessageSummary,
  type ModelChange,
  decodeMessage,
  messageKind,
  messageRefs,
  messageSearchText,
  redactSecrets,
  summarizeMessage,
} from '@l2scope/domain';
import type { Delivery } from './delivery';

export type { Counters } from '@l2scope/db';

/** A message ready to be written (a packages/db `MessageRecord`). */
export interface IngestedMessage extends MessageRecord {
  id: number;
  delivery: Delivery;
  result: DecodeResult;
  refs: MessageRefs;
  /** Redacted, possibly truncated raw body to store. */
  raw: Uint8Array;
  rawTruncated: boolean;
  search: string;
  changes: ModelChange[];
}

/** What a batch writes; implemented by the Prisma store (and nothing else: tests use a real database). */
export interface BatchSink {
  /** @returns the ids of messages skipped as already stored (redelivered; none stored twice) */
  writeBatch(batch: IngestedMessage[], counters: Counters, seq: number): Promise<number[] | void>;
  /** A cheap write that succeeds when the database is reachable and writable (tells a poison message from an outage). */
  probe(): Promise<void>;
}

/** Events of an {@link IngestPipeline} (listeners run synchronously, in the pipeline's turn). */
export interface PipelineEvents {
  /**
   * A decoded message was folded into the model, before it is committed: the message, its receive
   * time (epoch ms), its id, and what the model changed (empty when nothing did).
   */
  applied: [msg: DecodedMessage, at: number, id: number, changes: ModelChange[]];
  /** A batch was committed: its messages (in id order) and `seq`, the id of its last message. */
  committed: [batch: IngestedMessage[], seq: number];
  /**
   * Broker redeliveries of messages already stored, dropped: by the store within a committed batch
   * (their ids), or before the model (id 0: no id was assigned).
   */
  redelivered: [ids: number[]];
  /** Writing a batch failed (it is retried): the error and the attempt number (1-based). */
  write_failed: [err: unknown, attempt: number];
  /**
   * A listener of `applied` or `committed` threw (the pipeline carried on): the event, the error,
   * and the id of the message (`applied`) or the batch's `seq` (`committed`).
   */
  listener_failed: [event: 'applied' | 'committed', err: unknown, id: number];
}

/** The message that took longest to decode and fold so far (the synchronous part of `submit`). */
export interface SlowestMessage {
  /** Milliseconds spent in `submit` before the message was queued for its batch. */
  ms: number;
  /** The message's id. */
  id: number;
}

export interface PipelineOptions {
  sink: BatchSink;
  model: ClusterModel;
  /** First message id to assign (the store's max id + 1). */
  firstId: number;
  counters: Counters;
  maxBatch?: number;
  windowMs?: number;
  /** Bodies larger than this are `too_large` (not parsed). */
  maxDecodeBytes?: number;
  /** JSON nested deeper than this (body or inner oslo message) is `too_deep`, refused before parsing (default 64). */
  maxJsonDepth?: number;
  /** JSON with more array elements plus object members than this is `too_many_entries` (default 1,000,000). */
  maxJsonEntries?: number;
  /** Raw bodies are stored up to this many bytes. */
  maxRawBytes?: number;
  /** Delivery identities of the newest stored messages (oldest first), to drop broker redeliveries before the model. */
  recentIdentities?: string[];
  /** How many committed identities are remembered (default 20 000, well above the tap's prefetch). */
  maxRecentIdentities?: number;
}

/** How far `ingest` got before it threw: the model changes, once the model folded the message. */
interface Progress {
  changes?: ModelChange[];
}

interface Pending {
  msg: IngestedMessage;
  resolve: () => void;
}

/**
 * Decode -> model -> batched persistence for every delivery of the tap or a replay. Emits
 * {@link PipelineEvents}; `submit` resolves once the message is committed (the tap acks then).
 */
export class IngestPipeline extends EventEmitter<PipelineEvents> {
  readonly model: ClusterModel;
  readonly counters: Counters;
  private nextId: number;
  private batch: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private committedSeq: number;
  private slowestSeen: SlowestMessage | null = null;
  /** Delivery identities of recently committed messages (insertion order = commit order). */
  private readonly recent: Set<string>;
  private readonly opts: Required<PipelineOptions>;

  constructor(opts: PipelineOptions) {
    super();
    this.opts = {
      maxBatch: 1000,
      windowMs: 50,
      maxDecodeBytes: 8 * 1024 * 1024,
      maxRawBytes: 16 * 1024 * 1024,
      maxJsonDepth: DEFAULT_JSON_LIMITS.maxDepth,
      maxJsonEntries: DEFAULT_JSON_LIMITS.maxEntries,
      recentIdentities: [],
      maxRecentIdentities: 20_000,
      ...opts,
    };
    this.recent = new Set(this.opts.recentIdentities.slice(-this.opts.maxRecentIdentities));
    this.model = opts.model;
    this.counters = opts.counters;
    this.nextId = opts.firstId;
    this.committedSeq = opts.firstId - 1;
  }

  /** Messages submitted but not yet committed. */
  get pending(): number {
    return this.inFlight;
  }

  /** Id of the last committed message. */
  get seq(): number {
    return this.committedSeq;
  }

  /** The message that took longest to decode and fold so far (null before the first). */
  get slowest(): SlowestMessage | null {
    return this.slowestSeen;
  }

  /**
   * Take one delivery: decode, fold into the model, queue for the next batch. Never throws: a
   * delivery whose decoding or modelling throws is queued as an undecodable `processing_failed` message.
   * A broker redelivery of a message already committed (its delivery identity among the recent
   * ones) is dropped here, before the model (oslo's consumers drop repeated `_unique_id`s the same
   * way): it resolves at once.
   * @returns a promise resolved when the message is committed to the database (never rejected)
   */
  submit(delivery: Delivery): Promise<void> {
    if (delivery.redelivered && this.isRecentRedelivery(delivery)) {
      this.emit('redelivered', [0]);
      return Promise.resolve();
    }
    const id = this.nextId++;
    const started = performance.now();
    this.counters.received++;
    const progress: Progress = {};
    let msg: IngestedMessage;
    try {
      msg = this.ingest(id, delivery, progress);
    } catch (err) {
      msg = this.failed(id, delivery, err, progress);
    }
    if (!msg.result.ok) this.counters.undecodable++;
    const ms = performance.now() - started;
    if (!this.slowestSeen || ms > this.slowestSeen.ms) this.slowestSeen = { ms, id };
    this.inFlight++;
    return new Promise<void>((resolve) => {
      this.batch.push({ msg, resolve });
      if (this.batch.length >= this.opts.maxBatch) this.scheduleFlush(0);
      else if (!this.timer) this.scheduleFlush(this.opts.windowMs);
    });
  }

  /** A redelivery whose identity (oslo `_unique_id`, else AMQP message id) was committed recently; false when it cannot tell. */
  private isRecentRedelivery(delivery: Delivery): boolean {
    try {
      const result = decodeMessage(delivery, { maxBytes: this.opts.maxDecodeBytes, maxDepth: this.opts.maxJsonDepth, maxEntries: this.opts.maxJsonEntries });
      const identity = deliveryIdentity({ result, delivery });
      return !!identity && this.recent.has(identity);
    } catch {
      return false;
    }
  }

  /** Decode, fold, and build the row of one delivery; throws what any step throws (see {@link failed}). */
  private ingest(id: number, delivery: Delivery, progress: Progress): IngestedMessage {
    const result = decodeMessage(delivery, { maxBytes: this.opts.maxDecodeBytes, maxDepth: this.opts.maxJsonDepth, maxEntries: this.opts.maxJsonEntries });
    // refs before the fold: a network_delete is indexed by the VNI the network had
    const refs = messageRefs(result, (n) => this.model.vniOf(n));
    const changes = result.ok ? this.model.apply(result.message, delivery.receivedAt, id) : [];
    progress.changes = changes;
    if (result.ok) this.emitSafely('applied', result.message, delivery.receivedAt, id, changes);
    const { raw, rawTruncated } = this.rawOf(delivery);
    return { id, delivery, result, refs, raw, rawTruncated, search: messageSearchText(delivery.exchange, delivery.routingKey, result, refs), changes };
  }

  /**
   * The row of a delivery whose processing threw: undecodable (`processing_failed`, the error's
   * message), no refs, the raw bytes (redacted) as always, and the model changes when the model
   * folded it before the throw (so the stored projection follows the model). When
   * `ClusterModel.apply` itself threw midway, the model may hold part of the message; the stored
   * projection does not.
   */
  private failed(id: number, delivery: Delivery, err: unknown, progress: Progress): IngestedMessage {
    const result: DecodeResult = {
      ok: false,
      error: { reason: 'processing_failed', message: `processing threw: ${errorText(err)}` },
      method: null,
      target: null,
    };
    let raw: { raw: Uint8Array; rawTruncated: boolean };
    try {
      raw = this.rawOf(delivery);
    } catch {
      // never store bytes that could not be redacted
      raw = { raw: new Uint8Array(0), rawTruncated: true };
    }
    const refs: MessageRefs = { networks: [], vnis: [], vteps: [], hosts: [] };
    return {
      id,
      delivery,
      result,
      refs,
      ...raw,
      search: `${String(delivery.exchange)} ${String(delivery.routingKey)} processing_failed`.toLowerCase().slice(0, 8192),
      changes: progress.changes ?? [],
    };
  }

  /** The body to store: secrets redacted, cut at `maxRawBytes`. */
  private rawOf(delivery: Delivery): { raw: Uint8Array; rawTruncated: boolean } {
    const redacted = redactSecrets(delivery.body).body;
    const rawTruncated = redacted.byteLength > this.opts.maxRawBytes;
    return { raw: rawTruncated ? redacted.subarray(0, this.opts.maxRawBytes) : redacted, rawTruncated };
  }

  /** Emit to the subscribers; one that throws is reported as `listener_failed` and does not stop the pipeline. */
  private emitSafely<E extends 'applied' | 'committed'>(event: E, ...args: PipelineEvents[E]): void {
    try {
      (this.emit as (e: E, ...a: PipelineEvents[E]) => boolean)(event, ...args);
    } catch (err) {
      const id = event === 'applied' ? (args[2] as number) : (args[1] as number);
      try {
        this.emit('listener_failed', event, err, id);
      } catch {
        // a listener_failed listener that throws too: nothing more to tell
      }
    }
  }

  /** Write everything submitted so far; resolves when it is committed. */
  async drain(): Promise<void> {
    while (this.batch.length > 0 || this.inFlight > 0) {
      this.scheduleFlush(0);
      await this.flushing;
      if (this.batch.length === 0 && this.inFlight === 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private scheduleFlush(delay: number): void {
    if (this.timer) {
      if (delay > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      // flush never rejects (write retries, listeners are isolated); the catch keeps the chain alive regardless
      this.flushing = this.flushing
        .then(() => this.flush())
        .catch((err: unknown) => {
          try {
            this.emit('write_failed', err, 0);
          } catch {
            // nothing more to tell
          }
        });
    }, delay);
  }

  private async flush(): Promise<void> {
    const batch = this.batch.splice(0, this.opts.maxBatch);
    if (batch.length === 0) return;
    const messages = batch.map((p) => p.msg);
    const seq = messages[messages.length - 1]!.id;
    await this.write(messages);
    this.remember(messages);
    this.committedSeq = seq;
    this.inFlight -= batch.length;
    for (const p of batch) p.resolve();
    this.emitSafely('committed', messages, seq);
    if (this.batch.length > 0) this.scheduleFlush(this.batch.length >= this.opts.maxBatch ? 0 : this.opts.windowMs);
  }

  private remember(messages: IngestedMessage[]): void {
    for (const m of messages) {
      const identity = deliveryIdentity(m);
      if (identity) this.recent.add(identity);
    }
    const over = this.recent.size - this.opts.maxRecentIdentities;
    if (over > 0) {
      let n = 0;
      for (const u of this.recent) {
        if (n++ >= over) break;
        this.recent.delete(u);
      }
    }
  }

  private noteDuplicates(ids: number[] | void): void {
    if (ids && ids.length) this.emit('redelivered', ids);
  }

  /**
   * Write messages, isolating any the database refuses. A failing batch is retried with
   * exponential backoff (200 ms doubling to 30 s) for as long as the database is unreachable (the
   * probe fails too: an outage, nothing is acked meanwhile); once the database answers and still
   * refuses the batch after 3 attempts, it is split in halves; a single message it refuses is stored
   * stripped to its raw bytes as `unstorable`, so one poison message can never stall ingest.
   */
  private async write(messages: IngestedMessage[]): Promise<void> {
    const sink = this.opts.sink;
    const backoff = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(30_000, 100 * 2 ** Math.min(attempt, 9))));
    const attemptWrite = (ms: IngestedMessage[]) => sink.writeBatch(ms, { ...this.counters }, ms[ms.length - 1]!.id);
    const reachable = () =>
      sink.probe().then(
        () => true,
        () => false,
      );
    let lastErr: unknown;
    for (let attempt = 1; ; attempt++) {
      try {
        this.noteDuplicates(await attemptWrite(messages));
        return;
      } catch (err) {
        this.emit('write_failed', err, attempt);
        await backoff(attempt);
      }
      if (attempt >= 3 && (await reachable())) break;
    }
    if (messages.length > 1) {
      const mid = Math.ceil(messages.length / 2);
      await this.write(messages.slice(0, mid));
      await this.write(messages.slice(mid));
      return;
    }
    // one message the database refuses while it takes other writes: a poison message
    try {
      this.noteDuplicates(await attemptWrite(messages));
      return;
    } catch (err) {
      lastErr = err;
    }
    const m = messages[0]!;
    const r = m.result;
    const stripped: IngestedMessage = {
      ...m,
      result: {
        ok: false,
        error: {
          reason: 'unstorable',
          message: `the database refused this message: ${String((lastErr as Error | undefined)?.message ?? lastErr).slice(0, 500)}`,
        },
        method: r.ok ? r.message.method : r.method,
        target: r.ok ? r.message.target : r.target,
      },
      refs: { networks: [], vnis: [], vteps: [], hosts: [] },
      search: '',
      changes: [],
    };
    this.counters.undecodable++;
    for (let attempt = 1; ; attempt++) {
      try {
        this.noteDuplicates(await attemptWrite([stripped]));
        return;
      } catch (err) {
        this.emit('write_failed', err, attempt);
        await backoff(attempt);
      }
    }
  }
}

/** Inspector row of an ingested message (the domain's `summarizeMessage`, as the API's rows). */
export function summarize(m: IngestedMessage): MessageSummary {
  const r = m.result;
  return summarizeMessage({
    id: m.id,
    receivedAt: m.delivery.receivedAt,
    exchange: m.delivery.exchange,
    routingKey: m.delivery.routingKey,
    method: r.ok ? r.message.method : r.method,
    kind: messageKind(r),
    target: r.ok ? r.message.target : r.target,
    error: r.ok ? null : r.error,
    size: m.delivery.body.byteLength,
    source: m.delivery.source,
    refs: m.refs,
  });
}

/** An error's message (or its string form), at most 500 characters: what a `processing_failed` row says. */
function errorText(err: unknown): string {
  let text: string;
  try {
    text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } catch {
    text = 'an unprintable value was thrown';
  }
  return text.slice(0, 500);
}
