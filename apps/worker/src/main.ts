/**
 * `l2scope-worker`: tap a Neutron RabbitMQ live and/or replay a capture, persist, push live.
 *
 *   tsx apps/worker/src/main.ts [--amqp URL] [--replay FILE.jsonl [--speed N] [--loop|--once]] [--demo] [options]
 *
 * With neither --amqp nor --replay it plays the built-in demo in-process (./demo.ts: the real lab3
 * and faults captures beside the node snapshots and BUM reports of the same lab runs).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseTimeArg } from '@l2scope/domain';
import { defaultWebOrigins, parseOrigins } from './live-access';
import { type NeutronApiConfig, resolveNeutronApiConfig } from './neutron-api/config';
import { startSupervisedWorker } from './failover';

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a non-negative number');
  return n;
}

function collectUserHost(v: string, acc: Record<string, string>): Record<string, string> {
  const eq = v.indexOf('=');
  if (eq <= 0 || eq === v.length - 1) throw new InvalidArgumentError('expected <user>=<host>');
  return { ...acc, [v.slice(0, eq)]: v.slice(eq + 1) };
}

/** `1024`, `512k`, `100M`, `1G` (binary multiples) -> bytes. */
function byteSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)i?[bB]?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('a size in bytes, e.g. 1048576, 512k, 100M, 1G');
  return Math.round(Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase()));
}

/** `90s`, `30m`, `24h`, `7d`, or plain milliseconds -> ms. */
function duration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('a duration, e.g. 90s, 30m, 24h, 7d');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms'];
  return Math.round(Number(m[1]) * unit);
}

/** Neutron's seconds (`75`), or a duration with a unit (`75s`, `2m`) -> ms; must be positive. */
function neutronSeconds(v: string): number {
  const ms = /^\d+(?:\.\d+)?$/.test(v.trim()) ? Math.round(Number(v) * 1000) : duration(v);
  if (!(ms > 0)) throw new InvalidArgumentError('a positive number of seconds, e.g. 75');
  return ms;
}

