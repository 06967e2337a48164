import { readDvrPage } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZDvrViewInput, ZDvrViewOutput } from './view.types';

/** The DVR page: per host its DVR MAC announced vs installed, per router the static ARP entries announced vs held, the findings. */
export const dvrView = viewerProcedure
  .input(ZDvrViewInput)
  .output(ZDvrViewOutput)
  .query(({ ctx }) => readDvrPage(ctx.db));
