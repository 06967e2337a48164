import { listMessages } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZMessagesListInput, ZMessagesListOutput } from './list.types';

/** Newest first, `limit` per page; page on with `before = nextCursor`; `after` catches up oldest first (returned newest first). */
export const messagesList = viewerProcedure
  .input(ZMessagesListInput)
  .output(ZMessagesListOutput)
  .query(({ ctx, input }) => listMessages(ctx.db, input));
