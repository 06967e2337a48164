/**
 * Active/standby workers on PostgreSQL (docs/operations.md#failover). Every worker started on a
 * PostgreSQL database asks for the active lock (packages/db `ActiveLock`: a session-level
 * `pg_try_advisory_lock` on a dedicated connection). The one that gets it is the active worker:
 * it taps the broker and writes. The others run as standbys (`startWorker({ standby: true })`:
 * they serve `/healthz`, `/api/*` and the live socket from the database, `role: 'standby'`) and try
 * the lock again every `lockRetryMs`. When the active worker dies, PostgreSQL closes its session,
 * the lock frees, and the next attempt of a standby gets it: the standby stops its read-only
 * worker and starts an active one on the same port, which restores the model from the database
 * (as every start does) and records the interval since it last saw the lock held as a tap gap.
 *
 * The tap queue must outlive the active worker, so both consume the same stable queue
 * (`--tap-queue`, default {@link FAILOVER_TAP_QUEUE} on PostgreSQL): unacked deliveries are
 * redelivered to the new active worker and skipped there if already committed (delivery identity).
 * SQLite: no lock, a single worker, as before.
 */
import { ActiveLock, databaseUrl, dbProvider } from '@l2scope/db';
import { type WorkerHandle, type WorkerOptions, startWorker } from './worker';

/** The stable tap queue shared by the workers of one PostgreSQL database when `--tap-queue` is not given. */
export const FAILOVER_TAP_QUEUE = 'l2scope.tap.worker';

/** Options of {@link startSupervisedWorker}: the worker's, plus the lock's. */
export interface SupervisedOptions extends WorkerOptions {
  /** Period of a standby's attempts at the lock (ms, default 2 000). */
  lockRetryMs?: number;
  /**
   * The active worker lost the connection holding its lock (PostgreSQL restarted, network cut):
   * a standby may be active already, so this process must stop writing at once. The CLI exits
   * (status 3) and its supervisor (compose `restart`, systemd) starts it again, as a standby.
   */
  onLockLost: (err: Error) => void;
  /** A takeover failed (the active worker could not start): the CLI exits. */
  onFatal: (err: Error) => void;
}

/** A worker that may change role: its current handle and role. */
export interface SupervisedWorker {
  /** Port of the live server (kept across a takeover). */
  readonly port: number;
  readonly role: 'active' | 'standby';
  /** The running worker (replaced at a takeover). */
  readonly current: WorkerHandle;
  /** Stop the worker, then release the lock (a standby elsewhere takes over). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Start a worker: on SQLite as `startWorker` does; on PostgreSQL as the active worker when the
 * lock is free, else as a standby that takes over when it frees.
 * @throws when PostgreSQL cannot be reached for the first attempt, or the worker cannot start
 */
export async function startSupervisedWorker(opts: SupervisedOptions): Promise<SupervisedWorker> {
  const url = opts.databaseUrl ?? databaseUrl();
  const log = opts.log ?? ((line: string) => console.log(line));
  if (dbProvider(url) !== 'postgresql') {
    const handle = await startWorker(opts);
    return { port: handle.port, role: 'active', current: handle, stop: () => handle.stop() };
  }
  const workerOpts: WorkerOptions = { ...opts, databaseUrl: url, tapQueue: opts.tapQueue ?? (opts.amqpUrl ? FAILOVER_TAP_QUEUE : undefined) };
  const lock = new ActiveLock({
    url,
    onLost: (err) => {
      log(`worker: lost the connection holding the active lock (${err.message}): stopping, a standby may already be active`);
      opts.onLockLost(err);
    },
  });
  let role: 'active' | 'standby' = (await lock.tryAcquire()) ? 'active' : 'standby';
  let current = await startWorker({ ...workerOpts, standby: role === 'standby' });
  const port = current.port;
  let timer: NodeJS.Timeout | null = null;
  let stopping: Promise<void> | null = null;
  let lastSeenHeld = Date.now();
  let failedAttempts = 0;

  const attempt = async (): Promise<void> => {
    timer = null;
    if (stopping) return;
    let got = false;
    const triedAt = Date.now();
    try {
      got = await lock.tryAcquire();
      failedAttempts = 0;
    } catch (err) {
      if (failedAttempts++ === 0) log(`worker: standby: cannot reach PostgreSQL for the lock, retrying: ${(err as Error).message}`);
    }
    if (stopping) {
      await lock.release();
      return;
    }
    if (!got) {
      // the lock was held when this attempt was sent: the active worker was alive then
      lastSeenHeld = triedAt;
      timer = setTimeout(() => void attempt(), opts.lockRetryMs ?? 2_000);
      return;
    }
    log('worker: got the active lock: taking over');
    try {
      await current.stop();
      current = await startWorker({ ...workerOpts, port, migrate: false, takeoverSince: lastSeenHeld });
      role = 'active';
      // stopped during the takeover: `stop` stopped the standby's worker, this one is new
      if (stopping) await current.stop();
    } catch (err) {
      opts.onFatal(err as Error);
    }
  };
  if (role === 'standby') {
    log(`worker: standby: another worker holds the active lock; trying again every ${(opts.lockRetryMs ?? 2_000) / 1000} s`);
    timer = setTimeout(() => void attempt(), opts.lockRetryMs ?? 2_000);
  }

  return {
    port,
    get role() {
      return role;
    },
    get current() {
      return current;
    },
    stop() {
      stopping ??= (async () => {
        if (timer) clearTimeout(timer);
        await current.stop();
        await lock.release();
      })();
      return stopping;
    },
  };
}
