/**
 * The tRPC client of the dashboard: a vanilla client (used by the live sync) and the TanStack
 * Query integration (used by components for on-demand reads: message detail, facets).
 */
import type { AppRouter } from '@l2scope/api';
import { type TRPCClient, createTRPCClient, httpBatchLink, splitLink } from '@trpc/client';
import type { inferRouterOutputs } from '@trpc/server';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { takeEarly } from './early-model';
import { MAX_BATCH_SIZE } from './trpc-limits';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** Typed client for {@link AppRouter}. */
export type TrpcClient = TRPCClient<AppRouter>;

/** Outputs of every procedure (e.g. `RouterOutputs['messages']['get']`). */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/**
 * `fetch` for the tRPC links: a 401 (the session expired or was ended) sends the browser to the
 * login page, which brings it back here once signed in. The first model's two requests were sent
 * by the page's HTML already (early-model.ts): their responses are taken from there, once.
 */
const sessionFetch: typeof fetch = async (input, init) => {
  const res = await (takeEarly(input, init) ?? fetch(input, init));
  if (res.status === 401 && typeof window !== 'undefined' && window.location.pathname !== '/login') {
    window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
  }
  return res;
};

const batchLink = () => httpBatchLink<AppRouter>({ url: '/api/trpc', maxURLLength: 4000, maxItems: MAX_BATCH_SIZE, fetch: sessionFetch });

/**
 * A client batching requests to the app's own `/api/trpc` route. The host view's queries go in
 * batches of their own: a slow node read never holds back the topology snapshot or the inspector.
 * The model's two parts (`topology.snapshot`, `topology.vteps`) go alone, each in a request of its
 * own: a batch answers when its slowest call does, so the first picture never waits for the
 * inspector's first page or counts (nor they for the model), and the request URLs are the ones the
 * page's HTML requested ahead (early-model.ts).
 */
export function makeTrpcClient(): TrpcClient {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.path.startsWith('nodes.'),
        true: batchLink(),
        false: splitLink({
          condition: (op) => op.path === 'topology.snapshot' || op.path === 'topology.vteps',
          true: splitLink({ condition: (op) => op.path === 'topology.snapshot', true: batchLink(), false: batchLink() }),
          false: batchLink(),
        }),
      }),
    ],
  });
}
