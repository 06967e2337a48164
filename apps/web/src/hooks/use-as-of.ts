'use client';
/**
 * "As of T" mode (docs/operations.md#history): T lives in the page URL (`?at=<ISO-8601>`), so a view
 * as of T can be shared; `?to=` is the second time of the "changes between T1 and T2" view.
 * The pages read the model and the findings of T from `history.at`, the hosts' drift from
 * `history.overview` (and a host from `history.host`) instead of the live store: live updates do not move them.
 */
import { useQuery } from '@tanstack/react-query';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useMemo } from 'react';
import { parseAt, withParam } from '@/history/time-range';
import { useTRPC } from '@/lib/trpc';
import { type ModelState, modelFromSnapshot } from '@/state/model';

/** T of the page (ISO-8601) or null (live), and setters that rewrite the URL (null: back to live). */
export function useAsOf(): { at: string | null; to: string | null; setAt: (at: string | null) => void; setTo: (to: string | null) => void } {
  const params = useSearchParams();
  const router = useRouter();
  const path = usePathname();
  const at = parseAt(params.get('at'));
  const to = parseAt(params.get('to'));
  const set = useCallback(
    (key: 'at' | 'to', value: string | null) => router.replace(`${path}${withParam(params.toString(), key, value)}`, { scroll: false }),
    [router, path, params],
  );
  return { at, to, setAt: useCallback((v) => set('at', v), [set]), setTo: useCallback((v) => set('to', v), [set]) };
}

/** `history.at` of the page's T (not fetched when live); kept while the next T loads. */
export function useHistoryAt(at: string | null) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.history.at.queryOptions({ at: at ?? new Date(0).toISOString() }), enabled: at !== null, placeholderData: (prev) => prev });
}

/** `history.overview` of T (the hosts' drift as of T; not fetched when live); kept while the next T loads. */
export function useHistoryOverview(at: string | null) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.history.overview.queryOptions({ at: at ?? new Date(0).toISOString() }), enabled: at !== null, placeholderData: (prev) => prev });
}

/** The model as of the page's T for the topology, or null when live (or not loaded yet). */
export function useAsOfModel(): ModelState | null {
  const { at } = useAsOf();
  const q = useHistoryAt(at);
  const model = q.data?.model;
  return useMemo(() => (at && model ? modelFromSnapshot(model) : null), [at, model]);
}
