/** tRPC over the Fetch API: `/api/trpc/<procedure>` (batched), context = the process's database client. */
import { appRouter } from '@l2scope/api';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { getDb } from '@/server/db';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

function handler(req: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: async () => ({ db: await getDb() }),
    onError: ({ path, error }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`tRPC ${path ?? '?'}: ${error.message}`);
    },
  });
}

export { handler as GET, handler as POST };
