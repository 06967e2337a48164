/** `nodes.host`: a host name; what l2pop told it next to what it holds. */
import { type BumReport, type FullNodeSnapshot, type HostAnalysis, type HostNetworkFdb, type HostView, L3_AGENT_MODES } from '@l2scope/domain';
import { z } from 'zod';
import { domainValue } from '../../schemas/domain';
import { listedFindingSchema } from '../../schemas/nodes';

export const ZNodesHostInput = z.object({ host: z.string().min(1) });

export const ZNodesHostOutput = z.object({
  host: z.string(),
  /** The model's view of the host, null when the model does not know it. */
  view: domainValue<HostView>('HostView (domain model)').nullable(),
  /** The host's L3 agent from its own report_state (never part of `view`); null when none reported. Times in epoch ms. */
  l3Agent: z
    .object({
      host: z.string(),
      binary: z.string(),
      agentMode: z.enum(L3_AGENT_MODES).nullable(),
      startedAt: z.number().nullable(),
      lastReportAt: z.number(),
    })
    .nullable(),
  analysis: domainValue<HostAnalysis>('HostAnalysis (domain node/analysis), as the worker stored it').nullable(),
  /** ISO-8601 time of the analysis. */
  analysedAt: z.string().nullable(),
  snapshot: domainValue<FullNodeSnapshot>('FullNodeSnapshot (domain node/snapshot), validated by parseNodeSnapshot in packages/db').nullable(),
  /** What the server told the host, per network. */
  told: z.array(domainValue<HostNetworkFdb>('HostNetworkFdb (domain model-query, toldFdbOf)')),
  /** Its 50 newest convergence samples, newest first (ISO-8601 times, lag in ms). */
  convergence: z.array(
    z.object({
      messageId: z.number().int(),
      network: z.string(),
      vtep: z.string(),
      mac: z.string(),
      change: z.string(),
      castAt: z.string(),
      seenAt: z.string(),
      lagMs: z.number().int(),
    }),
  ),
  bum: domainValue<BumReport>('BumReport (domain node/bum), validated by bumReportSchema in packages/db').nullable(),
  /** Open findings naming the host. */
  findings: z.array(listedFindingSchema),
});
