/**
 * The worker: sources (live tap and/or replay) -> pipeline (decode, model, batch persist)
 * -> live push. One function to start it, used by the CLI and by integration tests.
 *
 * Data flows one way. `startWorker` builds the parts and subscribes each to what it follows; none
 * calls back into it: the node monitor follows the pipeline's `applied` events, message retention
 * its `committed` ones, the live server `committed`, the node monitor's `update` (emitted after the
 * write), retention's `hosts_expired` and the tap health's `changed`; the tap health takes the AMQP tap's connection callbacks
 * and records gaps.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { type L2scopeAuth, openAuth } from '@l2scope/auth';
import { databaseUrl, dbProvider, openDb, repoRoot, sqliteFilePath } from '@l2scope/db';
import { migrate } from '@l2scope/db/migrate';
import {
  COMMAND_WIRE,
  ClusterModel,
  NODE_EXCHANGE,
  type NeutronApiView,
  type NeutronNames,
  type TapStats,
  enrich,
  neutronApiFindings,
  nodeBindings,
  parseNodeSnapshot,
  redactUrl,
  snapshotsFromBundle,
} from '@l2scope/domain';
import { WorkerMetrics } from './metrics';
import { LiveServer } from './live';
import { type LiveAuthorize, anyOf, bearerAuthorize, defaultWebOrigins } from './live-access';
import { HostMonitor } from './host-monitor';
import { NeutronApiPoller } from './neutron-api/poller';
import { IngestPipeline } from './pipeline';
import { DEMO_SEGMENTS, playDemo } from './demo';
import { replayInProcess, replayToBroker, siblingNodeCapture } from './replay';
import { Retention } from './retention';
import { PrismaStore } from './store';
import { AmqpTap } from './tap';
import { TapHealth } from './tap-health';
import { CommandPublisher } from './toggle/publisher';
import { admitReply } from './toggle/reply-admission';
import { ToggleRunner } from './toggle/runner';
import { CommandSigner } from './toggle/signer';
import type { WorkerHandle, WorkerOptions } from './worker-options';

export type { WorkerHandle, WorkerOptions } from './worker-options';

/** The capture replayed when no source is given: the real lab3 recording shipped in fixtures/. */
export const DEFAULT_CAPTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/lab3.jsonl');

