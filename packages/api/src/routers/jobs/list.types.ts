/** `jobs.list`: toggle jobs, newest first, by host, states or batch; at most 1,000 (default 100). */
import { JOB_STATES } from '@l2scope/domain';
import { z } from 'zod';
import { hostNameSchema, jobIdSchema, jobOutputSchema } from '../../schemas/toggle';

export const ZJobsListInput = z
  .object({
    host: hostNameSchema.optional(),
    states: z.array(z.enum(JOB_STATES)).min(1).max(JOB_STATES.length).optional(),
    batchId: jobIdSchema.optional(),
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .default({ limit: 100 });

export const ZJobsListOutput = z.array(jobOutputSchema);
