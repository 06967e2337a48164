'use client';
/** The dashboard's client root: providers, the live sync, and the page frame. */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import type { LiveConfig } from '@/lib/live-config';
import { TRPCProvider, makeTrpcClient } from '@/lib/trpc';
import { useLiveSyncInstance, SyncContext } from '@/hooks/use-sync';
import { useSplit } from '@/hooks/use-split';
import { Header } from './Header';
import { InspectorPane } from './inspector/InspectorPane';
import { TopologyPane } from './topology/TopologyPane';

/** Everything under the root layout; `live` says where the worker's socket.io server is. */
export function Dashboard({ live }: { live: LiveConfig }) {
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { staleTime: 10_000, refetchOnWindowFocus: false, retry: 1 } } }),
  );
  const [trpcClient] = useState(makeTrpcClient);
  const sync = useLiveSyncInstance(trpcClient, live);
  const { fraction, handleProps } = useSplit('l2scope.split', 0.56);

  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <SyncContext.Provider value={sync}>
          <div className="app">
            <Header />
            <main className="workspace" style={{ gridTemplateRows: `${fraction}fr 6px ${1 - fraction}fr` }}>
              <TopologyPane />
              <div
                className="splitter"
                role="separator"
                aria-orientation="horizontal"
                aria-label="Resize topology and inspector"
                aria-valuenow={Math.round(fraction * 100)}
                aria-valuemin={15}
                aria-valuemax={85}
                tabIndex={0}
                data-testid="pane-splitter"
                {...handleProps}
              />
              <InspectorPane />
            </main>
          </div>
        </SyncContext.Provider>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
