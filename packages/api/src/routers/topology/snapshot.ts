import { preparedModelOf } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZTopologySnapshotInput, ZTopologySnapshotOutput } from './snapshot.types';

/**
 * The model as last persisted by the worker; `seq` orders it against live `model` batches. `{ vteps: false }` leaves the VTEP entries out (see `topology.vteps`).
 * Answered from the process's prepared model (`preparedModelOf`: read once, then the stored changes folded), not read per request.
 */
export const topologySnapshot = viewerProcedure
  .input(ZTopologySnapshotInput)
  .output(ZTopologySnapshotOutput)
  .query(async ({ ctx, input }) => {
    const model = await preparedModelOf(ctx.db).current();
    return input?.vteps === false ? { ...model, vteps: [] } : model;
  });
