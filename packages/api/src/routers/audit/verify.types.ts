/** `audit.verify`: recompute the audit log's hash chain; where it breaks, if it does. */
import { z } from 'zod';

export const ZAuditVerifyInput = z.void();

export const ZAuditVerifyOutput = z.union([
  z.object({ ok: z.literal(true), entries: z.number().int() }),
  /** `seq`: the first entry whose hash or link does not match; `reason` says which */
  z.object({ ok: z.literal(false), entries: z.number().int(), seq: z.number().int(), reason: z.string() }),
]);
