/** `history.network`: `nodes.network` as of a past time T (db `readNodeNetworkAt`). */
import { z } from 'zod';
import { ZNodesNetworkOutput } from '../nodes/network.types';

export const ZHistoryNetworkInput = z.object({
  network: z.string().min(1),
  /** T, ISO-8601 with a zone. */
  at: z.iso.datetime({ offset: true }),
});

/**
 * `nodes.network`'s shape as of T: per host, the network's flood list and drift items from its last
 * analysis at or before T (`HostAnalysisHistory`) and `bum` its last BUM report received at or
 * before T (`BumHistory`); the network's findings open at T; `deletedAt` null when the network still lived at T.
 */
export const ZHistoryNetworkOutput = ZNodesNetworkOutput;
