import { TRPCError } from '@trpc/server';
import { readNodeHost } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZNodesHostInput, ZNodesHostOutput } from './host.types';

/**
 * One host: its analysis (mode, drift with evidence, flood lists), its latest node snapshot (what it
 * holds), what the server told it (per network), recent convergence samples, BUM report, findings.
 * NOT_FOUND when neither the model, an analysis nor a snapshot knows the host.
 */
export const nodesHost = viewerProcedure
  .input(ZNodesHostInput)
  .output(ZNodesHostOutput)
  .query(async ({ ctx, input }) => {
    const view = await readNodeHost(ctx.db, input.host);
    if (!view) throw new TRPCError({ code: 'NOT_FOUND', message: `no host ${input.host}` });
    return view;
  });
