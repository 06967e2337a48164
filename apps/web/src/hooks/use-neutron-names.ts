'use client';
/** The names from Neutron's API (`neutron.names`), refetched every 30 s; null while unknown or when no API is polled. */
import { type NamesIndex, namesIndex } from '@l2scope/domain';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTRPC } from '@/lib/trpc';

/** Lookups over the last names the worker read (port by network + MAC, network by id, agent by host). */
export function useNeutronNames(): NamesIndex | null {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.neutron.names.queryOptions(), refetchInterval: 30_000, staleTime: 15_000 });
  const names = q.data?.names ?? null;
  return useMemo(() => (names ? namesIndex(names) : null), [names]);
}
