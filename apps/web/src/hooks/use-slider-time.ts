'use client';
/** A time slider's thumb: it follows the hand at once, and the time is committed once the thumb rests. */
import { useEffect, useState } from 'react';
import { useDebounced } from './use-debounced';

/**
 * The value a time slider shows, for a time committed elsewhere (the URL's `at` / `to`).
 * The thumb moves with every `setValue`; `commit` receives the ISO time once the thumb has rested
 * for `restMs` (so the history queries run once per pause, not per pixel). When the committed time
 * changes from outside (back button, another control), the thumb jumps to it.
 * @param committedMs the committed time, epoch ms
 * @param commit called with the rested time as an ISO 8601 string, only when it differs
 * @returns `[valueMs, setValueMs]` for the `<input type="range">`
 */
export function useSliderTime(committedMs: number, commit: (iso: string) => void, restMs = 350): [number, (ms: number) => void] {
  const [value, setValue] = useState(committedMs);
  const [shown, setShown] = useState(committedMs);
  if (shown !== committedMs) {
    setShown(committedMs);
    setValue(committedMs);
  }
  const rested = useDebounced(value, restMs);
  useEffect(() => {
    if (rested !== committedMs) commit(new Date(rested).toISOString());
  }, [rested, committedMs, commit]);
  return [value, setValue];
}
