import { readModelSnapshot } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZTopologySnapshotInput, ZTopologySnapshotOutput } from './snapshot.types';

/** The model as last persisted by the worker; `seq` orders it against live `model` batches. */
export const topologySnapshot = viewerProcedure
  .input(ZTopologySnapshotInput)
  .output(ZTopologySnapshotOutput)
  .query(({ ctx }) => readModelSnapshot(ctx.db));
