import { approveJobs } from '../../toggle/approve';
import { operatorProcedure } from '../../trpc';
import { ZToggleApproveInput, ZToggleApproveOutput } from './approve.types';

/**
 * Approve planned jobs (operator, trusted Origin, step-up): FORBIDDEN with `data.reason`
 * `STEP_UP_REQUIRED` when the password is needed or wrong; PRECONDITION_FAILED when a job is not
 * planned or its plan not applicable. The worker then runs them.
 */
export const toggleApprove = operatorProcedure
  .input(ZToggleApproveInput)
  .output(ZToggleApproveOutput)
  .mutation(async ({ ctx, input }) => {
    const { password, ...sel } = input;
    const r = await approveJobs(ctx.db, ctx.user, ctx.origin ?? null, sel, password, ctx.verifyPassword);
    return { approved: r.jobs, skipped: r.skipped };
  });
