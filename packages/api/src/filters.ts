/**
 * The inspector's filters as a tRPC input schema. Shared by `messages.list` and the JSONL export
 * (`apps/web` `/api/export`); packages/db turns them into one keyset query (`messagePageSql`).
 */
import type { MessageFilter as StoredMessageFilter } from '@l2scope/db';
import { z } from 'zod';

export const messageFilterSchema = z.object({
  /** Exact oslo method; "undecodable" selects messages that failed to decode. */
  method: z.string().min(1).optional(),
  /** Network UUID. */
  network: z.string().min(1).optional(),
  /** Message kind: fdb | update_fdb | report_state | network_delete | other | undecodable. */
  kind: z.enum(['fdb', 'update_fdb', 'report_state', 'network_delete', 'other', 'undecodable']).optional(),
  vni: z.number().int().nonnegative().optional(),
  /** Host name (target of a host-directed cast, or the reporting agent). */
  host: z.string().min(1).optional(),
  vtep: z.string().min(1).optional(),
  /** Free text, matched case-insensitively against method, keys, MACs, IPs, hosts and errors. */
  text: z.string().trim().max(200).optional(),
  /** Received at or after (epoch ms). */
  since: z.number().int().nonnegative().optional(),
  /** Received before (epoch ms). */
  until: z.number().int().nonnegative().optional(),
  /** Only messages with id < before (paging, newest first). */
  before: z.number().int().positive().optional(),
  /** Only messages with id > after (catching up after a live burst). */
  after: z.number().int().nonnegative().optional(),
}) satisfies z.ZodType<StoredMessageFilter>;

export type MessageFilter = z.infer<typeof messageFilterSchema>;
