/**
 * The model projection kept prepared in a reader's memory (the web server's `topology.snapshot` and
 * `topology.vteps`): read whole once, then brought up to date by folding the stored model changes
 * since its `seq` (`ModelChange`, written in the same transaction as the projection), as a browser
 * folds live batches. Reading a 1,000-host projection took the web server 2.9 s per request (perf
 * script, load 8, docs/fleet-view.md); the changes of a second of ingest are a few hundred rows.
 */
import { type ModelChange, type ModelSnapshot, applyModelChanges } from '@l2scope/domain';
import { type Db, readConsistent } from '../client';
import { readModelSnapshot } from './model-projection';

type Client = Pick<Db, 'host' | 'network' | 'vtepEntries' | 'modelState' | 'modelChange' | 'message'>;

/**
 * What tells a prepared model from the projection without reading it: the projection's `seq` and its
 * host-expiry marks. Expiry (`expireHosts`) changes the snapshot without a message, hence without a
 * model change to fold: any change of `expired` / `lastExpiredAt` means a whole read.
 */
export interface ModelVersion {
  /** `ModelState.seq`: the last message folded into the projection (0 when empty). */
  seq: number;
  /** Host rows marked expired. */
  expired: number;
  /** The newest expiry mark (epoch ms), null when none. */
  lastExpiredAt: number | null;
}

/** The projection's {@link ModelVersion}: one row and one aggregate over `Host` (plain reads, in `db`'s transaction if it is one). */
export async function readModelVersion(db: Pick<Db, 'host' | 'modelState'>): Promise<ModelVersion> {
  const [state, marks] = await Promise.all([
    db.modelState.findUnique({ where: { id: 1 } }),
    db.host.aggregate({ where: { expiredAt: { not: null } }, _count: { _all: true }, _max: { expiredAt: true } }),
  ]);
  return { seq: state ? Number(state.seq) : 0, expired: marks._count._all, lastExpiredAt: marks._max.expiredAt?.getTime() ?? null };
}

const sameMarks = (a: ModelVersion, b: ModelVersion) => a.expired === b.expired && a.lastExpiredAt === b.lastExpiredAt;
const sameVersion = (a: ModelVersion, b: ModelVersion) => a.seq === b.seq && sameMarks(a, b);

const payloadOf = (p: unknown): ModelChange => (typeof p === 'string' ? (JSON.parse(p) as ModelChange) : (p as ModelChange));

/** Options of a {@link PreparedModel}. */
export interface PreparedModelOptions {
  /**
   * Above this many stored changes since the prepared `seq`, read the projection whole instead of
   * folding them (default 20,000: about the row count of a 1,000-host, 300-network projection).
   */
  maxFold?: number;
}

/** How the last {@link PreparedModel.current} answered (for tests and logs). */
export type PreparedHow = 'kept' | 'folded' | 'read';

/**
 * The whole projection as a `ModelSnapshot` (the value of `readModelSnapshot(db)`, records in
 * another order), kept in memory and brought up to date on each {@link current} call: kept when
 * the {@link ModelVersion} is unchanged, the stored changes since its `seq` folded
 * (`applyModelChanges`) when only the `seq` moved, read whole otherwise. Concurrent calls share one
 * update. Memory: one snapshot (a 1,000-host, 300-network model is about 3.2 MB as JSON).
 * Snapshots returned are shared and must not be mutated.
 */
export class PreparedModel {
  private model: { version: ModelVersion; snapshot: ModelSnapshot } | null = null;
  private pending: Promise<ModelSnapshot> | null = null;
  private readonly maxFold: number;
  /** How the last update answered. */
  lastHow: PreparedHow | null = null;

  constructor(
    private readonly db: Client,
    opts: PreparedModelOptions = {},
  ) {
    this.maxFold = opts.maxFold ?? 20_000;
  }

