import { messageFacets } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZMessagesFacetsInput, ZMessagesFacetsOutput } from './facets.types';

/** Values the filters offer: methods seen, networks (with VNI). Hosts: `messages.hosts`, by prefix. */
export const messagesFacets = viewerProcedure
  .input(ZMessagesFacetsInput)
  .output(ZMessagesFacetsOutput)
  .query(({ ctx }) => messageFacets(ctx.db));
