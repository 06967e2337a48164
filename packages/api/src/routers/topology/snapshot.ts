import { readModelSnapshot } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZTopologySnapshotInput, ZTopologySnapshotOutput } from './snapshot.types';

/** The model as last persisted by the worker; `seq` orders it against live `model` batches. `{ vteps: false }` leaves the VTEP entries out (see `topology.vteps`). */
export const topologySnapshot = viewerProcedure
  .input(ZTopologySnapshotInput)
  .output(ZTopologySnapshotOutput)
  .query(({ ctx, input }) => readModelSnapshot(ctx.db, { vteps: input?.vteps }));
