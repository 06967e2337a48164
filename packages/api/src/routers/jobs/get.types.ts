/** `jobs.get`: one toggle job with its plan, steps and evidence. */
import { z } from 'zod';
import { jobIdSchema, jobOutputSchema } from '../../schemas/toggle';

export const ZJobsGetInput = z.object({ id: jobIdSchema });

export const ZJobsGetOutput = jobOutputSchema;
