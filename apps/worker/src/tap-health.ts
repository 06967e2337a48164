/**
 * The live tap's health: broker connection state, exchanges missing or denied, queue depth,
 * broker-side drops and expiries (counted into the pipeline's counters), and tap gaps (periods the
 * tap was disconnected: messages then were not seen), recorded in the database.
 *
 * Fed by the AMQP tap's callbacks; emits {@link TapHealthEvents}: `changed` on every change of what
 * the header shows, `gap_opened` / `gap_closed` once a gap's row is written and the recent gaps
 * reloaded.
 */
import { EventEmitter } from 'node:events';
import type { Counters } from '@l2scope/db';
import type { TapGapView } from '@l2scope/domain';

/** Where tap gaps are recorded (the worker's `PrismaStore`). */
export interface TapGapStore {
  /** @returns the new gap's id */
  openGap(startedAt: number, reason: string): Promise<number>;
  closeGap(id: number, endedAt: number): Promise<void>;
  /** The most recent gaps, newest first. */
  recentGaps(): Promise<TapGapView[]>;
}

/** Events of a {@link TapHealth}. */
export interface TapHealthEvents {
  /** Something the header shows changed (connection, exchanges, queue depth, drops, gaps). */
  changed: [];
  /** A disconnection was recorded (its row written): the gap, still open unless the tap reconnected meanwhile. */
  gap_opened: [gap: TapGapView];
  /** The reconnection closed the gap (its row updated). */
  gap_closed: [gap: TapGapView];
}

export interface TapHealthOptions {
  store: TapGapStore;
  /** The pipeline's counters: `dropped` and `expired` are counted into them. */
  counters: Counters;
  /** Recent gaps as loaded at start, newest first. */
  gaps: TapGapView[];
  /** Connected at start (an in-process replay has no broker: always connected). */
  connected: boolean;
  log: (line: string) => void;
}

/** Connection state and gap bookkeeping of the AMQP tap. */
export class TapHealth extends EventEmitter<TapHealthEvents> {
  connected: boolean;
  missingExchanges: string[] = [];
  deniedExchanges: string[] = [];
  /** Messages waiting in the tap queue at the last check, null if unknown. */
  queueDepth: number | null = null;
  /** Recent gaps, newest first, as last read from the database. */
  gaps: TapGapView[];
  /** Id of the gap opened by the current disconnection, until the reconnection closes it. */
  private openGapId: number | null = null;

  constructor(private readonly opts: TapHealthOptions) {
    super();
    this.connected = opts.connected;
    this.gaps = opts.gaps;
  }

  /** The tap (re)connected: close the open gap, if any. */
  onConnected(): void {
    this.connected = true;
    if (this.openGapId !== null) {
      const id = this.openGapId;
      this.openGapId = null;
      const end = Date.now();
      this.opts.store
        .closeGap(id, end)
        .then(() => this.reloadGaps())
        .then(() => this.emitGap('gap_closed', id))
        .catch((err: unknown) => this.opts.log(`worker: recording a gap failed: ${String(err)}`));
    }
    this.emit('changed');
  }

  /** The tap lost the broker: open a gap (closed at once if the tap reconnected before the row was written). */
  onDisconnected(err: Error): void {
    this.connected = false;
    const start = Date.now();
    this.opts.store
      .openGap(start, err.message)
      .then(async (id) => {
        if (this.connected) await this.opts.store.closeGap(id, Date.now());
        else this.openGapId = id;
        return id;
      })
      .then(async (id) => {
        await this.reloadGaps();
        this.emitGap('gap_opened', id);
      })
      .catch((e: unknown) => this.opts.log(`worker: recording a gap failed: ${String(e)}`));
    this.emit('changed');
  }

  /**
   * Record a period nobody tapped, already over (a failover: the dead active's last sight to the
   * new active's connection), as a closed gap; errors are logged.
   */
  recordGap(startedAt: number, endedAt: number, reason: string): void {
    this.opts.store
      .openGap(startedAt, reason)
      .then(async (id) => {
        await this.opts.store.closeGap(id, endedAt);
        await this.reloadGaps();
        this.emitGap('gap_closed', id);
      })
      .catch((e: unknown) => this.opts.log(`worker: recording a gap failed: ${String(e)}`));
  }

  /**
   * The broker dropped (queue full, `maxlen`) or expired (TTL, `expired`) `count` messages of the
   * tap queue; dead letters purged in bulk (`purged`, their reasons unread) count as dropped.
   */
  onDropped(reason: string, count = 1): void {
    if (reason === 'expired') this.opts.counters.expired += count;
    else this.opts.counters.dropped += count;
    this.emit('changed');
  }

  /** The tap's periodic status: exchanges not bound (missing, denied) and the queue depth. */
  onStatus(s: { missingExchanges: string[]; deniedExchanges: string[]; queueDepth: number | null }): void {
    this.missingExchanges = s.missingExchanges;
    this.deniedExchanges = s.deniedExchanges;
    this.queueDepth = s.queueDepth;
    this.emit('changed');
  }

  private async reloadGaps(): Promise<void> {
    this.gaps = await this.opts.store.recentGaps();
    this.emit('changed');
  }

  /** Emit a gap event with the gap as just reloaded (not emitted if it is no longer among the recent ones). */
  private emitGap(event: 'gap_opened' | 'gap_closed', id: number): void {
    const gap = this.gaps.find((g) => g.id === id);
    if (gap) this.emit(event, gap);
  }
}
