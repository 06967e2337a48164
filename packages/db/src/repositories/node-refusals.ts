/**
 * Refused node messages per reason (docs/rabbitmq.md#refusals): the worker's monotonic totals of
 * `host_mismatch`, `stale`, `oversize` and `invalid`, kept as Counter rows named
 * `node_refused_<reason>`. Written by the worker with its throttled node-state write; read back on
 * start and by `nodes.overview`.
 */
import { NODE_REFUSAL_REASONS, type NodeRefusals, noRefusals } from '@l2scope/domain';
import type { Db } from '../client';

const rowName = (reason: string) => `node_refused_${reason}`;
const ROW_NAMES = NODE_REFUSAL_REASONS.map(rowName);

/** The stored refusal totals (0 for a reason never written). */
export async function readNodeRefusals(db: Pick<Db, 'counter'>): Promise<NodeRefusals> {
  const rows = await db.counter.findMany({ where: { name: { in: ROW_NAMES } } });
  const out = noRefusals();
  for (const reason of NODE_REFUSAL_REASONS) {
    const row = rows.find((r) => r.name === rowName(reason));
    if (row) out[reason] = Number(row.value);
  }
  return out;
}

/** Store the refusal totals, one transaction. */
export async function writeNodeRefusals(db: Pick<Db, 'counter' | '$transaction'>, refusals: NodeRefusals): Promise<void> {
  await db.$transaction(
    NODE_REFUSAL_REASONS.map((reason) => {
      const name = rowName(reason);
      const value = BigInt(refusals[reason]);
      return db.counter.upsert({ where: { name }, create: { name, value }, update: { value } });
    }),
  );
}
