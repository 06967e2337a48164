/**
 * Export of the inspector's filtered messages as a capture file (JSONL, the fixtures' shape:
 * re-readable by `l2scope decode` and `--replay`). Streams in pages, oldest first.
 */
import type { Db } from '@l2scope/db';
import { type AmqpProperties, toCaptureLine } from '@l2scope/domain';
import { type MessageFilter, messageWhere } from './filters';

/**
 * Yield capture lines (each ending in "\n") for the messages matching `filter`, oldest first.
 * @param max stop after this many messages
 */
export async function* exportCaptureLines(db: Db, filter: MessageFilter, max = 1_000_000): AsyncGenerator<string> {
  let after = filter.after ?? 0;
  let n = 0;
  for (;;) {
    const rows = await db.message.findMany({
      where: messageWhere({ ...filter, after }),
      orderBy: { id: 'asc' },
      take: Math.min(500, max - n),
      select: { id: true, receivedAt: true, exchange: true, routingKey: true, properties: true, raw: true },
    });
    for (const r of rows) {
      yield `${toCaptureLine({ ts: r.receivedAt, exchange: r.exchange, routingKey: r.routingKey, properties: r.properties as AmqpProperties, body: r.raw })}\n`;
    }
    n += rows.length;
    if (rows.length === 0 || n >= max) return;
    after = Number(rows[rows.length - 1]!.id);
  }
}
