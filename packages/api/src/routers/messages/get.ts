import { TRPCError } from '@trpc/server';
import { messageDetail } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZMessagesGetInput, ZMessagesGetOutput } from './get.types';

/** One message: summary, decoded tree, AMQP properties, raw body. NOT_FOUND for an unknown (or pruned) id. */
export const messagesGet = viewerProcedure
  .input(ZMessagesGetInput)
  .output(ZMessagesGetOutput)
  .query(async ({ ctx, input }) => {
    const m = await messageDetail(ctx.db, input.id);
    if (!m) throw new TRPCError({ code: 'NOT_FOUND', message: `no message ${input.id}` });
    return m;
  });
