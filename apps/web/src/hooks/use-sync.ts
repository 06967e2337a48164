'use client';
/** The page's LiveSync: created once per mounted dashboard, connected while mounted. */
import { createContext, useContext, useEffect, useState } from 'react';
import type { TrpcClient } from '@/lib/trpc';
import { l2store } from '@/state/store';
import { LiveSync, type SyncFeature } from '@/state/sync';

/** The LiveSync of this mount against the browser store (the socket connects to the page's own origin). */
export function useLiveSyncInstance(client: TrpcClient): LiveSync {
  const [sync] = useState(() => new LiveSync(l2store, client, () => window.location.origin));
  useEffect(() => {
    sync.start();
    return () => sync.stop();
  }, [sync]);
  return sync;
}

export const SyncContext = createContext<LiveSync | null>(null);

/** The running LiveSync (null outside the dashboard). */
export function useSync(): LiveSync | null {
  return useContext(SyncContext);
}

/** Keep these parts of the client state in sync while (and after) the calling page is shown. */
export function useSyncFeatures(...features: SyncFeature[]): void {
  const sync = useSync();
  const key = features.join(',');
  useEffect(() => {
    sync?.enable(...(key.split(',') as SyncFeature[]));
  }, [sync, key]);
}
