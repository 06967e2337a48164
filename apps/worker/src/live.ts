/**
 * Live push to browsers (socket.io) plus a small read-only HTTP surface on the same port, for
 * operators, health checks and tests (browsers read through tRPC, never through these):
 *
 * - `GET /healthz`: {@link HealthResponse}; 200 when the source is connected, else 503.
 * - `GET /api/model`: the in-memory l2pop model (domain `ModelSnapshot`).
 * - `GET /api/stats`: the tap's counters and state (domain `TapStats`).
 * - `GET /api/nodes`: the host view in memory ({@link NodesStatus}: latest analysis, open findings,
 *   convergence lags, counters, hosts with a node agent), null when the node monitor is not running.
 * - `GET /metrics`: Prometheus text (metrics.ts), when {@link LiveServerOptions.metrics} is set.
 * - `GET /api/neutron`: the Neutron API poller (domain `NeutronApiView`: status and the last names;
 *   docs/neutron-api.md), null when no API is configured.
 *
 * All answer JSON (`cache-control: no-store`, no CORS headers: browsers read through tRPC); other
 * methods 405, other paths 404. `/healthz` is open (it carries only ok/mode/seq). `/api/*` answers
 * 403 to a browser `Origin` not in {@link LiveServerOptions.origins} and 401 unless
 * {@link LiveServerOptions.authorize} accepts the request.
 *
 * Each socket gets `stats` and `subscribed` (domain `LiveSubscribed`: where its model batches start)
 * as it connects.
 *
 * socket.io is served at `/socket.io` (with or without the trailing slash, so the web server's
 * proxy can forward its own origin's path as is). Its handshake (polling or a direct websocket
 * upgrade) is refused like `/api/*`: 403 when the `Origin` is not allowed, 401 when `authorize`
 * refuses.
 *
 * The worker's `authorize` accepts a signed-in browser's session (the cookie the web's proxy
 * forwards, checked by `sessionFromHeaders` of @l2scope/auth: docs/auth.md) or the worker token.
 *
 * Updates are batched in windows (default 50 ms): model changes are coalesced per record
 * (absolute values, last wins) and capped per window (past `maxChangesPerWindow` records the
 * window's changes are dropped and `skipped` tells the browser to refetch the model; hosts expired
 * by retention do the same), message summaries are capped per window (`skipped` tells the
 * browser to refetch history), so a burst of thousands of messages costs a browser a few
 * frames, not thousands, and the worker's memory per window is bounded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server } from 'socket.io';
import {
  type NeutronApiView,
  type LiveServerEvents,
  type MessageSummary,
  type ModelChange,
  type ModelSnapshot,
  type NodesLiveUpdate,
  type TapStats,
  modelChangeKey,
} from '@l2scope/domain';
import type { HostMonitor, NodesStatus } from './host-monitor';
import { BEHIND_ROOM, Backpressure, type BackpressureOptions } from './live-backpressure';
import { type LiveRedisOptions, attachRedisAdapter } from './live-redis';
import { type LiveAuthorize, originAllowed } from './live-access';
import { type IngestPipeline, summarize } from './pipeline';
import type { Retention } from './retention';
import type { TapHealth } from './tap-health';
import type { ToggleRunner } from './toggle/runner';

/** `GET /healthz`: the source is connected (`ok`), how it runs, the last committed message id. */
export interface HealthResponse {
  ok: boolean;
  mode: TapStats['mode'];
  seq: number;
  /** `active` or `standby` (docs/operations.md#failover); a standby answers 200: it serves reads. */
  role: 'active' | 'standby';
}

