/**
 * History: the model and the findings as of a past time T, read from what the worker stored (every
 * model change, `ModelChange`; every finding from first seen to resolved, `Finding`). The model
 * as of T is, for each record (host, network, VTEP entries on a network), the last change stored at
 * or before T, unless that change removed it. Retention keeps that last change of every record
 * while it deletes older history ({@link compactModelChanges}), so the answer is exact for any T
 * after the oldest retained message; before it, {@link historyBounds} says what is left.
 */
import { Prisma } from '../generated/sqlite/client';
import type { FindingView, ModelChange, ModelSnapshot } from '@l2scope/domain';
import { applyModelChanges } from '@l2scope/domain';
import { type Db, readConsistent } from '../client';
import { findingView } from './findings';

type Client = Pick<Db, 'modelChange' | 'finding' | 'message' | '$queryRaw' | '$executeRaw'>;

/** The record family of a change type: `host` / `host_removed` share the key of one host, and so on. */
const FAMILY = Prisma.sql`CASE WHEN "type" LIKE 'host%' THEN 1 WHEN "type" LIKE 'network%' THEN 2 ELSE 3 END`;

/** What the stored history covers (ISO-8601), null when nothing is stored. */
export interface HistoryBounds {
  /** The oldest retained message's receive time: the model as of any later T is exact. */
  from: string | null;
  /** The newest stored model change. */
  to: string | null;
}

/** The span {@link readModelAt} answers exactly: from the oldest retained message to the newest change. */
export async function historyBounds(db: Pick<Db, 'modelChange' | 'message'>): Promise<HistoryBounds> {
  const [oldest, newest] = await Promise.all([
    db.message.findFirst({ orderBy: { id: 'asc' }, select: { receivedAt: true } }),
    db.modelChange.findFirst({ orderBy: [{ messageId: 'desc' }, { idx: 'desc' }], select: { at: true } }),
  ]);
  return { from: oldest?.receivedAt.toISOString() ?? null, to: newest?.at.toISOString() ?? null };
}

const payloadOf = (p: unknown): ModelChange => (typeof p === 'string' ? (JSON.parse(p) as ModelChange) : (p as ModelChange));

/**
 * The model as of `at`: per record, the last stored change at or before it (changes are absolute,
 * so that change is the record's value; a `*_removed` change means absent). One statement with a
 * window over the changes up to `at`, read in one consistent snapshot.
 * @returns a snapshot whose `seq` is the id of the last message at or before `at` that changed the model (0: none)
 */
export async function readModelAt(db: Client, at: Date): Promise<ModelSnapshot> {
  return readConsistent(db, async (tx) => {
    const last = await tx.modelChange.findFirst({
      where: { at: { lte: at } },
      orderBy: [{ at: 'desc' }, { messageId: 'desc' }],
      select: { messageId: true },
    });
    if (!last) return { seq: 0, hosts: [], networks: [], vteps: [] };
    const rows = await tx.$queryRaw<{ payload: unknown }[]>(Prisma.sql`
      SELECT "payload" FROM (
        SELECT "payload", "type", ROW_NUMBER() OVER (PARTITION BY ${FAMILY}, "key" ORDER BY "messageId" DESC, "idx" DESC) AS "rn"
        FROM "ModelChange" WHERE "messageId" <= ${last.messageId}
      ) AS "latest"
      WHERE "rn" = 1 AND "type" NOT LIKE '%_removed'`);
    return applyModelChanges(
      { seq: 0, hosts: [], networks: [], vteps: [] },
      rows.map((r) => payloadOf(r.payload)),
      Number(last.messageId),
    );
  });
}

/**
 * The findings open at `at`: first seen at or before it and not resolved by then (the row as it
 * is now: an open finding's hosts and detail follow the latest analysis), newest first, at most
 * `take`; only the findings of `network` when given.
 */
export async function readFindingsAt(
  db: Pick<Db, 'finding'>,
  at: Date,
  take = 500,
  network?: string,
): Promise<(FindingView & { resolvedAt: string | null })[]> {
  const rows = await db.finding.findMany({
    where: { firstSeenAt: { lte: at }, OR: [{ resolvedAt: null }, { resolvedAt: { gt: at } }], ...(network === undefined ? {} : { network }) },
    orderBy: { firstSeenAt: 'desc' },
    take,
  });
  return rows.map(findingView);
}

/**
 * Retention's part of history: delete the model changes of messages up to `upTo` except, per
 * record, the last one up to `upTo` (when it did not remove the record), which is the record's value
 * from then until its next change. What is kept is bounded by the records the model holds. Meant for the batch
 * transaction that deletes those messages (a Prisma promise: it runs when awaited or batched).
 * @returns rows deleted
 */
export function compactModelChanges(db: Pick<Db, '$executeRaw'>, upTo: bigint): Prisma.PrismaPromise<number> {
  return db.$executeRaw(Prisma.sql`
    DELETE FROM "ModelChange" WHERE "messageId" <= ${upTo} AND (
      "type" LIKE '%_removed' OR EXISTS (
        SELECT 1 FROM "ModelChange" AS "n"
        WHERE "n"."key" = "ModelChange"."key" AND "n"."messageId" <= ${upTo}
          AND (CASE WHEN "n"."type" LIKE 'host%' THEN 1 WHEN "n"."type" LIKE 'network%' THEN 2 ELSE 3 END)
            = (CASE WHEN "ModelChange"."type" LIKE 'host%' THEN 1 WHEN "ModelChange"."type" LIKE 'network%' THEN 2 ELSE 3 END)
          AND ("n"."messageId" > "ModelChange"."messageId" OR ("n"."messageId" = "ModelChange"."messageId" AND "n"."idx" > "ModelChange"."idx"))
      )
    )`);
}
