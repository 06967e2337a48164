/**
 * `toggle.approve`: approve planned jobs (`{jobIds}` or `{batchId}`), with the password when the
 * sign-in is older than 5 minutes (step-up). All or nothing: every selected job must be `planned`
 * with an applicable plan.
 */
import { z } from 'zod';
import { jobOutputSchema, jobSelectionSchema } from '../../schemas/toggle';

export const ZToggleApproveInput = z.intersection(jobSelectionSchema, z.object({ password: z.string().min(1).max(256).optional() }));

export const ZToggleApproveOutput = z.object({
  /** the jobs now `approved`, in the order selected */
  approved: z.array(jobOutputSchema),
  /** jobs that changed state between the check and the approval (another request, the worker), with their state then */
  skipped: z.array(z.object({ id: z.string(), reason: z.string() })),
});
