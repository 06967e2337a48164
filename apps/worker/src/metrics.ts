/**
 * `GET /metrics`: the worker's state as Prometheus text exposition (format 0.0.4), made with
 * `prom-client`, for a Prometheus scraper and Grafana (docs/operations.md#metrics).
 *
 * Two kinds of series:
 * - counted as things happen, since the worker process started: messages per method and outcome
 *   (`l2scope_messages_total`), tap gaps opened (`l2scope_tap_gaps_total`), convergence lags
 *   (`l2scope_convergence_lag_seconds` histogram, one observation per cast entry a host was seen
 *   to apply);
 * - read at scrape time from what the worker holds in memory: the persisted tap counters (since
 *   the database was created: received, undecodable, broker drops, TTL expiries), connection and
 *   queue depth, drift rows per class, open findings per kind, hosts per agent liveness.
 *
 * Every label value is bounded: methods come from a hostile broker, so a method label is kept only
 * when it looks like a Python identifier and fewer than {@link MAX_METHODS} distinct ones were seen;
 * anything else is `other`. Drift classes and finding kinds are the domain's closed lists.
 *
 * Access: the scraper sends `Authorization: Bearer <token>`, with the metrics token
 * (`L2SCOPE_METRICS_TOKEN`, read-only: it opens `/metrics` and nothing else) or anything the live
 * surface's hook accepts (the worker token). Without one: 401. A browser `Origin` not allowed: 403.
 */
import type http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DRIFT_CLASSES, type ConvergenceSample, FINDING_KINDS, type TapStats } from '@l2scope/domain';
import type { HostMonitor, NodesStatus } from './host-monitor';
import { type LiveAuthorize, originAllowed } from './live-access';
import type { IngestPipeline } from './pipeline';
import type { TapHealth } from './tap-health';

/** Distinct `method` label values kept before the rest are counted as `other`. */
export const MAX_METHODS = 64;

/** Convergence lag histogram buckets (seconds): an agent applies a cast within ms to minutes. */
export const LAG_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** What the metrics read (each optional: a worker without a node monitor has no drift). */
export interface MetricsSources {
  /** The tap's counters and state (the worker's `stats()`). */
  getStats: () => TapStats;
  /** The node view in memory (latest analysis, open findings). */
  getNodes?: () => NodesStatus;
  /** Committed batches: messages counted per method and outcome. */
  pipeline?: Pick<IngestPipeline, 'on'>;
  /** Convergence samples as the node monitor observes them. */
  nodes?: Pick<HostMonitor, 'on'>;
  /** Tap gaps as they open. */
  health?: Pick<TapHealth, 'on'>;
}

/** A label value for a method name from the broker: bounded in length, charset and cardinality. */
function methodLabel(seen: Set<string>, method: string | null | undefined): string {
  if (!method) return 'none';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(method)) return 'other';
  if (seen.has(method)) return method;
  if (seen.size >= MAX_METHODS) return 'other';
  seen.add(method);
  return method;
}

