/**
 * A test database filled the way the worker fills it, without the worker: messages decoded and
 * folded into a domain `ClusterModel`, then committed through packages/db's repositories (one
 * batch per call, like the pipeline's), node snapshots analysed by the domain's `analyzeNodes`
 * and stored through the node-state and host-analysis repositories, BUM reports metered from the
 * labs' real underlay captures stored as the worker stores them. `seededApi` wraps the whole
 * set-up of a suite: a fresh database, filled, and a signed-in viewer's tRPC caller on it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Counters,
  type Db,
  type MessageRecord,
  closeDb,
  commitBatch,
  dbProvider,
  openDb,
  saveBumReports,
  saveHostAnalyses,
  saveNodeSnapshots,
} from '@l2scope/db';
import { migrate } from '@l2scope/db/migrate';
import {
  type AmqpProperties,
  type BumReport,
  ClusterModel,
  type FullNodeSnapshot,
  analyzeNodes,
  decodeMessage,
  messageRefs,
  messageSearchText,
  parseCapture,
  redactSecrets,
  snapshotsFromBundle,
} from '@l2scope/domain';
import { type TestDatabase, createTestDatabase, fixtureBumReport as labBumReport } from '@l2scope/testkit';
import { appRouter, createCallerFactory } from '../src';

/** The repository's root directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The records of a capture under fixtures/ (e.g. `lab2.jsonl`), parsed. */
export function fixtureRecords(name: string): ReturnType<typeof parseCapture>['records'] {
  return parseCapture(readFileSync(path.join(repoRoot, 'fixtures', name), 'utf8')).records;
}

/**
 * `host`'s BUM report as its node agent makes it (domain `BumMeter`), metered from a lab's real
 * underlay capture (fixtures/bum/<lab>/<host>-ul0.pcap) with the host's FDB of the same bundle.
 */
export const fixtureBumReport = (lab: string, host: string, vtep: string): BumReport => labBumReport(path.join(repoRoot, 'fixtures/bum', lab), host, vtep);

/** One AMQP message as the worker's tap or replay delivers it. */
export interface SeedDelivery {
  exchange: string;
  routingKey: string;
  properties?: AmqpProperties;
  body: Uint8Array;
  /** Epoch ms (default now). */
  receivedAt?: number;
}

export class Seeder {
  readonly model = new ClusterModel();
  readonly counters: Counters = { received: 0, undecodable: 0, dropped: 0, expired: 0 };
  /** Id of the last message committed. */
  seq = 0;

  private constructor(
    readonly db: Db,
    private readonly url: string,
  ) {}

  /** Migrate the database at `url` and open it. */
  static async open(url: string): Promise<Seeder> {
    await migrate(url);
    return new Seeder(await openDb(url), url);
  }

  /**
   * Ingest messages as one batch (decode, fold into the model, refs, redacted raw body, search
   * text), committed with the counters and seq. @returns the id of the last one
   */
  async ingest(deliveries: readonly SeedDelivery[]): Promise<number> {
    const batch: MessageRecord[] = deliveries.map((d) => {
      const id = ++this.seq;
      const delivery = {
        receivedAt: d.receivedAt ?? Date.now(),
        exchange: d.exchange,
        routingKey: d.routingKey,
        properties: d.properties ?? {},
        body: d.body,
        source: 'replay',
      };
      const result = decodeMessage(delivery);
      this.counters.received++;
      if (!result.ok) this.counters.undecodable++;
      // refs before the fold, as the worker's pipeline: a network_delete keeps the network's VNI
      const refs = messageRefs(result, (n) => this.model.vniOf(n));
      const changes = result.ok ? this.model.apply(result.message, delivery.receivedAt, id) : [];
      return {
        id,
        delivery,
        result,
        refs,
        raw: redactSecrets(d.body).body,
        rawTruncated: false,
        search: messageSearchText(d.exchange, d.routingKey, result, refs),
        changes,
      };
    });
    if (batch.length) await commitBatch(this.db, dbProvider(this.url), batch, { ...this.counters }, this.seq);
    return this.seq;
  }

  /** Analyse these hosts' snapshots against the model and store snapshots and analyses received at `at`, as the worker does after an analysis. */
  async nodes(snapshots: readonly FullNodeSnapshot[], at = new Date()): Promise<void> {
    const analysis = analyzeNodes({ model: this.model, snapshots: [...snapshots] });
    await saveNodeSnapshots(this.db, snapshots, at);
    await saveHostAnalyses(
      this.db,
      Object.entries(analysis.hosts)
        .filter(([, ha]) => ha.snapshot)
        .map(([host, ha]) => ({ host, driftCount: ha.drift.length, json: JSON.stringify(ha) })),
      at,
    );
  }

  /** Store BUM reports received at `at`, as the worker does (the latest per host and the history). */
  bum(reports: readonly BumReport[], at = new Date()): Promise<void> {
    return saveBumReports(this.db, reports, at);
  }

  close(): Promise<void> {
    return closeDb(this.db);
  }
}

/** A signed-in viewer, for callers made with `createCallerFactory` (no HTTP, no cookie). */
export const TEST_VIEWER = { id: 'test-viewer', name: 'test viewer', username: 'viewer', email: null, role: 'viewer', anonymous: false } as const;

const createCaller = createCallerFactory(appRouter);

/** A tRPC caller of `appRouter` (no HTTP, no cookie). */
export type Caller = ReturnType<typeof createCaller>;

/** A suite's seeded database and a viewer's caller on it (see {@link seededApi}). */
export interface SeededApi {
  db: TestDatabase;
  seed: Seeder;
  /** `appRouter` called as TEST_VIEWER on `seed.db`, from an untrusted origin. */
  api: Caller;
  /** Close the database client and drop the database. */
  close(): Promise<void>;
}

/** A fresh database (SQLite, or PostgreSQL with DATABASE_URL), migrated, filled by `fill`, and a viewer's caller on it. */
export async function seededApi(fill: (seed: Seeder) => Promise<void>): Promise<SeededApi> {
  const db = await createTestDatabase();
  const seed = await Seeder.open(db.url);
  await fill(seed);
  return {
    db,
    seed,
    api: createCaller({ db: seed.db, user: TEST_VIEWER, originTrusted: false }),
    close: async () => {
      await seed.close();
      await db.drop();
    },
  };
}

/**
 * lab3's real capture up to its step `1-ports-active` folded into the model, and the same step's
 * real kernel snapshots (its support bundle) analysed against it.
 */
export async function seedLab3Step1(seed: Seeder): Promise<void> {
  const step1 = Number.parseFloat(
    readFileSync(path.join(repoRoot, 'fixtures/lab3/events.tsv'), 'utf8')
      .split('\n')
      .find((l) => l.endsWith('snapshot 1-ports-active'))!
      .split('\t')[0]!,
  );
  await seed.ingest(fixtureRecords('lab3.jsonl').filter((r) => r.ts.getTime() <= step1 * 1000));
  const dir = path.join(repoRoot, 'fixtures/lab3/1-ports-active');
  const files = Object.fromEntries(
    readdirSync(dir)
      .filter((f) => statSync(path.join(dir, f)).isFile())
      .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]),
  );
  await seed.nodes(snapshotsFromBundle(files, { takenAt: Date.now() }).snapshots);
}
