import { readNeutronApi } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZNeutronNamesInput, ZNeutronNamesOutput } from './names.types';

/** Names from Neutron's API (ports, instances, networks, projects, agents' `alive`) as the worker's poller stored them (docs/neutron-api.md). */
export const neutronNames = viewerProcedure
  .input(ZNeutronNamesInput)
  .output(ZNeutronNamesOutput)
  .query(({ ctx }) => readNeutronApi(ctx.db));
