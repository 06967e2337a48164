/** Output schemas of the message inspector. */
import type { MessageSummary } from '@l2scope/domain';
import { z } from 'zod';

/** One inspector row (domain `MessageSummary`, built by `summarizeMessage`). */
export const messageSummarySchema: z.ZodType<MessageSummary> = z.object({
  /** Worker-assigned message id (also the model seq). */
  id: z.number().int(),
  /** ISO-8601 receive time. */
  receivedAt: z.string(),
  exchange: z.string(),
  routingKey: z.string(),
  /** oslo method, null when undecodable before the method. */
  method: z.string().nullable(),
  kind: z.enum(['fdb', 'update_fdb', 'report_state', 'network_delete', 'dvr', 'other', 'undecodable']),
  /** `fanout`, the host of a host-directed cast, or null. */
  target: z.string().nullable(),
  ok: z.boolean(),
  /** `<reason>: <message>` when undecodable. */
  error: z.string().nullable(),
  /** Body size in bytes. */
  size: z.number().int(),
  /** `amqp` or `replay`. */
  source: z.string(),
  networks: z.array(z.string()),
  vnis: z.array(z.number().int()),
  vteps: z.array(z.string()),
  hosts: z.array(z.string()),
});
