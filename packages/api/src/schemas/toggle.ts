/**
 * Schemas shared by the toggle, jobs and audit procedures: how a request names jobs (ids or a
 * batch), a job as returned (`ToggleJobView`, the domain's), and an audit entry on the wire.
 */
import type { AuditEntry } from '@l2scope/db';
import { toggleJobViewSchema } from '@l2scope/domain';
import { z } from 'zod';

/** A job id as the API accepts it (the domain's job ids: letters, digits, `_`, `.`, `-`). */
export const jobIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w.-]+$/);

/** A Neutron host name (the agent's `host`), bounded. */
export const hostNameSchema = z.string().min(1).max(255);

/**
 * Which jobs a request acts on: `{jobIds}` (1 to 1,000 ids) or `{batchId}` (every job of a batch,
 * e.g. a network's hosts).
 */
export const jobSelectionSchema = z.union([z.object({ jobIds: z.array(jobIdSchema).min(1).max(1000) }).strict(), z.object({ batchId: jobIdSchema }).strict()]);
/** `{jobIds}` or `{batchId}`. */
export type JobSelection = z.infer<typeof jobSelectionSchema>;

/** A toggle job as returned: the domain's `ToggleJobView`, validated. */
export const jobOutputSchema = toggleJobViewSchema;

/**
 * One audit entry on the wire (`AuditEntry` of @l2scope/db with `at` as ISO 8601): `seq` (1, 2,
 * ...), `actor` (user name, or `worker`), `action` (`toggle.requested`, `toggle.approved`, ...),
 * `target` (host), `jobId`, `detail` (what changed), `origin` (the request's Origin), `prevHash`
 * and `hash` (hex sha256 of the chain, docs/toggles.md#audit).
 */
export const auditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  jobId: z.string().nullable(),
  detail: z.unknown(),
  origin: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
});
/** One audit entry on the wire. */
export type AuditEntryWire = z.infer<typeof auditEntrySchema>;

/** An `AuditEntry` of @l2scope/db (`listAudit`) on the wire (`at` as ISO 8601). */
export function auditEntryWire(e: AuditEntry): AuditEntryWire {
  return { ...e, at: e.at.toISOString(), detail: e.detail ?? null };
}
