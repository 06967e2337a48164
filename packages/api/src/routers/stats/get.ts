import { readPersistedStats } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZStatsGetInput, ZStatsGetOutput } from './get.types';

/** Worker counters and recent tap gaps as persisted (the header when the worker is not reachable). */
export const statsGet = viewerProcedure
  .input(ZStatsGetInput)
  .output(ZStatsGetOutput)
  .query(({ ctx }) => readPersistedStats(ctx.db));
