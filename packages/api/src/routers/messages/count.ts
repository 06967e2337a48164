import { clientProvider, countMessages } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZMessagesCountInput, ZMessagesCountOutput } from './count.types';

/** "N of M": messages matching the filters (bounded: 10,000 and more reads `capped`) out of those stored. */
export const messagesCount = viewerProcedure
  .input(ZMessagesCountInput)
  .output(ZMessagesCountOutput)
  .query(({ ctx, input }) => countMessages(ctx.db, clientProvider(ctx.db), input));
