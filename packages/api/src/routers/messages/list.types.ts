/** `messages.list`: the inspector's filters and a page size; a page of rows, newest first. */
import { z } from 'zod';
import { MESSAGE_PAGE_MAX } from '@l2scope/db';
import { messageFilterSchema } from '../../filters';
import { messageSummarySchema } from '../../schemas/messages';

export const ZMessagesListInput = messageFilterSchema.extend({ limit: z.number().int().min(1).max(MESSAGE_PAGE_MAX).default(200) });

export const ZMessagesListOutput = z.object({
  items: z.array(messageSummarySchema),
  /** Pass as `before` for the next page; null on the last page and when paging with `after`. */
  nextCursor: z.number().int().nullable(),
});
