/** `stats.get`: no input; the worker's counters, seq and tap gaps as persisted. */
import { z } from 'zod';

export const ZStatsGetInput = z.void();

const count = z.number().int().nonnegative();

export const ZStatsGetOutput = z.object({
  /** Messages received since the database was created. */
  received: count,
  undecodable: count,
  /** Dropped by the broker from the full tap queue. */
  dropped: count,
  /** Expired in the tap queue (TTL). */
  expired: count,
  /** Id of the last message folded into the model projection. */
  seq: count,
  /** The 20 most recent tap disconnections, newest first (ISO-8601; `endedAt` null while open). */
  gaps: z.array(z.object({ id: z.number().int(), startedAt: z.string(), endedAt: z.string().nullable(), reason: z.string() })),
});
