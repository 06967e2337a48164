import { TRPCError } from '@trpc/server';
import { getToggleJob } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZJobsGetInput, ZJobsGetOutput } from './get.types';

/** One toggle job; NOT_FOUND for an unknown id. */
export const jobsGet = viewerProcedure
  .input(ZJobsGetInput)
  .output(ZJobsGetOutput)
  .query(async ({ ctx, input }) => {
    const job = await getToggleJob(ctx.db, input.id);
    if (!job) throw new TRPCError({ code: 'NOT_FOUND', message: `no job ${input.id}` });
    return job;
  });