/**
 * The worker's Prometheus registry: its own `l2scope_*` series plus prom-client's default process
 * metrics (`process_*`, `nodejs_*`). Subscribes to its sources at construction.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly methods = new Set<string>();

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const messages = new Counter({
      name: 'l2scope_messages_total',
      help: 'AMQP messages committed since the worker started, per oslo method and outcome (decoded, undecodable)',
      labelNames: ['method', 'outcome'] as const,
      registers,
    });
    const gaps = new Counter({ name: 'l2scope_tap_gaps_total', help: 'Tap disconnections (gaps) opened since the worker started', registers });
    const lag = new Histogram({
      name: 'l2scope_convergence_lag_seconds',
      help: "Time from an l2pop cast's receipt to the snapshot showing its entry on the host (s)",
      buckets: LAG_BUCKETS_S,
      registers,
    });
    // persisted counters: monotonic since the database was created, read at scrape time
    const persisted = (name: string, help: string, pick: (s: TapStats) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(pick(sources.getStats()));
        },
      });
    persisted('l2scope_tap_received_total', 'Messages received by the tap since the database was created', (s) => s.received);
    persisted('l2scope_tap_undecodable_total', 'Messages stored raw as undecodable since the database was created', (s) => s.undecodable);
    persisted('l2scope_tap_dropped_total', "Messages the broker dropped from the tap's full queue (x-overflow drop-head)", (s) => s.dropped);
    persisted('l2scope_tap_expired_total', "Messages expired in the tap's queue before the worker took them (TTL)", (s) => s.expired);
    new Gauge({
      name: 'l2scope_tap_connected',
      help: '1 when the tap is connected to the broker (always 1 for an in-process replay)',
      registers,
      collect() {
        this.set(sources.getStats().connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'l2scope_tap_queue_depth',
      help: "Messages waiting in the tap's queue at the last check (absent when unknown)",
      registers,
      collect() {
        this.reset();
        const d = sources.getStats().queueDepth;
        if (d !== null) this.set(d);
      },
    });
    new Gauge({
      name: 'l2scope_tap_gap_open',
      help: '1 while a tap gap is open (the tap is disconnected and messages are missed)',
      registers,
      collect() {
        this.set(sources.getStats().gaps.some((g) => g.endedAt === null) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'l2scope_message_seq',
      help: 'Id of the last persisted message',
      registers,
      collect() {
        this.set(sources.getStats().seq);
      },
    });
    new Gauge({
      name: 'l2scope_drift_rows',
      help: 'Drift rows (told vs held) of the latest analysis, per class, over all hosts',
      labelNames: ['class'] as const,
      registers,
      collect() {
        const counts = new Map<string, number>(DRIFT_CLASSES.map((c) => [c, 0]));
        for (const h of Object.values(sources.getNodes?.().analysis?.hosts ?? {})) for (const d of h.drift) counts.set(d.class, (counts.get(d.class) ?? 0) + 1);
        for (const [c, n] of counts) this.set({ class: c }, n);
      },
    });
    new Gauge({
      name: 'l2scope_findings_open',
      help: 'Open findings per kind',
      labelNames: ['kind'] as const,
      registers,
      collect() {
        const counts = new Map<string, number>(FINDING_KINDS.map((k) => [k, 0]));
        for (const f of sources.getNodes?.().findings ?? []) if (counts.has(f.kind)) counts.set(f.kind, counts.get(f.kind)! + 1);
        for (const [k, n] of counts) this.set({ kind: k }, n);
      },
    });
    new Gauge({
      name: 'l2scope_hosts',
      help: 'Hosts of the latest analysis per agent liveness (alive, down; unknown: never sent report_state or liveness not evaluated)',
      labelNames: ['liveness'] as const,
      registers,
      collect() {
        const n = { alive: 0, down: 0, unknown: 0 };
        for (const h of Object.values(sources.getNodes?.().analysis?.hosts ?? {})) n[h.agent ? (h.agent.alive ? 'alive' : 'down') : 'unknown']++;
        for (const [liveness, v] of Object.entries(n)) this.set({ liveness }, v);
      },
    });
    new Gauge({
      name: 'l2scope_node_agents',
      help: 'Hosts with a node agent (a full snapshot held)',
      registers,
      collect() {
        this.set(sources.getNodes?.().hosts.length ?? 0);
      },
    });

    sources.pipeline?.on('committed', (batch) => {
      for (const m of batch) {
        const r = m.result;
        messages.inc({ method: methodLabel(this.methods, r.ok ? r.message.method : r.method), outcome: r.ok ? 'decoded' : 'undecodable' });
      }
    });
    sources.health?.on('gap_opened', () => gaps.inc());
    sources.nodes?.on('samples', (samples: readonly ConvergenceSample[]) => {
      for (const s of samples) lag.observe(Math.max(0, s.seenAt - s.castAt) / 1000);
    });
  }

  /**
   * The `/metrics` request handler: 403 for a browser `Origin` not in `origins`, 401 unless
   * `authorize` accepts the request, else 200 with the exposition text.
   */
  handler(authorize: LiveAuthorize, origins: ReadonlySet<string>): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
    return async (req, res) => {
      const refuse = (status: 401 | 403) => {
        if (status === 401) res.setHeader('www-authenticate', 'Bearer realm="l2scope-metrics"');
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ error: status === 401 ? 'unauthorized' : 'origin not allowed' }));
      };
      if (!originAllowed(req, origins)) return refuse(403);
      if (!(await authorize(req).catch(() => false))) return refuse(401);
      const body = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(body);
    };
  }
}
