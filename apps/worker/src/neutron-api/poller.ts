/**
 * The worker's poller of Neutron's API: reads it every `intervalMs`, backs off exponentially on
 * failure, keeps one status (last success, last error, failures, next poll), and hands each
 * successful read to `onSnapshot`. Holds one token (Keystone) and re-authenticates when it nears
 * expiry or the API answers 401. Memory: the last snapshot only (the caller keeps what it needs).
 */
import type { NeutronApiSnapshot, NeutronApiStatus } from '@l2scope/domain';
import type { NeutronApiConfig } from './config';
import { type ApiTarget, type FetchLimits, fetchNeutronApi } from './fetch';
import { HttpError } from './http';
import { type KeystoneSession, keystoneLogin } from './keystone';

/** Backoff after failures (ms): first retry after `baseMs`, doubling per failure, capped at `maxMs`; 0 failures: `intervalMs`. */
export function pollDelay(consecutiveFailures: number, intervalMs: number, baseMs = 5_000, maxMs = Math.max(intervalMs, 600_000)): number {
  if (consecutiveFailures <= 0) return intervalMs;
  return Math.min(maxMs, baseMs * 2 ** Math.min(consecutiveFailures - 1, 30));
}

/** Options of {@link NeutronApiPoller}. */
export interface NeutronApiPollerOptions {
  config: NeutronApiConfig;
  /** Period between successful polls (ms, default 60 000). */
  intervalMs?: number;
  /** First retry after a failure (ms, default 5 000; doubles per failure, capped at max(interval, 10 min)). */
  backoffBaseMs?: number;
  limits?: Partial<FetchLimits>;
  /** A successful read (called before the status is published; a throw is logged, not retried). */
  onSnapshot: (snapshot: NeutronApiSnapshot) => void | Promise<void>;
  /** The status after each poll (success or failure). */
  onStatus?: (status: NeutronApiStatus) => void;
  log: (line: string) => void;
}

/** Default bounds: 20 s per request, 32 MiB per page, 1,000 entries per page, 100,000 per resource. */
export const DEFAULT_FETCH_LIMITS: FetchLimits = { timeoutMs: 20_000, maxBytes: 32 * 1024 * 1024, pageSize: 1000, maxItems: 100_000 };

/** Polls Neutron's API in the background; `start()` polls at once, `stop()` waits for a poll in flight. */
export class NeutronApiPoller {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = false;
  private session: KeystoneSession | null = null;
  private readonly intervalMs: number;
  private readonly limits: FetchLimits;
  private st: NeutronApiStatus;

  constructor(private readonly opts: NeutronApiPollerOptions) {
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.limits = { ...DEFAULT_FETCH_LIMITS, ...opts.limits };
    const c = opts.config;
    this.st = {
      endpoint: c.kind === 'endpoint' ? c.url : null,
      auth: c.kind === 'endpoint' ? 'noauth' : c.auth.type,
      intervalMs: this.intervalMs,
      lastSuccessAt: null,
      lastErrorAt: null,
      lastError: null,
      consecutiveFailures: 0,
      nextPollAt: null,
      counts: { ports: 0, networks: 0, agents: 0, projects: 0, skipped: 0 },
    };
  }

  /** The current status (a copy). */
  status(): NeutronApiStatus {
    return { ...this.st, counts: { ...this.st.counts } };
  }

  /** Poll now, then on the interval. */
  start(): void {
    this.schedule(0);
  }

  /** Stop polling; resolves after a poll in flight ended. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  /** Poll once now (tests; the schedule goes on from its end). Resolves when the poll ended. */
  pollNow(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return (this.inFlight ??= this.poll().finally(() => (this.inFlight = null)));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.st.nextPollAt = new Date(Date.now() + ms).toISOString();
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollNow();
    }, ms);
    this.timer.unref?.();
  }

  private async target(): Promise<ApiTarget> {
    const c = this.opts.config;
    if (c.kind === 'endpoint') return { networkUrl: c.url };
    // re-authenticate 5 minutes before expiry
    if (!this.session || this.session.expiresAt - Date.now() < 300_000) {
      this.session = await keystoneLogin(c, this.limits);
      this.st.endpoint = this.session.networkUrl;
    }
    return { networkUrl: this.session.networkUrl, token: this.session.token, identityUrl: this.session.identityUrl };
  }

  private async poll(): Promise<void> {
    try {
      const { snapshot, truncated } = await fetchNeutronApi(await this.target(), this.limits);
      if (truncated.length) this.opts.log(`neutron-api: read only the first ${this.limits.maxItems} ${truncated.join(', ')}`);
      if (this.st.consecutiveFailures > 0) this.opts.log(`neutron-api: ${this.st.endpoint} answers again`);
      try {
        await this.opts.onSnapshot(snapshot);
      } catch (err) {
        this.opts.log(`neutron-api: handling a read failed: ${String(err).slice(0, 300)}`);
      }
      this.st.lastSuccessAt = new Date(snapshot.fetchedAt).toISOString();
      this.st.consecutiveFailures = 0;
      this.st.counts = {
        ports: snapshot.ports.length,
        networks: snapshot.networks.length,
        agents: snapshot.agents.length,
        projects: Object.keys(snapshot.projects).length,
        skipped: snapshot.skipped,
      };
    } catch (err) {
      // a rejected token: log in again on the next poll
      if (err instanceof HttpError && err.status === 401) this.session = null;
      this.st.consecutiveFailures++;
      this.st.lastErrorAt = new Date().toISOString();
      this.st.lastError = (err as Error).message.slice(0, 500);
      if (this.st.consecutiveFailures === 1 || this.st.consecutiveFailures % 10 === 0)
        this.opts.log(`neutron-api: poll failed (${this.st.consecutiveFailures} in a row): ${this.st.lastError}`);
    }
    this.schedule(pollDelay(this.st.consecutiveFailures, this.intervalMs, this.opts.backoffBaseMs));
    this.opts.onStatus?.(this.status());
  }
}
