/** `toggle.cancel`: cancel jobs that have not started (`planned` or `approved`). */
import { z } from 'zod';
import { jobOutputSchema, jobSelectionSchema } from '../../schemas/toggle';

export const ZToggleCancelInput = jobSelectionSchema;

export const ZToggleCancelOutput = z.object({
  cancelled: z.array(jobOutputSchema),
  /** jobs not cancelled: already running or final */
  skipped: z.array(z.object({ id: z.string(), reason: z.string() })),
});