  /**
   * The projection as of now (at least as new as the database's at the call).
   * @throws the driver's error (the prepared model stays as it was)
   */
  current(): Promise<ModelSnapshot> {
    // a call during an update waits for that one and then checks again: the update may have read
    // the database before this call's moment
    const run = (this.pending ?? Promise.resolve()).catch(() => undefined).then(() => this.update());
    const mine = run.finally(() => {
      if (this.pending === mine) this.pending = null;
    });
    this.pending = mine;
    return mine;
  }

  /**
   * Keep the model prepared in the background: {@link current} every `intervalMs` (an unref'd timer,
   * errors passed to `onError` and retried at the next tick), so a page's first request finds it
   * ready. Each tick costs two small reads, plus the fold of the changes stored since the last.
   * @returns stops the timer
   */
  keep(intervalMs = 1000, onError: (err: unknown) => void = () => {}): () => void {
    let busy = false;
    const tick = () => {
      if (busy) return;
      busy = true;
      this.current().then(
        () => (busy = false),
        (err: unknown) => {
          busy = false;
          onError(err);
        },
      );
    };
    tick();
    const timer = setInterval(tick, intervalMs);
    timer.unref?.();
    return () => clearInterval(timer);
  }

  private async update(): Promise<ModelSnapshot> {
    const held = this.model;
    const now = await readModelVersion(this.db);
    if (held && sameVersion(held.version, now)) {
      this.lastHow = 'kept';
      return held.snapshot;
    }
    if (held && sameMarks(held.version, now) && now.seq > held.version.seq) {
      const folded = await this.fold(held);
      if (folded) {
        this.model = folded;
        this.lastHow = 'folded';
        return folded.snapshot;
      }
    }
    const [version, snapshot] = await readConsistent(this.db, (tx) => Promise.all([readModelVersion(tx), readModelSnapshot(tx)]));
    this.model = { version, snapshot };
    this.lastHow = 'read';
    return snapshot;
  }

  /**
   * The stored changes after the held `seq`, folded; null when the marks moved meanwhile, there are
   * more than `maxFold`, or retention may have removed some of them: it deletes the messages up to its
   * cut and compacts their changes (`compactModelChanges` drops removals and superseded values), so a
   * fold is only whole when no message after the held `seq` is gone (the oldest stored message is at
   * most `seq + 1`; ids with gaps only make this answer "read whole" more often).
   */
  private async fold(held: { version: ModelVersion; snapshot: ModelSnapshot }) {
    return readConsistent(this.db, async (tx) => {
      const version = await readModelVersion(tx);
      if (!sameMarks(held.version, version)) return null;
      const oldest = (await tx.message.aggregate({ _min: { id: true } }))._min.id;
      if (oldest === null || oldest > BigInt(held.version.seq) + 1n) return null;
      const range = { messageId: { gt: BigInt(held.version.seq), lte: BigInt(version.seq) } };
      if ((await tx.modelChange.count({ where: range })) > this.maxFold) return null;
      const rows = await tx.modelChange.findMany({ where: range, orderBy: [{ messageId: 'asc' }, { idx: 'asc' }], select: { payload: true } });
      return {
        version,
        snapshot: applyModelChanges(
          held.snapshot,
          rows.map((r) => payloadOf(r.payload)),
          version.seq,
        ),
      };
    });
  }
}

// on globalThis: a bundler may give each entry (Next's route handlers, its instrumentation) a copy
// of this module, and they must share the one prepared model of the process's client
const registry = globalThis as typeof globalThis & { [k: symbol]: WeakMap<object, PreparedModel> | undefined };
const REGISTRY = Symbol.for('l2scope.preparedModels');

/** The process's {@link PreparedModel} of `db` (one per client, made on first use, shared by every copy of this module). */
export function preparedModelOf(db: Client): PreparedModel {
  const prepared = (registry[REGISTRY] ??= new WeakMap());
  let p = prepared.get(db);
  if (!p) prepared.set(db, (p = new PreparedModel(db)));
  return p;
}
