/** `audit.list`: audit entries, newest first, optionally one job's; pages by `beforeSeq`. */
import { z } from 'zod';
import { auditEntrySchema, jobIdSchema } from '../../schemas/toggle';

export const ZAuditListInput = z
  .object({
    jobId: jobIdSchema.optional(),
    limit: z.number().int().min(1).max(1000).default(100),
    /** entries with a smaller seq only (the next page) */
    beforeSeq: z.number().int().min(1).optional(),
  })
  .default({ limit: 100 });

export const ZAuditListOutput = z.array(auditEntrySchema);
