import { TRPCError } from '@trpc/server';
import { readNodeNetworkAt } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZHistoryNetworkInput, ZHistoryNetworkOutput } from './network.types';

/** One network's flood lists and findings as of `at` (the topology's flood edges under the time slider). NOT_FOUND for a network the model never saw. */
export const historyNetwork = viewerProcedure
  .input(ZHistoryNetworkInput)
  .output(ZHistoryNetworkOutput)
  .query(async ({ ctx, input }) => {
    const view = await readNodeNetworkAt(ctx.db, input.network, new Date(input.at));
    if (!view) throw new TRPCError({ code: 'NOT_FOUND', message: `no network ${input.network}` });
    return view;
  });
