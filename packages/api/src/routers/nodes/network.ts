import { TRPCError } from '@trpc/server';
import { readNodeNetwork } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZNodesNetworkInput, ZNodesNetworkOutput } from './network.types';

/**
 * One network: every member host's flood list (actual / ideal / excess / missing) and BUM report,
 * findings; `network.deletedAt` set for a network Neutron deleted (kept as history). NOT_FOUND for a
 * network the model never saw.
 */
export const nodesNetwork = viewerProcedure
  .input(ZNodesNetworkInput)
  .output(ZNodesNetworkOutput)
  .query(async ({ ctx, input }) => {
    const view = await readNodeNetwork(ctx.db, input.network);
    if (!view) throw new TRPCError({ code: 'NOT_FOUND', message: `no network ${input.network}` });
    return view;
  });
