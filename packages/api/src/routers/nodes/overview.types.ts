/** `nodes.overview`: no input; the cloud overview of the node view. */
import { type BumReport, NODE_REFUSAL_REASONS, type NodeRefusalReason } from '@l2scope/domain';
import { z } from 'zod';
import { domainValue } from '../../schemas/domain';
import { driftCountsSchema, hostConvergenceSchema, hostSummarySchema, listedFindingSchema } from '../../schemas/nodes';

export const ZNodesOverviewInput = z.void();

export const ZNodesOverviewOutput = z.object({
  /** Every host with an analysis, by host name. */
  hosts: z.array(hostSummarySchema),
  /** Drift items of all hosts per class. */
  driftTotals: driftCountsSchema,
  /** Open findings, oldest first. */
  findings: z.array(listedFindingSchema),
  /** The 20 most recently resolved, newest first. */
  resolvedFindings: z.array(listedFindingSchema),
  /** Lag figures per host over its last 256 samples (pending / timed out: 0, the worker's memory only). */
  convergence: z.array(hostConvergenceSchema),
  /** Latest valid BUM report per host, by host name. */
  bum: z.array(z.object({ host: z.string(), report: domainValue<BumReport>('BumReport (domain node/bum), validated by bumReportSchema in packages/db') })),
  /** Node messages the worker refused, per reason (totals since the database was created; docs/rabbitmq.md#refusals). */
  refused: z.object(Object.fromEntries(NODE_REFUSAL_REASONS.map((r) => [r, z.number().int().nonnegative()])) as Record<NodeRefusalReason, z.ZodNumber>),
});
