/**
 * The worker: sources (live tap and/or replay) -> pipeline (decode, model, batch persist)
 * -> live push. One function to start it, used by the CLI and by integration tests.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { type Db, databaseUrl, dbProvider, openDb } from '@l2scope/db';
import { migrate } from '@l2scope/db/migrate';
import { ClusterModel, type TapStats } from '@l2scope/domain';
import { LiveServer } from './live';
import { IngestPipeline, summarize } from './pipeline';
import { replayInProcess, replayToBroker } from './replay';
import { PrismaStore } from './store';
import { AmqpTap } from './tap';
import { NodeMonitor } from './nodes';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { nodeBindings, redactUrl, snapshotsFromBundle } from '@l2scope/domain';

/** The capture replayed when no source is given: the real lab3 recording shipped in fixtures/. */
export const DEFAULT_CAPTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/lab3.jsonl');

export interface WorkerOptions {
  /** Database URL (default: DATABASE_URL or the embedded SQLite file). */
  databaseUrl?: string;
  /** Tap a broker live. */
  amqpUrl?: string;
  /** Replay a capture: onto the broker when `amqpUrl` is set, else in-process. */
  replayFile?: string;
  speed?: number;
  loop?: boolean;
  /** Replay only messages captured up to this epoch ms. */
  until?: number;
  allRpc?: boolean;
  declareExchanges?: boolean;
  durableTopicExchange?: boolean;
  queueMaxLength?: number;
  messageTtlMs?: number;
  prefetch?: number;
  /** Port of the live server (socket.io + /api/model); 0 picks a free one. */
  port?: number;
  host?: string;
  /** Keep this many newest messages in the database (older are pruned). */
  retainMessages?: number;
  maxDecodeBytes?: number;
  maxRawBytes?: number;
  /**
   * Tap node agents' snapshots and BUM reports (exchange `l2scope.node`) on this broker
   * (default: `amqpUrl`; `false` disables it).
   */
  nodeAmqpUrl?: string | false;
  /** Load node snapshots from a support bundle directory at start (offline analysis, demos). */
  snapshotsDir?: string;
  /** Apply pending database migrations on start (default true). */
  migrate?: boolean;
  log?: (line: string) => void;
}

