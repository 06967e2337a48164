/**
 * TapGap rows: periods the worker's AMQP tap was disconnected from the broker (messages published
 * then were not seen). Opened on a disconnect, closed on the reconnect.
 */
import type { TapGapView } from '@l2scope/domain';
import type { TapGap } from '../generated/sqlite/client';
import type { Db } from '../client';

type Client = Pick<Db, 'tapGap'>;

/** A TapGap row as the header lists it (times ISO-8601, `endedAt` null while open). */
export function tapGapView(g: TapGap): TapGapView {
  return { id: g.id, startedAt: g.startedAt.toISOString(), endedAt: g.endedAt?.toISOString() ?? null, reason: g.reason };
}

/**
 * Open a gap at `startedAt` (epoch ms) for `reason` (the connection error).
 * @returns the gap's id, to close it
 */
export async function openTapGap(db: Client, startedAt: number, reason: string): Promise<number> {
  const row = await db.tapGap.create({ data: { startedAt: new Date(startedAt), reason } });
  return row.id;
}

/** Close gap `id` at `endedAt` (epoch ms). Throws when there is no such gap. */
export async function closeTapGap(db: Client, id: number, endedAt: number): Promise<void> {
  await db.tapGap.update({ where: { id }, data: { endedAt: new Date(endedAt) } });
}

/** The `limit` most recent gaps, newest first. */
export async function recentTapGaps(db: Client, limit = 20): Promise<TapGapView[]> {
  const rows = await db.tapGap.findMany({ orderBy: { id: 'desc' }, take: limit });
  return rows.map(tapGapView);
}
