import { readNodesOverviewAt } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZHistoryOverviewInput, ZHistoryOverviewOutput } from './overview.types';

/** The overview's hosts and drift per class as of `at` (the time slider's overview and topology overlay). */
export const historyOverview = viewerProcedure
  .input(ZHistoryOverviewInput)
  .output(ZHistoryOverviewOutput)
  .query(({ ctx, input }) => readNodesOverviewAt(ctx.db, new Date(input.at)));
