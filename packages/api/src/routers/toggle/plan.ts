import { operatorProcedure } from '../../trpc';
import { planToggle } from '../../toggle/plan';
import { ZTogglePlanInput, ZTogglePlanOutput } from './plan.types';

/**
 * Plan a toggle (operator): one `planned` job per host, plan filled by the worker. NOT_FOUND for
 * a network without hosts, BAD_REQUEST for unknown hosts, CONFLICT when a host has a job in progress.
 */
export const togglePlan = operatorProcedure
  .input(ZTogglePlanInput)
  .output(ZTogglePlanOutput)
  .mutation(({ ctx, input }) =>
    planToggle(ctx.db, ctx.user, ctx.origin ?? null, 'network' in input ? { network: input.network } : { hosts: input.hosts }, input.change, input.inPlace),
  );
