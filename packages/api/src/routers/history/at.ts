import { historyBounds, readFindingsAt, readModelAt } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZHistoryAtInput, ZHistoryAtOutput } from './at.types';

/** The topology and the findings as they were at `at` (the time slider), with what history covers. */
export const historyAt = viewerProcedure
  .input(ZHistoryAtInput)
  .output(ZHistoryAtOutput)
  .query(async ({ ctx, input }) => {
    const at = new Date(input.at);
    const [bounds, model, findings] = await Promise.all([historyBounds(ctx.db), readModelAt(ctx.db, at), readFindingsAt(ctx.db, at)]);
    return { at: at.toISOString(), bounds, exact: bounds.from !== null && at.getTime() >= Date.parse(bounds.from), model, findings };
  });
