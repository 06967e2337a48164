'use client';
/** Providers of every page: TanStack Query, tRPC, and the one LiveSync of the app (connected while mounted). */
import '@/lib/zod-config';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { TRPCProvider, makeTrpcClient } from '@/lib/trpc';
import { SyncContext, useLiveSyncInstance } from '@/hooks/use-sync';

/** Wraps the app. The live socket connects to the page's own origin (proxied to the worker). */
export function AppProviders({ children }: { children: ReactNode }) {
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 10_000, refetchOnWindowFocus: false, retry: 1 } } }));
  const [trpcClient] = useState(makeTrpcClient);
  const sync = useLiveSyncInstance(trpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <SyncContext.Provider value={sync}>{children}</SyncContext.Provider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
