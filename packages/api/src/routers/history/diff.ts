import { historyBounds, readModelAt } from '@l2scope/db';
import { diffModels } from '@l2scope/domain';
import { viewerProcedure } from '../../trpc';
import { ZHistoryDiffInput, ZHistoryDiffOutput } from './diff.types';

/** What changed between `from` and `to`: hosts, agents' modes, memberships, networks, flood entries, FDB and ARP rows. */
export const historyDiff = viewerProcedure
  .input(ZHistoryDiffInput)
  .output(ZHistoryDiffOutput)
  .query(async ({ ctx, input }) => {
    const from = new Date(input.from);
    const to = new Date(input.to);
    const [bounds, a, b] = await Promise.all([historyBounds(ctx.db), readModelAt(ctx.db, from), readModelAt(ctx.db, to)]);
    const exact = bounds.from !== null && Math.min(from.getTime(), to.getTime()) >= Date.parse(bounds.from);
    return { from: from.toISOString(), to: to.toISOString(), bounds, exact, diff: diffModels(a, b, input.limit) };
  });
