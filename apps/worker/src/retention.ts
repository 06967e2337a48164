/**
 * Bounds of the worker (docs/operations.md#retention): database retention and host expiry, run in
 * the background.
 *
 * - Retention: every `everyMs` (default 60 s), and after every `everyMessages` committed messages
 *   (a burst prunes sooner), packages/db's `pruneRetention` deletes messages (with refs and model
 *   changes) beyond `--retain-messages`, older than `--retain-days` or past `--retain-bytes` of
 *   bodies, convergence samples beyond the newest `--retain-samples`, and convergence samples, resolved
 *   findings, closed tap gaps and per-host rows (L3 agents included) older than `--retain-days`: in batches of 1000 rows, yielding to the event loop between two, one run
 *   at a time.
 * - Host expiry: hosts without a report_state for `--host-expiry` (and whose VTEP no network holds
 *   entries for) leave the in-memory model and are marked expired in the projection (rows stay:
 *   history), their L3 agents' rows are deleted; node agents' hosts without a snapshot or BUM
 *   report for as long leave the node view.
 *   Emits `hosts_expired` after the write, so browsers refetch the model then.
 */
import { EventEmitter } from 'node:events';
import type { PruneReport, RetentionPolicy } from '@l2scope/db';
import type { ClusterModel } from '@l2scope/domain';
import type { IngestPipeline } from './pipeline';

/** Where retention deletes and marks (the worker's `PrismaStore`). Each method throws the driver's error. */
export interface RetentionStore {
  prune(policy: RetentionPolicy, pause: () => Promise<void>): Promise<PruneReport>;
  /** Mark these hosts of the projection expired (out of the live view, rows kept) and delete their L3 agents' rows. */
  expireHosts(ids: readonly string[], at: Date): Promise<number>;
}

/** What the worker keeps; every bound given applies. */
export interface RetentionLimits {
  /** Keep at most this many newest messages (`--retain-messages`). */
  maxMessages?: number;
  /** Delete what is older than this, ms (`--retain-days`). */
  maxAgeMs?: number;
  /** Keep the newest messages whose bodies total at most this many bytes (`--retain-bytes`). */
  maxBodyBytes?: number;
  /** Keep at most this many newest convergence samples (`--retain-samples`, default 100 000). */
  maxConvergenceSamples?: number;
  /** Keep at most this many newest BUM history rows, all hosts (`--retain-bum-reports`; packages/db's default, 100 000, when unset). */
  maxBumReports?: number;
  /** Hosts silent for this long (ms) leave the live view (`--host-expiry`); 0 disables it. */
  hostExpiryMs?: number;
}

export interface RetentionOptions {
  store: RetentionStore;
  /** The worker's model (the pipeline's): hosts expire from it. */
  model: Pick<ClusterModel, 'expireHosts'>;
  /** The node view: its hosts expire too. */
  nodes?: { expire(before: number): Promise<string[]> };
  limits: RetentionLimits;
  /** Period of the background run (ms, default 60 000). */
  everyMs?: number;
  /** Also run after this many committed messages (default 5000). */
  everyMessages?: number;
  log: (line: string) => void;
}

/** Events of a {@link Retention}. */
export interface RetentionEvents {
  /** A run deleted rows (counts per table). */
  pruned: [report: PruneReport];
  /** Hosts left the model and their rows were marked expired (ids, sorted). */
  hosts_expired: [ids: string[]];
}

/** The worker's background retention and host expiry; {@link Retention.start} arms it, {@link Retention.stop} waits for a run in progress. */
export class Retention extends EventEmitter<RetentionEvents> {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private sinceRun = 0;
  private stopped = false;

  constructor(private readonly opts: RetentionOptions) {
    super();
  }

  /** Run every `everyMs` (the first run after one period). */
  start(): void {
    this.timer = setInterval(() => void this.run(), this.opts.everyMs ?? 60_000);
    this.timer.unref();
  }

  /** Count the pipeline's committed messages; run early every `everyMessages`. */
  follow(pipeline: Pick<IngestPipeline, 'on'>): void {
    pipeline.on('committed', (batch) => {
      this.sinceRun += batch.length;
      if (this.sinceRun >= (this.opts.everyMessages ?? 5_000)) void this.run();
    });
  }

  /** One run now (skipped when one is in progress: resolves when that one ends). Never throws: failures are logged. */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.runOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runOnce(): Promise<void> {
    this.sinceRun = 0;
    const { limits, log } = this.opts;
    const now = Date.now();
    const pause = () => new Promise<void>((r) => setImmediate(r));
    try {
      const report = await this.opts.store.prune(
        {
          maxMessages: limits.maxMessages,
          before: limits.maxAgeMs ? new Date(now - limits.maxAgeMs) : undefined,
          maxBodyBytes: limits.maxBodyBytes,
          maxConvergenceSamples: limits.maxConvergenceSamples ?? 100_000,
          maxBumReports: limits.maxBumReports,
        },
        pause,
      );
      if (Object.values(report).some((n) => n > 0)) this.emit('pruned', report);
    } catch (err) {
      log(`worker: pruning failed: ${String(err)}`);
    }
    if (!limits.hostExpiryMs) return;
    const before = now - limits.hostExpiryMs;
    try {
      const expired = this.opts.model.expireHosts(before);
      if (expired.length) {
        await this.opts.store.expireHosts(expired, new Date(now));
        log(
          `worker: ${expired.length} host(s) silent for ${Math.round(limits.hostExpiryMs / 1000)} s left the live view: ${expired.slice(0, 10).join(', ')}${expired.length > 10 ? ', ...' : ''}`,
        );
        this.emit('hosts_expired', expired);
      }
      await this.opts.nodes?.expire(before);
    } catch (err) {
      log(`worker: expiring hosts failed: ${String(err)}`);
    }
  }

  /** Stop the timer and wait for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