/** Start the worker. Resolves once the tap is bound (if any) and the live server listens. */
export async function startWorker(opts: WorkerOptions): Promise<WorkerHandle> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const url = opts.databaseUrl ?? databaseUrl();
  if (opts.migrate ?? true) {
    const { applied } = await migrate(url);
    if (applied.length) log(`worker: applied migrations ${applied.join(', ')}`);
  }
  const db = await openDb(url);
  const store = new PrismaStore(db, dbProvider(url));
  const [snapshot, firstId, counters, gaps, identities] = await Promise.all([
    store.loadModel(),
    store.maxMessageId().then((n) => n + 1),
    store.loadCounters(),
    store.recentGaps(),
    store.recentIdentities(),
  ]);
  const model = ClusterModel.fromSnapshot(snapshot, { agentDownTimeMs: opts.agentDownTimeMs });
  const standby = opts.standby ?? false;
  const hostExpiryMs = opts.hostExpiryMs ?? 24 * 3_600_000;
  const nodes = new HostMonitor({
    model,
    store,
    log,
    maxMessageBytes: opts.maxNodeMessageBytes,
    nodeAgentUsers: opts.nodeAgentUsers,
    liveness: { reportIntervalMs: opts.reportIntervalMs, agentDownTimeMs: opts.agentDownTimeMs },
  });
  await nodes.load(hostExpiryMs ? new Date(Date.now() - hostExpiryMs) : undefined);
  if (opts.snapshotsDir) loadBundle(nodes, opts.snapshotsDir, log);

  const demo = !standby && !opts.amqpUrl && (opts.demo ?? !opts.replayFile);
  const mode: TapStats['mode'] = opts.amqpUrl ? 'amqp' : opts.replayFile || demo ? 'replay' : 'idle';
  const health = new TapHealth({ store, counters, gaps, connected: !opts.amqpUrl && !standby, log });
  const pipeline = new IngestPipeline({
    sink: store,
    model,
    firstId,
    counters,
    maxDecodeBytes: opts.maxDecodeBytes,
    maxRawBytes: opts.maxRawBytes,
    maxJsonDepth: opts.maxJsonDepth,
    maxJsonEntries: opts.maxJsonEntries,
    recentIdentities: identities,
  });
  pipeline.on('write_failed', (err, attempt) => log(`worker: writing a batch failed (attempt ${attempt}, retrying): ${(err as Error).message}`));
  pipeline.on('listener_failed', (event, err, id) => log(`worker: a listener of ${event} (message ${id}) threw, carrying on: ${String(err).slice(0, 300)}`));
  pipeline.on('redelivered', (ids) => log(`worker: ${ids.length} redelivered message(s) already stored, skipped`));
  nodes.follow(pipeline);
  const retainDays = opts.retainDays ?? 7;
  const retainBytes = opts.retainBytes ?? 1024 ** 3;
  const retention = new Retention({
    store,
    model,
    nodes,
    limits: {
      maxMessages: opts.retainMessages ?? 200_000,
      maxAgeMs: retainDays ? retainDays * 86_400_000 : undefined,
      maxBodyBytes: retainBytes || undefined,
      maxConvergenceSamples: opts.retainSamples ?? 100_000,
      maxBumReports: opts.retainBumReports,
      hostExpiryMs,
    },
    everyMs: opts.retentionEveryMs,
    log,
  });
  retention.follow(pipeline);
  if (!standby) retention.start();

  const stats = (): TapStats => ({
    mode,
    connected: health.connected,
    received: counters.received,
    undecodable: counters.undecodable,
    dropped: counters.dropped,
    expired: counters.expired,
    queueDepth: health.queueDepth,
    missingExchanges: health.missingExchanges,
    deniedExchanges: health.deniedExchanges,
    gaps: health.gaps,
    seq: standby ? standbyView.seq : pipeline.seq,
    role: standby ? 'standby' : 'active',
  });
  // a standby's view: what the active worker committed, re-read from the database
  const standbyView = { model: snapshot, seq: firstId - 1 };
  const standbyTimer = standby
    ? setInterval(() => {
        void Promise.all([store.loadModel(), store.maxMessageId(), store.recentGaps()]).then(
          ([m, seq, recent]) => {
            standbyView.model = m;
            standbyView.seq = seq;
            health.gaps = recent;
          },
          (err: unknown) => log(`worker: standby: reading the model failed: ${String(err).slice(0, 300)}`),
        );
      }, opts.standbyRefreshMs ?? 5_000)
    : null;
  standbyTimer?.unref();

  // Neutron's API (a second source): its names and checks, judged against the model at each read
  let neutronApi: NeutronApiPoller | null = null;
  let names: NeutronNames | null = null;
  let unsavedNames: NeutronNames | undefined;
  let savingNeutron: Promise<void> = Promise.resolve();
  // since when the tap has listened without a break: what was cast before cannot be judged
  let watchingSince: number | null = null;
  const neutronView = (): NeutronApiView | null => (neutronApi ? { status: neutronApi.status(), names } : null);

  if (!opts.authorize && !opts.token && opts.liveAuth === false)
    log('worker: no L2SCOPE_WORKER_TOKEN and no session check: /api/* and the live sockets refuse every request');
  // a signed-in browser's session (its cookie, forwarded by the web's proxy) or the worker token;
  // the auth secret is read on the first request: a worker nobody connects to needs none
  let auth: L2scopeAuth | undefined;
  const session: LiveAuthorize = async (req) => (await (auth ??= openAuth(db, url)).sessionFromHeaders(req.headers)) !== null;
  const origins = opts.origins ?? defaultWebOrigins(3000);
  const authorize = opts.authorize ?? anyOf(bearerAuthorize(opts.token), ...((opts.liveAuth ?? true) ? [session] : []));
  const metrics = new WorkerMetrics({ getStats: stats, getNodes: () => nodes.status(), pipeline, nodes, health });
  const live = new LiveServer({
    port: opts.port ?? 3001,
    host: opts.host,
    origins,
    authorize,
    metrics: metrics.handler(anyOf(bearerAuthorize(opts.metricsToken), authorize), new Set(origins)),
    getModel: () => (standby ? standbyView.model : model.snapshot()),
    getStats: stats,
    getNodes: () => nodes.status(),
    getNeutronApi: () => neutronView(),
    redis: opts.redisUrl ? { url: opts.redisUrl, key: opts.redisKey, log } : undefined,
  });
  live.follow({ pipeline, nodes, health, retention });
  const port = await live.start();

  let tap: AmqpTap | null = null;
  if (opts.amqpUrl && !standby) {
    const amqpUrl = opts.amqpUrl;
    tap = new AmqpTap({
      url: amqpUrl,
      allRpc: opts.allRpc,
      declareExchanges: opts.declareExchanges,
      durableExchanges: opts.durableExchanges,
      maxLength: opts.queueMaxLength,
      queueName: opts.tapQueue && (opts.tapQueue.startsWith('l2scope.tap.') ? opts.tapQueue : `l2scope.tap.${opts.tapQueue}`),
      messageTtlMs: opts.messageTtlMs,
      prefetch: opts.prefetch,
      deadLetterPrefetch: opts.deadLetters?.prefetch,
      deadLetterSweepMs: opts.deadLetters?.sweepMs,
      deadLetterPurgeAt: opts.deadLetters?.purgeAt,
      log,
      onDelivery: (d) => pipeline.submit(d),
      onConnected: () => {
        health.onConnected();
        watchingSince ??= Date.now();
        log(`worker: tapping ${redactUrl(amqpUrl)}`);
      },
      onDisconnected: (err) => {
        log(`worker: disconnected from the broker: ${err.message}`);
        health.onDisconnected(err);
        watchingSince = null;
      },
      onDropped: (reason, count) => health.onDropped(reason, count),
      onStatus: (s) => health.onStatus(s),
    });
    await tap.start();
    health.connected = true;
    watchingSince ??= Date.now();
    if (opts.takeoverSince !== undefined) {
      const since = opts.takeoverSince;
      log(`worker: took over as the active worker; nobody tapped from ${new Date(since).toISOString()} (recorded as a gap)`);
      health.recordGap(since, Date.now(), 'failover: the active worker died, a standby took over');
    }
  }

  if (opts.neutronApi && !standby) {
    neutronApi = new NeutronApiPoller({
      config: opts.neutronApi,
      intervalMs: opts.neutronApiIntervalMs,
      backoffBaseMs: opts.neutronApiBackoffMs,
      log,
      onSnapshot: (api) => {
        const m = model.snapshot();
        names = unsavedNames = enrich(m, api);
        nodes.setApiFindings(neutronApiFindings(m, api, { watchingSince, agentDownTimeMs: opts.agentDownTimeMs, castGraceMs: opts.neutronApiCastGraceMs }));
      },
      onStatus: (status) => {
        const n = unsavedNames;
        unsavedNames = undefined;
        savingNeutron = savingNeutron
          .then(() => store.saveNeutronApi(status, n))
          .catch((err: unknown) => log(`worker: saving the Neutron API's names failed: ${String(err).slice(0, 300)}`));
      },
    });
    log(
      `worker: polling Neutron's API ${opts.neutronApi.kind === 'endpoint' ? opts.neutronApi.url : `through keystone ${opts.neutronApi.authUrl}`} every ${(opts.neutronApiIntervalMs ?? 60_000) / 1000} s`,
    );
    neutronApi.start();
  }
  // a quiet bus is news too: while the tap listens (connected, nothing queued), time passes for agent liveness
  const tickMs = opts.liveClockTickMs ?? 1_000;
  const clockTimer =
    tap && tickMs > 0
      ? setInterval(() => {
          if (!health.connected || (health.queueDepth ?? 0) > 0) return;
          if (model.advanceClock(Date.now())) nodes.clockAdvanced();
        }, tickMs)
      : null;
  clockTimer?.unref();

  let nodeTap: AmqpTap | null = null;
  let toggles: ToggleRunner | null = null;
  let commands: CommandPublisher | null = null;
  const nodeUrl = opts.nodeAmqpUrl === undefined ? opts.amqpUrl : opts.nodeAmqpUrl || undefined;
  if (nodeUrl && !standby) {
    const signer = await CommandSigner.open(opts.commandKey ?? defaultCommandKey(url), log);
    commands = new CommandPublisher(nodeUrl, log);
    toggles = new ToggleRunner({
      db,
      model,
      analysis: () => nodes.latest(),
      snapshot: (host) => nodes.snapshotOf(host),
      signer,
      sink: commands,
      deadlineMs: (opts.toggleDeadlineS ?? 120) * 1000,
      log,
    });
    toggles.follow(pipeline);
    live.follow({ toggles });
    const runner = toggles;
    nodeTap = new AmqpTap({
      url: nodeUrl,
      bindings: [...nodeBindings(), { exchange: NODE_EXCHANGE, routingKey: COMMAND_WIRE.replyBinding }],
      queuePrefix: 'l2scope.tap.node',
      // the worker owns l2scope.node: node agents may only publish (no configure permission)
      declareExchanges: true,
      watchExchanges: true,
      pollSeconds: opts.nodePollSeconds,
      maxLength: 10_000,
      prefetch: 200,
      log,
      onDelivery: async (d) => {
        if (!d.routingKey.startsWith('reply.')) return nodes.handle(d);
        // a command reply: the same identity rule as snapshots, refusals counted with theirs
        const a = admitReply(d, opts.nodeAgentUsers);
        if (a.ok) runner.onReply(a.reply);
        else nodes.noteRefusal(a.reason, d, a.why);
      },
      onConnected: () => log('worker: tapping node agents (exchange l2scope.node)'),
    });
    await nodeTap.start();
    toggles.start();
  }

  const abort = new AbortController();
  let replayDone: Promise<number> | null = null;
  const replayFile = standby ? undefined : opts.replayFile;
  if (demo) {
    log(
      `worker: playing the demo in-process at speed ${opts.speed ?? 1}: ${DEMO_SEGMENTS.map((s) => `fixtures/${s.scenario}.jsonl${s.loop ? ' (looping)' : ''}`).join(', then ')}, each with its node snapshots`,
    );
    replayDone = playDemo({
      speed: opts.speed ?? 1,
      signal: abort.signal,
      passes: opts.loop === false ? 1 : undefined,
      submit: (d) => pipeline.submit(d),
      node: (d) => nodes.handle(d),
      onPass: (pass) => log(`worker: demo pass ${pass} done`),
      log,
    }).then(async (n) => {
      await pipeline.drain();
      return n;
    });
    replayDone.catch((err: unknown) => log(`worker: demo failed: ${String(err)}`));
  } else if (replayFile) {
    const common = { file: replayFile, speed: opts.speed ?? 1, loop: opts.loop ?? false, until: opts.until, signal: abort.signal, log };
    const nodeFile = opts.replayNodeFile === false ? undefined : (opts.replayNodeFile ?? siblingNodeCapture(replayFile));
    const beside = nodeFile ? (opts.amqpUrl ? ` (not ${nodeFile}: node agents' messages replay in-process only)` : ` with the node agents' ${nodeFile}`) : '';
    log(
      `worker: replaying ${replayFile}${beside} ${opts.amqpUrl ? 'onto the broker' : 'in-process'} at speed ${common.speed}${common.loop ? ', looping' : ''}`,
    );
    replayDone = opts.amqpUrl
      ? replayToBroker({ ...common, url: opts.amqpUrl })
      : replayInProcess({ ...common, nodeFile, submit: (d) => pipeline.submit(d), node: (d) => nodes.handle(d), pending: () => pipeline.pending }).then(
          async (n) => {
            await pipeline.drain();
            return n;
          },
        );
    replayDone.catch((err: unknown) => log(`worker: replay failed: ${String(err)}`));
  }

  let stopping: Promise<void> | null = null;
  return {
    port,
    nodes,
    pipeline,
    store,
    health,
    retention,
    db,
    tap,
    toggles,
    neutronApi,
    stats,
    replayDone,
    stop() {
      stopping ??= (async () => {
        abort.abort();
        if (clockTimer) clearInterval(clockTimer);
        if (standbyTimer) clearInterval(standbyTimer);
        await replayDone?.catch(() => 0);
        await toggles?.stop();
        await neutronApi?.stop();
        await savingNeutron;
        await commands?.close();
        await tap?.close();
        await nodeTap?.close();
        await pipeline.drain();
        await retention.stop();
        await nodes.stop();
        // a standby's counters are the active's, as loaded: writing them would roll those back
        if (!standby) await store.writeCounters(counters).catch(() => {});
        await live.close();
        await store.close();
      })();
      return stopping;
    },
  };
}