const program = new Command('l2scope-worker')
  .description('Tap l2pop traffic (live AMQP or a replayed capture) into the l2scope model and database')
  .option('--amqp <url>', 'tap this broker live (e.g. amqp://l2scope:secret@rabbit:5672/)', process.env.AMQP_URL)
  .option('--replay <file>', 'replay a capture (.jsonl): onto the broker with --amqp, else in-process')
  .option('--replay-nodes <file>', "node agents' capture replayed in-process beside --replay (default: FILE.nodes.jsonl when it exists)")
  .option('--no-replay-nodes', "replay no node agents' capture beside --replay")
  .option('--speed <n>', 'replay speed multiplier (0 = as fast as possible)', positiveNumber, 1)
  .option('--loop', 'replay the capture forever (the default of the demo)')
  .option('--once', 'replay the capture once (the default of --replay FILE); the demo: one pass of its looping part')
  .option('--demo', 'play the built-in demo (the default with neither --amqp nor --replay)')
  .option('--no-demo', 'with neither --amqp nor --replay: feed nothing')
  .option('--until <time>', 'replay only messages captured up to TIME (ISO-8601 or epoch seconds)', (v: string) => {
    try {
      return parseTimeArg(v);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  })
  .option('--all-rpc', "also tap the rest of Neutron's agent RPC (q-plugin, port/network/tunnel fanouts) for the inspector", false)
  .option('--declare-exchanges', "declare missing Neutron exchanges with oslo's flags (needs configure permission on them)", false)
  .option('--durable-exchanges', 'the cloud runs amqp_durable_queues=True (topic exchange is durable)', false)
  .option('--queue-max-length <n>', 'x-max-length of the tap queue', positiveNumber, 100_000)
  .option(
    '--tap-queue <name>',
    'a stable tap queue (l2scope.tap.<name>): survives a worker restart or crash for 1 h, redeliveries are stored once; on PostgreSQL default l2scope.tap.worker, shared by the active worker and its standbys',
  )
  .option('--message-ttl <ms>', 'x-message-ttl of the tap queue (ms)', positiveNumber, 600_000)
  .option('--prefetch <n>', 'unacknowledged messages in flight', positiveNumber, 2000)
  .option('--redis <url>', 'share live updates with the other workers through this Redis (socket.io Redis adapter)', process.env.REDIS_URL || undefined)
  .option('--redis-key <prefix>', 'Redis key prefix of the live channels (one per deployment sharing a Redis)', 'l2scope.live')
  .option('--db <url>', 'database URL (default: DATABASE_URL, else the embedded SQLite file)', process.env.DATABASE_URL)
  .option('--port <port>', 'live server port (socket.io, /api/model, /healthz)', positiveNumber, Number(process.env.L2SCOPE_LIVE_PORT ?? 3001))
  .option(
    '--host <addr>',
    'live server bind address; WARNING: anything but loopback exposes socket.io and /api/* to the network (keep the token secret, put TLS in front)',
    process.env.L2SCOPE_LIVE_HOST ?? '127.0.0.1',
  )
  .option(
    '--web-origins <list>',
    'browser origins allowed on the live server, comma-separated (default: L2SCOPE_WEB_ORIGINS, else http://localhost:$PORT,http://127.0.0.1:$PORT)',
    (v: string) => {
      try {
        return parseOrigins(v);
      } catch (err) {
        throw new InvalidArgumentError((err as Error).message);
      }
    },
  )
  .option('--retain-messages <n>', 'keep this many newest messages', positiveNumber, 200_000)
  .option('--retain-samples <n>', 'keep this many newest convergence samples (all hosts)', positiveNumber, 100_000)
  .option('--retain-bum-reports <n>', 'keep this many newest BUM reports as history (all hosts; each host keeps its last)', positiveNumber, 100_000)
  .option(
    '--retain-days <days>',
    'delete messages, convergence samples, resolved findings, closed gaps and per-host rows older than this (0: no age bound)',
    positiveNumber,
    7,
  )
  .addOption(
    new Option('--retain-bytes <bytes>', 'keep the newest messages whose bodies total at most this (suffixes k, M, G; 0: no bound)')
      .argParser(byteSize)
      .default(1024 ** 3, '1G'),
  )
  .addOption(
    new Option('--host-expiry <duration>', 'hosts silent this long leave the live view, their rows stay (e.g. 90s, 30m, 24h; 0: never)')
      .argParser(duration)
      .default(24 * 3_600_000, '24h'),
  )
  .option('--max-decode-bytes <n>', 'bodies larger than this are stored undecoded (too_large)', positiveNumber, 8 * 1024 * 1024)
  .option('--max-raw-bytes <n>', 'store at most this many bytes of a raw body', positiveNumber, 16 * 1024 * 1024)
  .option('--max-json-depth <n>', 'JSON nested deeper than this is stored undecoded (too_deep)', positiveNumber, 64)
  .option(
    '--max-json-entries <n>',
    'JSON with more array elements + object members than this is stored undecoded (too_many_entries)',
    positiveNumber,
    1_000_000,
  )
  .option('--node-amqp <url>', 'broker the node agents publish to (default: --amqp)')
  .option('--no-nodes', "do not tap node agents' snapshots")
  .option('--max-node-message-bytes <n>', 'refuse node messages larger than this (oversize, not parsed)', positiveNumber, 8 * 1024 * 1024)
  .option(
    '--node-agent-user <user=host>',
    'RabbitMQ user of the node agent of host (repeatable); other users follow the convention l2scope-agent-<host> (docs/rabbitmq.md)',
    collectUserHost,
    {} as Record<string, string>,
  )
  .addOption(
    new Option('--report-interval <s>', "the agents' [agent] report_interval (seconds): how often a healthy agent sends report_state")
      .argParser(neutronSeconds)
      .default(30_000, '30'),
  )
  .addOption(
    new Option('--agent-down-time <s>', "neutron-server's agent_down_time (seconds): a host without report_state for longer is down (agent_down)")
      .argParser(neutronSeconds)
      .default(75_000, '75'),
  )
  .option('--snapshots <dir>', 'load node snapshots from a support bundle directory at start')
  .option('--no-migrate', 'do not apply database migrations on start')
  .option(
    '--command-key <file>',
    'Ed25519 key signing agent commands (PKCS8 PEM, mode 0600; made on first start, public key beside it as command-key.pub.pem); default <data dir>/command-key.pem',
    process.env.L2SCOPE_COMMAND_KEY,
  )
  .option(
    '--neutron-api <url>',
    'poll this Neutron endpoint (noauth, e.g. http://127.0.0.1:9696) for names and checks; without it, OS_CLOUD (clouds.yaml) or OS_AUTH_URL (Keystone v3) when set (docs/neutron-api.md)',
  )
  .option('--no-neutron-api', "do not poll Neutron's API even when OS_CLOUD / OS_AUTH_URL are set")
  .addOption(
    new Option('--neutron-api-interval <s>', "seconds between polls of Neutron's API (failures back off from 5 s, doubling)")
      .argParser(neutronSeconds)
      .default(60_000, '60'),
  )
  .option(
    '--toggle-deadline <s>',
    'seconds to verify a toggle after the agent restarted before rolling it back',
    positiveNumber,
    Number(process.env.L2SCOPE_TOGGLE_DEADLINE ?? 120),
  );

program.parse();
const o = program.opts();

let origins: string[] = o.webOrigins;
try {
  origins ??= process.env.L2SCOPE_WEB_ORIGINS ? parseOrigins(process.env.L2SCOPE_WEB_ORIGINS) : defaultWebOrigins(Number(process.env.PORT ?? 3000));
} catch (err) {
  console.error(`l2scope-worker: L2SCOPE_WEB_ORIGINS: ${(err as Error).message}`);
  process.exit(2);
}

let neutronApi: NeutronApiConfig | null = null;
try {
  if (o.neutronApi !== false) neutronApi = resolveNeutronApiConfig({ endpoint: typeof o.neutronApi === 'string' ? o.neutronApi : undefined });
} catch (err) {
  console.error(`l2scope-worker: Neutron API: ${(err as Error).message}`);
  process.exit(2);
}

const worker = await startSupervisedWorker({
  amqpUrl: o.amqp,
  replayFile: o.replay,
  replayNodeFile: o.replayNodes === false ? false : o.replayNodes,
  speed: o.speed,
  loop: o.once ? false : o.loop ? true : undefined,
  demo: o.demo,
  until: o.until,
  allRpc: o.allRpc,
  declareExchanges: o.declareExchanges,
  durableExchanges: o.durableExchanges,
  queueMaxLength: o.queueMaxLength,
  tapQueue: o.tapQueue,
  messageTtlMs: o.messageTtl,
  prefetch: o.prefetch,
  databaseUrl: o.db,
  redisUrl: o.redis,
  redisKey: o.redisKey,
  port: o.port,
  host: o.host,
  origins,
  // the shared secret stays in the environment (never a flag: flags show in `ps`)
  token: process.env.L2SCOPE_WORKER_TOKEN || undefined,
  metricsToken: process.env.L2SCOPE_METRICS_TOKEN || undefined,
  retainMessages: o.retainMessages,
  retainDays: o.retainDays,
  retainSamples: o.retainSamples,
  retainBumReports: o.retainBumReports,
  retainBytes: o.retainBytes,
  hostExpiryMs: o.hostExpiry,
  maxDecodeBytes: o.maxDecodeBytes,
  maxJsonDepth: o.maxJsonDepth,
  maxJsonEntries: o.maxJsonEntries,
  maxRawBytes: o.maxRawBytes,
  migrate: o.migrate,
  nodeAmqpUrl: o.nodes === false ? false : o.nodeAmqp,
  snapshotsDir: o.snapshots,
  maxNodeMessageBytes: o.maxNodeMessageBytes,
  nodeAgentUsers: o.nodeAgentUser,
  reportIntervalMs: o.reportInterval,
  agentDownTimeMs: o.agentDownTime,
  commandKey: o.commandKey,
  toggleDeadlineS: o.toggleDeadline,
  neutronApi,
  neutronApiIntervalMs: o.neutronApiInterval,
  // PostgreSQL: the active lock (docs/operations.md#failover); a lost lock or a failed takeover ends the process
  onLockLost: () => process.exit(3),
  onFatal: (err) => {
    console.error(`l2scope-worker: taking over failed: ${err.message}`);
    process.exit(1);
  },
});
console.log(`worker: live server on ${o.host}:${worker.port} (${worker.role})`);

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`worker: ${sig}, draining`);
    worker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