export interface LiveServerOptions {
  port: number;
  /** Bind address (default 127.0.0.1: only this machine, the web server's proxy included). */
  host?: string;
  /** Browser origins allowed (exact `scheme://host[:port]`); any other `Origin` is refused. */
  origins: readonly string[];
  /** Decides each socket.io handshake and `/api/*` request (see `live-access.ts`). */
  authorize: LiveAuthorize;
  /** The in-memory model, for `GET /api/model`. */
  getModel: () => ModelSnapshot;
  /** The tap's state, for `GET /api/stats`, `/healthz` and the socket's `stats` events. */
  getStats: () => TapStats;
  /** The host view for `GET /api/nodes` (latest analysis, convergence, counters). */
  getNodes?: () => NodesStatus;
  /** The Neutron API poller's status and last names for `GET /api/neutron` (null: no API configured). */
  getNeutronApi?: () => NeutronApiView | null;
  windowMs?: number;
  /** Message summaries pushed per window at most; the rest are counted as skipped. */
  maxMessagesPerWindow?: number;
  /** Model changes (records) pushed per window at most; past it the window's changes are skipped (browsers refetch the model). */
  maxChangesPerWindow?: number;
  /** Share broadcasts with the other instances on this Redis (live-redis.ts); default: this instance's sockets only. */
  redis?: LiveRedisOptions;
  /** Per-socket back-pressure bounds (live-backpressure.ts). */
  backpressure?: BackpressureOptions;
  /** permessage-deflate threshold (bytes): frames at least this long are compressed (default 1024; false: off). */
  deflateThreshold?: number | false;
  /** `GET /metrics` (Prometheus text; metrics.ts does its own access check). */
  metrics?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
}

/** What the live server follows (each optional: a worker without a tap has no tap health). */
export interface LiveSources {
  /** Committed batches: their inspector rows and model changes. */
  pipeline?: Pick<IngestPipeline, 'on'>;
  /** Node view updates (emitted after their write). */
  nodes?: Pick<HostMonitor, 'on'>;
  /** Connection, drops and gaps: the header's stats. */
  health?: Pick<TapHealth, 'on'>;
  /** Hosts expired from the model: browsers refetch it. */
  retention?: Pick<Retention, 'on'>;
  /** Toggle jobs as the runner writes them: pushed at once as `toggle`. */
  toggles?: Pick<ToggleRunner, 'on'>;
}

/**
 * The worker's socket.io server and operator HTTP endpoints on one port. Subscribes to its sources
 * ({@link LiveServer.follow}) and pushes to every connected browser in windows: `model`,
 * `messages`, `nodes`, `stats` (domain `LiveServerEvents`).
 */
export class LiveServer {
  private readonly http: http.Server;
  private readonly io: Server<Record<string, never>, LiveServerEvents>;
  private messages: MessageSummary[] = [];
  private skipped = 0;
  private changes = new Map<string, ModelChange>();
  private changesSkipped = 0;
  private seq = 0;
  /** The last committed message id when model changes were last skipped (a burst past the cap, hosts expired); null: never. */
  private skippedAt: number | null = null;
  private statsDirty = false;
  private nodes: NodesLiveUpdate | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly windowMs: number;
  private readonly maxMessages: number;
  private readonly origins: ReadonlySet<string>;
  private readonly maxChanges: number;
  private detachRedis: (() => Promise<void>) | null = null;
  private readonly backpressure: Backpressure;

