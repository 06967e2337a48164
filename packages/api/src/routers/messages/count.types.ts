/** `messages.count`: the inspector's filters; how many messages match, out of how many stored. */
import { z } from 'zod';
import { messageFilterSchema } from '../../filters';

export const ZMessagesCountInput = messageFilterSchema.omit({ before: true, after: true }).default({});

export const ZMessagesCountOutput = z.object({
  /** Messages matching the filters, counted up to the cap (`capped`: more than that match). */
  matching: z.number().int().nonnegative(),
  capped: z.boolean(),
  /** Messages stored: exact, or PostgreSQL's estimate when `estimated` (past 100,000 rows). */
  stored: z.number().int().nonnegative(),
  /** `stored` (and, without a filter, `matching`) is an estimate: the UI says "about". */
  estimated: z.boolean(),
});
