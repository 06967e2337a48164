import { readNodesOverview } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZNodesOverviewInput, ZNodesOverviewOutput } from './overview.types';

/** The cloud overview: every host with a node agent, open findings, drift totals by class, lags, BUM. */
export const nodesOverview = viewerProcedure
  .input(ZNodesOverviewInput)
  .output(ZNodesOverviewOutput)
  .query(({ ctx }) => readNodesOverview(ctx.db));
