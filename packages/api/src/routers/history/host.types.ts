/** `history.host`: one host as of a past time T, told next to held (db `readNodeHostAt`). */
import { z } from 'zod';
import { ZNodesHostOutput } from '../nodes/host.types';

export const ZHistoryHostInput = z.object({
  host: z.string().min(1).max(255),
  /** T, ISO-8601 with a zone. */
  at: z.iso.datetime({ offset: true }),
});

/**
 * The host page's shape (`nodes.host`) as of T: the model's view and told rows of T, the last
 * stored snapshot and analysis at or before T, the findings naming it open at T, its 50 newest
 * convergence samples seen by T, its last BUM report received at or before T (`BumHistory`).
 */
export const ZHistoryHostOutput = ZNodesHostOutput.extend({
  /** T (ISO-8601). */
  at: z.string(),
  /** When the snapshot shown was received: the host's last held change at or before T (ISO-8601); null without one. */
  snapshotReceivedAt: z.string().nullable(),
});