/**
 * Give the node monitor every host of a support bundle directory (the fixtures' file names), each
 * snapshot validated with the domain's schema first; files and hosts that fail are logged and skipped.
 */
function loadBundle(nodes: HostMonitor, dir: string, log: (line: string) => void): void {
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (statSync(`${dir}/${f}`).isFile()) files[f] = readFileSync(`${dir}/${f}`, 'utf8');
  const { snapshots, errors } = snapshotsFromBundle(files, { takenAt: Date.now() });
  for (const e of errors) log(`worker: bundle ${e.file}: ${e.error}`);
  const loaded: string[] = [];
  for (const s of snapshots) {
    try {
      const full = parseNodeSnapshot(s);
      if (full.kind !== 'full') throw new Error('not a full snapshot');
      nodes.acceptSnapshot(full);
      loaded.push(s.host);
    } catch (err) {
      log(`worker: bundle ${dir}: the snapshot of ${s.host} is not valid: ${(err as Error).message.slice(0, 300)}`);
    }
  }
  log(`worker: loaded node snapshots of ${loaded.join(', ') || 'no host'} from ${dir}`);
}

/** `<data dir>/command-key.pem`: beside the SQLite file, or `<repo>/data` on PostgreSQL; env L2SCOPE_COMMAND_KEY first. */
function defaultCommandKey(url: string): string {
  if (process.env.L2SCOPE_COMMAND_KEY) return process.env.L2SCOPE_COMMAND_KEY;
  const file = dbProvider(url) === 'sqlite' ? sqliteFilePath(url) : null;
  return path.join(file ? path.dirname(file) : path.join(repoRoot(), 'data'), 'command-key.pem');
}
