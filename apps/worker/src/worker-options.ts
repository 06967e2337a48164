/**
 * What `startWorker` takes and returns: its options (sources, database, live server, node broker,
 * toggles, Neutron API, retention, bounds) and the handle of a running worker.
 */
import type { Db } from '@l2scope/db';
import type { TapStats } from '@l2scope/domain';
import type { HostMonitor } from './host-monitor';
import type { LiveAuthorize } from './live-access';
import type { NeutronApiConfig } from './neutron-api/config';
import type { NeutronApiPoller } from './neutron-api/poller';
import type { IngestPipeline } from './pipeline';
import type { Retention } from './retention';
import type { PrismaStore } from './store';
import type { AmqpTap } from './tap';
import type { TapHealth } from './tap-health';
import type { ToggleRunner } from './toggle/runner';

export interface WorkerOptions {
  /** Database URL (default: DATABASE_URL or the embedded SQLite file). */
  databaseUrl?: string;
  /** Tap a broker live. */
  amqpUrl?: string;
  /** Replay a capture: onto the broker when `amqpUrl` is set, else in-process. */
  replayFile?: string;
  /**
   * The node agents' capture replayed in-process beside `replayFile` (snapshots and BUM reports,
   * merged by capture time); default the `<replayFile>.nodes.jsonl` the fleet simulator writes,
   * when it exists; `false`: none. Not replayed onto a broker (each host's messages need its own user).
   */
  replayNodeFile?: string | false;
  /**
   * Play the built-in demo in-process (./demo: the lab3 capture once, then the faults capture in a
   * loop, each beside the node snapshots and BUM reports of the same lab run), instead of a plain
   * replay. The default when neither `amqpUrl` nor `replayFile` is given; `false` then feeds nothing.
   * `loop: false` plays the demo's looping part once.
   */
  demo?: boolean;
  speed?: number;
  loop?: boolean;
  /** Replay only messages captured up to this epoch ms. */
  until?: number;
  allRpc?: boolean;
  declareExchanges?: boolean;
  durableExchanges?: boolean;
  queueMaxLength?: number;
  /** A stable tap queue name, prefixed `l2scope.tap.` if it is not (survives restarts: no gap, redeliveries deduplicated); default a fresh exclusive queue. */
  tapQueue?: string;
  messageTtlMs?: number;
  prefetch?: number;
  /** How the tap's dead letters (broker drops and expiries) are counted: see `DeadLetters` (dead-letters.ts) for the defaults. */
  deadLetters?: { prefetch?: number; sweepMs?: number; purgeAt?: number };
  /** Port of the live server (socket.io + /api/model); 0 picks a free one. */
  port?: number;
  /** Bind address of the live server (default 127.0.0.1; the web server proxies browsers to it). */
  host?: string;
  /** Browser origins allowed on the live server (default: `http://localhost:3000`, `http://127.0.0.1:3000`). */
  origins?: readonly string[];
  /**
   * The shared secret (`L2SCOPE_WORKER_TOKEN`) accepted as `Authorization: Bearer` on socket.io
   * handshakes and `/api/*`, when no `authorize` is given. Without either, both stay closed.
   */
  token?: string;
  /** Decides socket.io handshakes and `/api/*` requests (a web session resolver); overrides `token`. */
  authorize?: LiveAuthorize;
  /**
   * A read-only secret (`L2SCOPE_METRICS_TOKEN`) for Prometheus scrapers: `Authorization: Bearer`
   * on `GET /metrics` and nothing else. `/metrics` also accepts what `/api/*` accepts.
   */
  metricsToken?: string;
  /** Keep this many newest messages in the database (older are pruned). */
  retainMessages?: number;
  /** Delete messages, samples, resolved findings, closed gaps and per-host rows older than this (days, default 7; 0 keeps them). */
  retainDays?: number;
  /** Keep the newest messages whose bodies total at most this many bytes (default 1 GiB; 0: no bound). */
  retainBytes?: number;
  /** Keep this many newest convergence samples (default 100 000). */
  retainSamples?: number;
  /** Keep this many newest BUM history rows, all hosts (default 100 000: about 8 minutes of 1,000 hosts reporting every 5 s). */
  retainBumReports?: number;
  /** Hosts silent this long (ms) leave the live view (default 24 h; 0 never). */
  hostExpiryMs?: number;
  /** The agents' `report_interval` (ms, default 30 000), quoted in `agent_down` findings. */
  reportIntervalMs?: number;
  /** neutron-server's `agent_down_time` (ms, default 75 000): a host without report_state for longer is down at the model's clock (`agent_down`). */
  agentDownTimeMs?: number;
  /**
   * Live tap only: every this many ms, while the tap is connected and its queue drained, the model's
   * clock moves on to the wall clock (`ClusterModel.advanceClock`), so a silent bus still turns an
   * agent down after `agent_down_time` (default 1 000; 0: only messages move the clock). Receive
   * times of a live tap are wall-clock times, so both agree; a replay never ticks.
   */
  liveClockTickMs?: number;
  /** Period of the background retention run (ms, default 60 000). */
  retentionEveryMs?: number;
  maxDecodeBytes?: number;
  maxRawBytes?: number;
  /** JSON nested deeper than this is stored undecoded as `too_deep` (default 64; docs/wire-format.md#poison-input). */
  maxJsonDepth?: number;
  /** JSON with more array elements plus object members than this is stored undecoded as `too_many_entries` (default 1,000,000). */
  maxJsonEntries?: number;
  /**
   * Tap node agents' snapshots and BUM reports (exchange `l2scope.node`) on this broker
   * (default: `amqpUrl`; `false` disables it).
   */
  nodeAmqpUrl?: string | false;
  /** Cap on one node message's body (bytes, default 8 MiB): over it, refused `oversize` unparsed. */
  maxNodeMessageBytes?: number;
  /** RabbitMQ user -> host of node agents not named `l2scope-agent-<host>` (docs/rabbitmq.md#identity). */
  nodeAgentUsers?: Record<string, string>;
  /** Seconds between the node tap's checks of its exchange (re-declared and re-bound when deleted; default 10). */
  nodePollSeconds?: number;
  /** Load node snapshots from a support bundle directory at start (offline analysis, demos). */
  snapshotsDir?: string;
  /** Apply pending database migrations on start (default true). */
  migrate?: boolean;
  /**
   * Accept a socket.io connection only with a session (the dashboard's cookie, checked through
   * @l2scope/auth: docs/auth.md) or with `L2SCOPE_ANONYMOUS_READ=1`. Default true.
   */
  liveAuth?: boolean;
  /**
   * The command signing key (Ed25519, PKCS8 PEM, mode 0600; made on first start, its public key
   * written beside it as `command-key.pub.pem`). Default `<data dir>/command-key.pem`: beside the
   * SQLite file, else `<repo>/data`. Toggles run only with a broker for node agents.
   */
  commandKey?: string;
  /** Seconds to verify a toggle after the agent's restart before rolling back (default 120). */
  toggleDeadlineS?: number;
  /** Poll Neutron's API for names and its checks (docs/neutron-api.md); null / undefined: no polling. */
  neutronApi?: NeutronApiConfig | null;
  /** Period of the Neutron API poll (ms, default 60 000). */
  neutronApiIntervalMs?: number;
  /** First retry after a failed poll (ms, default 5 000, doubling). */
  neutronApiBackoffMs?: number;
  /** Time a cast may take after a port went ACTIVE before `port_without_l2pop` counts it (ms, default 15 000). */
  neutronApiCastGraceMs?: number;
  /**
   * Run as the standby of an active worker on the same PostgreSQL database
   * (docs/operations.md#failover): serve `/healthz`, `/api/*` and the live socket from the
   * database (the model re-read every `standbyRefreshMs`), with `role: 'standby'`; start no source
   * (no tap, no node tap, no replay, no Neutron API poll) and write nothing (no retention, no
   * counters). `failover.ts` stops it and starts an active worker when the lock frees.
   */
  standby?: boolean;
  /** Standby only: period of the model re-read from the database (ms, default 5 000). */
  standbyRefreshMs?: number;
  /**
   * This worker takes over from a dead active one: the epoch ms since which nobody tapped (the
   * standby's last sight of the lock held). Once the tap is connected the interval is recorded as
   * a closed tap gap, reason `failover`.
   */
  takeoverSince?: number;
  /** Share live updates with the other workers on this Redis (`--redis`, `REDIS_URL`; docs/operations.md#redis). */
  redisUrl?: string;
  /** Redis key prefix of the live channels (default `l2scope.live`): one per deployment sharing a Redis. */
  redisKey?: string;
  log?: (line: string) => void;
}

/** A running worker: its parts (for tests and the CLI) and `stop`. */
export interface WorkerHandle {
  /** Port of the live server (socket.io and the operator endpoints). */
  port: number;
  nodes: HostMonitor;
  pipeline: IngestPipeline;
  store: PrismaStore;
  health: TapHealth;
  /** Background retention and host expiry (`run()` runs one now). */
  retention: Retention;
  /** The database client (tests read what was stored through it). */
  db: Db;
  tap: AmqpTap | null;
  /** The toggle runner (null without a node broker). */
  toggles: ToggleRunner | null;
  /** The Neutron API poller (null when no API is configured). */
  neutronApi: NeutronApiPoller | null;
  stats(): TapStats;
  /** Resolves when a non-looping replay has been fed and committed. */
  replayDone: Promise<number> | null;
  /** Stop the sources, drain and write what is pending, close the server and the database. Idempotent. */
  stop(): Promise<void>;
}
