/**
 * The active worker's lock on PostgreSQL (docs/operations.md#failover): a session-level advisory
 * lock (`pg_try_advisory_lock`) held on a dedicated `pg` connection, outside Prisma's pool. Only
 * the worker holding it taps the broker and writes; the others wait as standbys. The lock lives as
 * long as that connection: when the active worker dies (SIGKILL, OOM, power loss) the server
 * closes its session and the lock is free for the next `tryAcquire`.
 *
 * Advisory locks are per database, so one l2scope database has one active worker whatever the
 * number of processes started on it. SQLite has no such lock: a single worker, as before.
 */
import { pgConnectionString } from './adapters';

/** The advisory lock key of the active worker: `l2scope` as ASCII bytes, a 64-bit key of our own. */
export const ACTIVE_WORKER_LOCK_KEY = '30454768655626341';

/** The `pg.Client` part the lock uses. */
interface LockClient {
  connect(): Promise<unknown>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
  on(event: 'error', cb: (err: Error) => void): unknown;
  on(event: 'end', cb: () => void): unknown;
}

/** Options of {@link ActiveLock}. */
export interface ActiveLockOptions {
  /** The PostgreSQL URL of the l2scope database (postgres:// or postgresql://). */
  url: string;
  /** Lock key (default {@link ACTIVE_WORKER_LOCK_KEY}); a bigint as a decimal string. */
  key?: string;
  /**
   * Called once when the connection holding the lock is lost (server restart, network cut): the
   * lock may already be another worker's, so the caller must stop writing at once.
   */
  onLost?: (err: Error) => void;
}

/**
 * A session-level advisory lock on a dedicated connection. `tryAcquire` opens the connection if
 * needed (a failed connection is dropped and opened again on the next call) and never blocks.
 */
export class ActiveLock {
  private client: LockClient | null = null;
  private heldLock = false;
  private lostReported = false;

  constructor(private readonly opts: ActiveLockOptions) {}

  /** Whether this process holds the lock (false again after the connection was lost). */
  get held(): boolean {
    return this.heldLock;
  }

  /**
   * One non-blocking attempt (`SELECT pg_try_advisory_lock($key)`).
   * @returns true when this process holds the lock (now or already)
   * @throws when PostgreSQL cannot be reached (the caller retries)
   */
  async tryAcquire(): Promise<boolean> {
    if (this.heldLock) return true;
    const client = await this.connection();
    try {
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1::bigint) AS locked', [this.opts.key ?? ACTIVE_WORKER_LOCK_KEY]);
      this.heldLock = rows[0]?.locked === true;
      return this.heldLock;
    } catch (err) {
      this.drop();
      throw err;
    }
  }

  /** Release the lock and close its connection (idempotent): a standby may take over at once. */
  async release(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.heldLock = false;
    this.lostReported = true;
    await client?.end().catch(() => {});
  }

  private async connection(): Promise<LockClient> {
    if (this.client) return this.client;
    const pg = (await import('pg')).default;
    const client: LockClient = new pg.Client({ connectionString: pgConnectionString(this.opts.url), application_name: 'l2scope-worker-lock' });
    client.on('error', (err: Error) => this.lost(err));
    client.on('end', () => this.lost(new Error('the connection holding the lock closed')));
    await client.connect();
    this.client = client;
    return client;
  }

  private drop(): void {
    const client = this.client;
    this.client = null;
    client?.end().catch(() => {});
  }

  private lost(err: Error): void {
    const wasHeld = this.heldLock;
    this.heldLock = false;
    this.client = null;
    if (wasHeld && !this.lostReported) {
      this.lostReported = true;
      this.opts.onLost?.(err);
    }
  }
}
