import { searchEntities } from '@l2scope/db';
import { parseSearchQuery } from '@l2scope/domain';
import { viewerProcedure } from '../../trpc';
import { ZSearchFindInput, ZSearchFindOutput } from './find.types';

/**
 * The header search: hosts (name prefix, VTEP IP), networks (UUID prefix, VNI, Neutron name) and
 * ports (MAC, IP, Neutron port id or name) matching `q`, at most `limit` of each kind; nothing for
 * a query shorter than 2 characters (db `searchEntities`).
 */
export const searchFind = viewerProcedure
  .input(ZSearchFindInput)
  .output(ZSearchFindOutput)
  .query(({ ctx, input }) => searchEntities(ctx.db, parseSearchQuery(input.q), input.limit));