export interface WorkerHandle {
  port: number;
  nodes: NodeMonitor;
  pipeline: IngestPipeline;
  store: PrismaStore;
  db: Db;
  tap: AmqpTap | null;
  stats(): TapStats;
  /** Resolves when a non-looping replay has been fed and committed. */
  replayDone: Promise<number> | null;
  stop(): Promise<void>;
}

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
  const [snapshot, firstId, counters, gaps] = await Promise.all([
    store.loadModel(),
    store.maxMessageId().then((n) => n + 1),
    store.loadCounters(),
    store.recentGaps(),
  ]);
  const model = ClusterModel.fromSnapshot(snapshot);
  let live: LiveServer | null = null;
  const nodes = new NodeMonitor({ model, db, provider: dbProvider(url), log, publish: (u) => live?.publishNodes(u) });
  await nodes.load();
  if (opts.snapshotsDir) loadBundle(nodes, opts.snapshotsDir, log);

  const state = {
    mode: (opts.amqpUrl ? 'amqp' : opts.replayFile || !opts.amqpUrl ? 'replay' : 'idle') as TapStats['mode'],
    connected: !opts.amqpUrl,
    missingExchanges: [] as string[],
    deniedExchanges: [] as string[],
    queueDepth: null as number | null,
    gaps,
    openGap: null as number | null,
  };
  const retain = opts.retainMessages ?? 200_000;
  let sincePrune = 0;

  const pipeline = new IngestPipeline({
    sink: store,
    model,
    firstId,
    counters,
    maxDecodeBytes: opts.maxDecodeBytes,
    maxRawBytes: opts.maxRawBytes,
    onApplied: (msg, at, id, changes) => {
      if (msg.kind === 'fdb') nodes.onCast(msg, at, id);
      if (changes.length) nodes.modelChanged(changes);
    },
    onError: (err, attempt) => log(`worker: writing a batch failed (attempt ${attempt}, retrying): ${(err as Error).message}`),
    onCommitted: (batch, seq) => {
      live?.publish(batch.map(summarize), batch.flatMap((m) => m.changes), seq);
      sincePrune += batch.length;
      if (sincePrune >= 5_000) {
        sincePrune = 0;
        store.prune(retain).catch((err: unknown) => log(`worker: pruning failed: ${String(err)}`));
      }
    },
  });

  const stats = (): TapStats => ({
    mode: state.mode,
    connected: state.connected,
    received: counters.received,
    undecodable: counters.undecodable,
    dropped: counters.dropped,
    expired: counters.expired,
    queueDepth: state.queueDepth,
    missingExchanges: state.missingExchanges,
    deniedExchanges: state.deniedExchanges,
    gaps: state.gaps,
    seq: pipeline.seq,
  });

  live = new LiveServer({
    port: opts.port ?? 3001,
    host: opts.host,
    getModel: () => model.snapshot(),
    getStats: stats,
    getNodes: () => ({ analysis: nodes.latest(), findings: nodes.findings(), convergence: nodes.convergence(), counters: nodes.counters, hosts: nodes.hosts() }),
  });
  const port = await live.start();

  let tap: AmqpTap | null = null;
  if (opts.amqpUrl) {
    tap = new AmqpTap({
      url: opts.amqpUrl,
      allRpc: opts.allRpc,
      declareExchanges: opts.declareExchanges,
      durableTopicExchange: opts.durableTopicExchange,
      maxLength: opts.queueMaxLength,
      messageTtlMs: opts.messageTtlMs,
      prefetch: opts.prefetch,
      log,
      onDelivery: (d) => pipeline.submit(d),
      onConnected: () => {
        state.connected = true;
        if (state.openGap !== null) {
          const id = state.openGap;
          state.openGap = null;
          const end = Date.now();
          store
            .closeGap(id, end)
            .then(() => store.recentGaps())
            .then((g) => {
              state.gaps = g;
              live?.statsChanged();
            })
            .catch((err: unknown) => log(`worker: recording a gap failed: ${String(err)}`));
        }
        log(`worker: tapping ${redactUrl(opts.amqpUrl!)}`);
        live?.statsChanged();
      },
      onDisconnected: (err) => {
        state.connected = false;
        log(`worker: disconnected from the broker: ${err.message}`);
        const start = Date.now();
        store
          .openGap(start, err.message)
          .then((id) => {
            if (state.connected) return store.closeGap(id, Date.now());
            state.openGap = id;
          })
          .then(() => store.recentGaps())
          .then((g) => {
            state.gaps = g;
            live?.statsChanged();
          })
          .catch((e: unknown) => log(`worker: recording a gap failed: ${String(e)}`));
        live?.statsChanged();
      },
      onDropped: (reason) => {
        if (reason === 'expired') counters.expired++;
        else counters.dropped++;
        live?.statsChanged();
      },
      onStatus: (s) => {
        state.missingExchanges = s.missingExchanges;
        state.deniedExchanges = s.deniedExchanges;
        state.queueDepth = s.queueDepth;
        live?.statsChanged();
      },
    });
    await tap.start();
    state.connected = true;
  }

  let nodeTap: AmqpTap | null = null;
  const nodeUrl = opts.nodeAmqpUrl === undefined ? opts.amqpUrl : opts.nodeAmqpUrl || undefined;
  if (nodeUrl) {
    nodeTap = new AmqpTap({
      url: nodeUrl,
      bindings: nodeBindings(),
      queuePrefix: 'l2scope.tap.node',
      maxLength: 10_000,
      prefetch: 200,
      log,
      onDelivery: (d) => nodes.handle(d),
      onConnected: () => log('worker: tapping node agents (exchange l2scope.node)'),
    });
    await nodeTap.start();
  }

  const abort = new AbortController();
  let replayDone: Promise<number> | null = null;
  const replayFile = opts.replayFile ?? (opts.amqpUrl ? undefined : DEFAULT_CAPTURE);
  if (replayFile) {
    const common = { file: replayFile, speed: opts.speed ?? 1, loop: opts.loop ?? false, until: opts.until, signal: abort.signal, log };
    log(`worker: replaying ${replayFile} ${opts.amqpUrl ? 'onto the broker' : 'in-process'} at speed ${common.speed}${common.loop ? ', looping' : ''}`);
    replayDone = opts.amqpUrl
      ? replayToBroker({ ...common, url: opts.amqpUrl })
      : replayInProcess({ ...common, submit: (d) => pipeline.submit(d), pending: () => pipeline.pending }).then(async (n) => {
          await pipeline.drain();
          return n;
        });
    replayDone.catch((err: unknown) => log(`worker: replay failed: ${String(err)}`));
  }

  let stopping: Promise<void> | null = null;
  return {
    port,
    nodes,
    pipeline,
    store,
    db,
    tap,
    stats,
    replayDone,
    stop() {
      stopping ??= (async () => {
        abort.abort();
        await replayDone?.catch(() => 0);
        await tap?.close();
        await nodeTap?.close();
        await pipeline.drain();
        await nodes.stop();
        await store.writeCounters(counters).catch(() => {});
        await live?.close();
        await db.$disconnect();
      })();
      return stopping;
    },
  };
}

/** Feed every host of a support bundle directory (the fixtures' file names) to the node monitor. */
function loadBundle(nodes: NodeMonitor, dir: string, log: (line: string) => void): void {
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (statSync(`${dir}/${f}`).isFile()) files[f] = readFileSync(`${dir}/${f}`, 'utf8');
  const { snapshots, errors } = snapshotsFromBundle(files, { takenAt: Date.now() });
  for (const e of errors) log(`worker: bundle ${e.file}: ${e.error}`);
  for (const s of snapshots) {
    void nodes.handle({ receivedAt: Date.now(), exchange: 'l2scope.node', routingKey: `snapshot.${s.host}`, properties: {}, body: Buffer.from(JSON.stringify(s)), source: 'replay' });
  }
  log(`worker: loaded node snapshots of ${snapshots.map((s) => s.host).join(', ') || 'no host'} from ${dir}`);
}

