'use client';
/** Debounce a value: trailing updates after `ms` of quiet, but at least every `maxWait` ms during a stream of changes. */
import { useEffect, useRef, useState } from 'react';

/** The value, updated at most every `ms` (and never later than `maxWait` after the last update while it keeps changing). */
export function useDebounced<T>(value: T, ms: number, maxWait = ms * 5): T {
  const [current, setCurrent] = useState(value);
  const lastApplied = useRef(0);
  useEffect(() => {
    if (Object.is(value, current)) return;
    const since = Date.now() - lastApplied.current;
    const t = setTimeout(
      () => {
        lastApplied.current = Date.now();
        setCurrent(value);
      },
      since >= maxWait ? 0 : ms,
    );
    return () => clearTimeout(t);
  }, [value, current, ms, maxWait]);
  return current;
}
