/**
 * Counter rows: the worker's monotonic message counters since the database was created
 * (`received`, `undecodable`, `dropped` by the broker's bounded tap queue, `expired` there by TTL).
 * Written with every committed batch and on stop; read back on start and by the dashboard.
 */
import type { TapGapView } from '@l2scope/domain';
import type { Db } from '../client';
import type { SqlTx } from '../sql-tx';
import { readModelSeq } from './model-projection';
import { recentTapGaps } from './tap-gaps';

/** The persisted counters (message counts). */
export interface Counters {
  received: number;
  undecodable: number;
  dropped: number;
  expired: number;
}

/** The names of the {@link Counters} rows. */
export const COUNTER_NAMES = ['received', 'undecodable', 'dropped', 'expired'] as const;

type Client = Pick<Db, 'counter'>;

/** The stored counters (0 for a counter never written). */
export async function readCounters(db: Client): Promise<Counters> {
  const rows = await db.counter.findMany();
  const c: Counters = { received: 0, undecodable: 0, dropped: 0, expired: 0 };
  for (const r of rows) if ((COUNTER_NAMES as readonly string[]).includes(r.name)) c[r.name as keyof Counters] = Number(r.value);
  return c;
}

/**
 * Replace the counters inside the batch's write transaction (`writeTransaction`): one upsert per
 * counter, prepared once.
 */
export async function replaceCounters(tx: SqlTx, counters: Counters): Promise<void> {
  const sql =
    tx.provider === 'postgresql'
      ? 'INSERT INTO "Counter" ("name", "value") VALUES ($1, $2) ON CONFLICT ("name") DO UPDATE SET "value" = excluded."value"'
      : 'INSERT INTO "Counter" ("name", "value") VALUES (?, ?) ON CONFLICT ("name") DO UPDATE SET "value" = excluded."value"';
  await tx.runEach(
    sql,
    COUNTER_NAMES.map((name) => [name, BigInt(counters[name])]),
  );
}

/** Store the counters alone, in one transaction (drop and expiry counts arrive outside message batches). */
export async function writeCounters(db: Client & Pick<Db, '$transaction'>, counters: Counters): Promise<void> {
  await db.$transaction(
    COUNTER_NAMES.map((name) => {
      const value = BigInt(counters[name]);
      return db.counter.upsert({ where: { name }, create: { name, value }, update: { value } });
    }),
  );
}

/** What the header shows of the worker when read from the database: counters, the model's seq, recent tap gaps. */
export interface PersistedStats extends Counters {
  /** Id of the last message folded into the model projection (0 when empty). */
  seq: number;
  /** The 20 most recent tap gaps, newest first. */
  gaps: TapGapView[];
}

/** The worker's counters, `seq` and recent tap gaps as persisted. */
export async function readPersistedStats(db: Pick<Db, 'counter' | 'modelState' | 'tapGap'>): Promise<PersistedStats> {
  const [counters, gaps, seq] = await Promise.all([readCounters(db), recentTapGaps(db, 20), readModelSeq(db)]);
  return { ...counters, seq, gaps };
}
