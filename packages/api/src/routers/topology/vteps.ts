import { preparedModelOf } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZTopologyVtepsInput, ZTopologyVtepsOutput } from './vteps.types';

/**
 * The VTEP entries of the projection with their `seq`: the rest of a `topology.snapshot({ vteps: false })`.
 * From the process's prepared model, as `topology.snapshot` (both parts then share one `seq` when nothing changed in between).
 */
export const topologyVteps = viewerProcedure
  .input(ZTopologyVtepsInput)
  .output(ZTopologyVtepsOutput)
  .query(async ({ ctx }) => {
    const { seq, vteps } = await preparedModelOf(ctx.db).current();
    return { seq, vteps };
  });
