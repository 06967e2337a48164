import { suggestMessageHosts } from '@l2scope/db';
import { viewerProcedure } from '../../trpc';
import { ZMessagesHostsInput, ZMessagesHostsOutput } from './hosts.types';

/** The host filter's suggestions: hosts whose id, name or VTEP starts with `prefix`, bounded. */
export const messagesHosts = viewerProcedure
  .input(ZMessagesHostsInput)
  .output(ZMessagesHostsOutput)
  .query(({ ctx, input }) => suggestMessageHosts(ctx.db, input.prefix, input.limit));
