import { cancelJobs } from '../../toggle/approve';
import { operatorProcedure } from '../../trpc';
import { ZToggleCancelInput, ZToggleCancelOutput } from './cancel.types';

/** Cancel jobs that have not started (operator, trusted Origin); running or final ones are skipped. */
export const toggleCancel = operatorProcedure
  .input(ZToggleCancelInput)
  .output(ZToggleCancelOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await cancelJobs(ctx.db, ctx.user, ctx.origin ?? null, input);
    return { cancelled: r.jobs, skipped: r.skipped };
  });
