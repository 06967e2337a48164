import { readVtepEntries } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZTopologyVtepsInput, ZTopologyVtepsOutput } from './vteps.types';

/** The VTEP entries of the projection with their `seq`: the rest of a `topology.snapshot({ vteps: false })`. */
export const topologyVteps = viewerProcedure
  .input(ZTopologyVtepsInput)
  .output(ZTopologyVtepsOutput)
  .query(({ ctx }) => readVtepEntries(ctx.db));
