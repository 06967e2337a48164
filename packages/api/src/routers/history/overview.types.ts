/** `history.overview`: the overview's host lines and drift totals as of a past time T (db `readNodesOverviewAt`). */
import { z } from 'zod';
import { driftCountsSchema, hostConvergenceSchema, hostSummarySchema } from '../../schemas/nodes';
import { ZNodesOverviewOutput } from '../nodes/overview.types';

export const ZHistoryOverviewInput = z.object({
  /** T, ISO-8601 with a zone. */
  at: z.iso.datetime({ offset: true }),
});

/**
 * `nodes.overview`'s `hosts`, `driftTotals`, `convergence` and `bum` as of T, from the stored
 * analyses (`HostAnalysisHistory`: per host, its last analysis at or before T), convergence samples
 * (seen by T; kept 24 h by default) and BUM reports (`BumHistory`: per host, its last report
 * received at or before T). No tracker counts (pending, timed out); the findings of T are `history.at`'s.
 */
export const ZHistoryOverviewOutput = z.object({
  /** T (ISO-8601). */
  at: z.string(),
  /** Every host with an analysis at or before T, by host name. */
  hosts: z.array(hostSummarySchema),
  /** Drift items of those hosts per class. */
  driftTotals: driftCountsSchema,
  /** Lag figures per host over its last 256 samples seen by T (pending / timed out: 0, not kept as history), in the order of `hosts`. */
  convergence: z.array(hostConvergenceSchema),
  /** Per host, its last valid BUM report received at or before T, by host name (`nodes.overview`'s shape). */
  bum: ZNodesOverviewOutput.shape.bum,
});
