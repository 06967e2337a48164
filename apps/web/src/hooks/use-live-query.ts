'use client';
/** Glue between live updates (the store) and page queries (TanStack): refetch when what the page shows changed. */
import { useEffect, useRef, useState } from 'react';
import { useDebounced } from './use-debounced';

/**
 * Call `refetch` when `key` changes (debounced by `ms`, at least every `5 * ms` while it keeps
 * changing), and once more `settleMs` later: the worker pushes a live update as soon as it has
 * analysed, and writes the database a moment later, so the first read may still see the previous
 * state. Not on mount (the query fetches then).
 */
export function useRefetchOnChange(key: string | number, refetch: () => unknown, ms = 400, settleMs = 1_500): void {
  const debounced = useDebounced(key, ms);
  const last = useRef(debounced);
  useEffect(() => {
    if (Object.is(debounced, last.current)) return;
    last.current = debounced;
    void refetch();
    const t = setTimeout(() => void refetch(), settleMs);
    return () => clearTimeout(t);
  }, [debounced, refetch, settleMs]);
}

/**
 * While `stale` (the page's data is older than what the live view says, or its parts disagree),
 * refetch every `ms`, at most `max` times in a row.
 */
export function useRefetchWhileStale(stale: boolean, refetch: () => unknown, ms = 500, max = 20): void {
  const tries = useRef(0);
  useEffect(() => {
    if (!stale) {
      tries.current = 0;
      return;
    }
    if (tries.current >= max) return;
    const t = setTimeout(() => {
      tries.current++;
      void refetch();
    }, ms);
    return () => clearTimeout(t);
  }, [stale, refetch, ms, max]);
}

/** The current time (epoch ms), updated every `ms` (for "12 s ago" labels). */
export function useNow(ms = 5_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
