/**
 * The tRPC client of the dashboard: a vanilla client (used by the live sync) and the TanStack
 * Query integration (used by components for on-demand reads: message detail, facets).
 */
import type { AppRouter } from '@l2scope/api';
import { type TRPCClient, createTRPCClient, httpBatchLink } from '@trpc/client';
import type { inferRouterOutputs } from '@trpc/server';
import { createTRPCContext } from '@trpc/tanstack-react-query';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** Typed client for {@link AppRouter}. */
export type TrpcClient = TRPCClient<AppRouter>;

/** Outputs of every procedure (e.g. `RouterOutputs['messages']['get']`). */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** A client batching requests to the app's own `/api/trpc` route. */
export function makeTrpcClient(): TrpcClient {
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: '/api/trpc', maxURLLength: 4000 })] });
}