  constructor(private readonly opts: LiveServerOptions) {
    this.windowMs = opts.windowMs ?? 50;
    this.maxMessages = opts.maxMessagesPerWindow ?? 500;
    this.origins = new Set(opts.origins);
    this.maxChanges = opts.maxChangesPerWindow ?? 2000;
    this.http = http.createServer();
    this.io = new Server(this.http, {
      path: '/socket.io',
      addTrailingSlash: false,
      serveClient: false,
      cors: { origin: [...this.origins] },
      // windows of model changes are repetitive JSON: compressed on the WebSocket (docs/operations.md#live-push)
      perMessageDeflate: opts.deflateThreshold === false ? false : { threshold: opts.deflateThreshold ?? 1024 },
    });
    this.backpressure = new Backpressure(this.io, () => ({ seq: this.seq, stats: this.opts.getStats() }), opts.backpressure);
    // engine.io answers a refused handshake with 403 (polling) or 400 (websocket) whatever the
    // reason; l2scope answers 401 when the session is missing and 403 for a foreign Origin, like
    // /api/*. So every request and upgrade passes through the gate first, then engine.io's public
    // handleRequest / handleUpgrade (what its attach would call).
    this.http.removeAllListeners('request');
    this.http.removeAllListeners('upgrade');
    this.http.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void this.route(req, res));
    this.http.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void this.routeUpgrade(req, socket, head));
    this.io.on('connection', (socket) => {
      socket.emit('stats', this.opts.getStats());
      // the socket joined the broadcasts: changes published from now on reach it, the earlier ones
      // are <= seq; with Redis, other workers' batches reach it too, so this worker cannot tell
      socket.emit('subscribed', { modelSeq: this.opts.redis ? null : this.seq, modelSkippedAt: this.skippedAt });
    });
  }

  /** `authorize`, a rejection counted as a refusal. */
  private async authorized(req: http.IncomingMessage): Promise<boolean> {
    try {
      return !!(await this.opts.authorize(req));
    } catch {
      return false;
    }
  }

  /**
   * Why a socket.io request may not proceed: a handshake (no `sid`: a session of engine.io does
   * not exist yet) needs an allowed Origin (else 403) and `authorize` (else 401); requests of an
   * established engine.io session pass (engine.io checks their `sid`).
   */
  private async socketRefusal(req: http.IncomingMessage, url: URL): Promise<401 | 403 | null> {
    if (url.searchParams.has('sid')) return null;
    if (!originAllowed(req, this.origins)) return 403;
    return (await this.authorized(req)) ? null : 401;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!isSocketPath(url)) return this.handle(req, res, url);
    const refusal = await this.socketRefusal(req, url);
    if (refusal === null) return this.io.engine.handleRequest(req, res);
    if (refusal === 401) res.setHeader('www-authenticate', 'Bearer realm="l2scope-worker"');
    res.writeHead(refusal, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(JSON.stringify({ error: refusal === 401 ? 'unauthorized' : 'origin not allowed' }));
  }

  private async routeUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refusal = isSocketPath(url) ? await this.socketRefusal(req, url) : 404;
    if (refusal === null) return this.io.engine.handleUpgrade(req, socket, head);
    const text = refusal === 401 ? 'Unauthorized' : refusal === 403 ? 'Forbidden' : 'Not Found';
    socket.end(`HTTP/1.1 ${refusal} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return json(405, { error: 'method not allowed' });
    if (url.pathname === '/healthz') {
      const stats = this.opts.getStats();
      const role = stats.role ?? 'active';
      const ok = stats.connected || role === 'standby';
      const health: HealthResponse = { ok, mode: stats.mode, seq: stats.seq, role };
      return json(ok ? 200 : 503, health);
    }
    if (url.pathname === '/metrics' && this.opts.metrics) return this.opts.metrics(req, res);
    if (!url.pathname.startsWith('/api/')) return json(404, { error: 'not found' });
    if (!originAllowed(req, this.origins)) return json(403, { error: 'origin not allowed' });
    if (!(await this.authorized(req))) {
      res.setHeader('www-authenticate', 'Bearer realm="l2scope-worker"');
      return json(401, { error: 'unauthorized' });
    }
    switch (url.pathname) {
      case '/api/model':
        return json(200, this.opts.getModel() satisfies ModelSnapshot);
      case '/api/stats':
        return json(200, this.opts.getStats() satisfies TapStats);
      case '/api/nodes':
        return json(200, (this.opts.getNodes?.() ?? null) satisfies NodesStatus | null);
      case '/api/neutron':
        return json(200, (this.opts.getNeutronApi?.() ?? null) satisfies NeutronApiView | null);
      default:
        return json(404, { error: 'not found' });
    }
  }

  /** Listen; resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    if (this.opts.redis) this.detachRedis = await attachRedisAdapter(this.io, this.opts.redis);
    return (this.http.address() as AddressInfo).port;
  }

  /** Subscribe to the sources: committed batches, host view updates, tap health changes. */
  follow(sources: LiveSources): void {
    sources.pipeline?.on('committed', (batch, seq) =>
      this.publish(
        batch.map(summarize),
        batch.flatMap((m) => m.changes),
        seq,
      ),
    );
    sources.nodes?.on('update', (u) => this.publishNodes(u));
    sources.health?.on('changed', () => this.statsChanged());
    sources.retention?.on('hosts_expired', (ids) => this.modelSkipped(ids.length));
    sources.toggles?.on('job', (job) => this.io.emit('toggle', job));
  }

  /** Tell browsers to refetch the model at the next window (`n` records changed outside the live batches). */
  modelSkipped(n: number): void {
    // the pipeline's seq, not only this server's: after a restart it has published nothing yet
    this.skippedAt = Math.max(this.seq, this.opts.getStats().seq);
    this.changesSkipped += Math.max(1, n);
    this.changes = new Map();
    this.arm();
  }

  /** Queue a committed batch for the next window. */
  publish(summaries: MessageSummary[], changes: ModelChange[], seq: number): void {
    for (const s of summaries) this.messages.push(s);
    if (this.messages.length > this.maxMessages) {
      this.skipped += this.messages.length - this.maxMessages;
      this.messages.splice(0, this.messages.length - this.maxMessages);
    }
    if (this.changesSkipped > 0) this.changesSkipped += changes.length;
    else
      for (const c of changes) {
        const key = modelChangeKey(c);
        this.changes.delete(key); // keep the order of the latest change
        this.changes.set(key, c);
        if (this.changes.size > this.maxChanges) {
          this.modelSkipped(this.changes.size);
          break;
        }
      }
    this.seq = Math.max(this.seq, seq);
    this.statsDirty = true;
    this.arm();
  }

  /** Queue a node-view update; updates within a window merge per host (latest wins). */
  publishNodes(u: NodesLiveUpdate): void {
    if (!this.nodes) this.nodes = { ...u, hosts: [...u.hosts], convergence: [...u.convergence], bum: [...u.bum] };
    else {
      const merge = <T extends { host: string }>(a: T[], b: T[]) => [...new Map([...a, ...b].map((x) => [x.host, x])).values()];
      this.nodes = {
        at: u.at,
        hosts: merge(this.nodes.hosts, u.hosts),
        findings: u.findings,
        convergence: merge(this.nodes.convergence, u.convergence),
        bum: merge(this.nodes.bum, u.bum),
        ...((u.refused ?? this.nodes.refused) ? { refused: u.refused ?? this.nodes.refused } : {}),
      };
    }
    this.arm();
  }

  /** Sockets of this instance held back because their buffers passed the bound (back-pressure). */
  get behindCount(): number {
    return this.backpressure.count;
  }

  /** Stats changed outside a batch (connection state, drops, gaps). */
  statsChanged(): void {
    this.statsDirty = true;
    this.arm();
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), this.windowMs);
  }

  private flush(): void {
    this.timer = null;
    // a socket whose buffers are past the bound gets no more windows until it drains
    this.backpressure.check();
    const io = this.io.except(BEHIND_ROOM);
    if (this.changes.size || this.changesSkipped) {
      io.emit('model', { seq: this.seq, changes: this.changesSkipped ? [] : [...this.changes.values()], skipped: this.changesSkipped });
      this.changes = new Map();
      this.changesSkipped = 0;
    }
    if (this.messages.length || this.skipped) {
      io.emit('messages', { messages: this.messages, skipped: this.skipped });
      this.messages = [];
      this.skipped = 0;
    }
    if (this.nodes) {
      io.emit('nodes', this.nodes);
      this.nodes = null;
    }
    if (this.statsDirty) {
      io.emit('stats', this.opts.getStats());
      this.statsDirty = false;
    }
  }

  /** Stop pushing and listening. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.backpressure.close();
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    await this.detachRedis?.();
  }
}

/** Whether a URL is socket.io's (`/socket.io`, with or without the trailing slash). */
const isSocketPath = (url: URL): boolean => url.pathname === '/socket.io' || url.pathname.startsWith('/socket.io/');
