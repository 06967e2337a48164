/**
 * tRPC over the Fetch API: `/api/trpc/<procedure>` (batched, at most {@link MAX_BATCH_SIZE} calls a
 * request: a larger batch gets 400 at once). The context is the process's database client and the
 * request's session (`createContext`): without one every procedure answers 401.
 */
import { appRouter, createContext } from '@l2scope/api';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { getAuth } from '@/server/auth';
import { MAX_BATCH_SIZE } from '@/lib/trpc-limits';
import { getDb } from '@/server/db';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

function handler(req: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: async () => createContext(await getDb(), await getAuth(), req.headers),
    onError: ({ path, error }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`tRPC ${path ?? '?'}: ${error.message}`);
    },
  });
}

export { handler as GET, handler as POST };
