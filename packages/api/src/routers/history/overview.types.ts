/** `history.overview`: the overview's host lines and drift totals as of a past time T (db `readNodesOverviewAt`). */
import { z } from 'zod';
import { driftCountsSchema, hostSummarySchema } from '../../schemas/nodes';

export const ZHistoryOverviewInput = z.object({
  /** T, ISO-8601 with a zone. */
  at: z.iso.datetime({ offset: true }),
});

/**
 * `nodes.overview`'s `hosts` and `driftTotals` as of T, from the stored analyses
 * (`HostAnalysisHistory`): per host, its last analysis at or before T. No convergence figures nor
 * BUM reports (not kept as history); the findings of T are `history.at`'s.
 */
export const ZHistoryOverviewOutput = z.object({
  /** T (ISO-8601). */
  at: z.string(),
  /** Every host with an analysis at or before T, by host name. */
  hosts: z.array(hostSummarySchema),
  /** Drift items of those hosts per class. */
  driftTotals: driftCountsSchema,
});
