/**
 * The worker's unit of write: one batch of ingested messages committed in ONE transaction with
 * everything derived from it (refs, model changes, the model projection, the L3 agents, the
 * counters, the model's seq), so the database never holds a message without its effect on the model or the reverse.
 */
import type { Db } from '../client';
import type { DbProvider } from '../config';
import { writeTransaction } from '../sql-tx';
import { type Counters, replaceCounters } from './counters';
import { writeL3Agents } from './l3-agents';
import { type MessageRecord, insertMessages } from './messages';
import { writeModelChanges, writeModelSeqTx } from './model-projection';

/**
 * Commit a batch: its messages (with refs and model changes), the projection updated by those
 * changes, the L3 agents that reported in it, the counters as they are after it, and `seq` (the id of its last message).
 * Messages already stored under the same delivery identity (a redelivery) are skipped
 * (`insertMessages`); their model changes are not folded into the projection a second time.
 * Throws the driver's error; nothing of the batch is stored then.
 * @returns the ids of the messages skipped as duplicates
 */
export async function commitBatch(db: Db, provider: DbProvider, batch: readonly MessageRecord[], counters: Counters, seq: number): Promise<number[]> {
  return writeTransaction(db, provider, async (tx) => {
    const duplicates = await insertMessages(tx, batch);
    const skipped = new Set(duplicates);
    const fresh = batch.filter((m) => !skipped.has(m.id));
    await writeModelChanges(
      tx,
      fresh.flatMap((m) => m.changes),
    );
    await writeL3Agents(tx, fresh);
    await replaceCounters(tx, counters);
    await writeModelSeqTx(tx, seq);
    return duplicates;
  });
}

/** A minimal round trip (`SELECT 1`): resolves when the database is reachable, else throws the driver's error. */
export async function probeDb(db: Pick<Db, '$queryRawUnsafe'>): Promise<void> {
  await db.$queryRawUnsafe('SELECT 1');
}
