import { TRPCError } from '@trpc/server';
import { readNodeHostAt } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZHistoryHostInput, ZHistoryHostOutput } from './host.types';

/** One host as of `at`: what l2pop had told it, what it held, the drift between them (the time slider's host page). NOT_FOUND when nothing knew it at T. */
export const historyHost = viewerProcedure
  .input(ZHistoryHostInput)
  .output(ZHistoryHostOutput)
  .query(async ({ ctx, input }) => {
    const view = await readNodeHostAt(ctx.db, input.host, new Date(input.at));
    if (!view) throw new TRPCError({ code: 'NOT_FOUND', message: `no host ${input.host} at ${input.at}` });
    return view;
  });
