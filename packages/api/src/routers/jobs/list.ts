import { listToggleJobs } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZJobsListInput, ZJobsListOutput } from './list.types';

/** Toggle jobs, newest first (any signed-in user: viewers see what is being done to the hosts). */
export const jobsList = viewerProcedure
  .input(ZJobsListInput)
  .output(ZJobsListOutput)
  .query(({ ctx, input }) => listToggleJobs(ctx.db, input));
