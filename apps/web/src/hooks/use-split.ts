'use client';
/**
 * A draggable (and keyboard-adjustable) split between two stacked panes, remembered in
 * localStorage. Read through useSyncExternalStore: the server renders the default, the browser
 * switches to the remembered value right after hydration (no mismatch).
 */
import { type KeyboardEvent, type PointerEvent, useCallback, useSyncExternalStore } from 'react';

const MIN = 0.15;
const MAX = 0.85;
const clamp = (f: number) => Math.min(MAX, Math.max(MIN, f));
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('storage', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', listener);
  };
}

function read(key: string, fallback: number): number {
  const saved = Number(window.localStorage.getItem(key));
  return saved > 0 ? clamp(saved) : fallback;
}

/** Fraction of the container's height given to the first pane, and the separator's handlers (its parent is the container). */
export function useSplit(key: string, initial: number) {
  const fraction = useSyncExternalStore(
    subscribe,
    () => read(key, initial),
    () => initial,
  );
  const commit = useCallback(
    (f: number) => {
      window.localStorage.setItem(key, String(clamp(f)));
      for (const l of listeners) l();
    },
    [key],
  );

  const handleProps = {
    onPointerDown: (e: PointerEvent<HTMLDivElement>) => e.currentTarget.setPointerCapture(e.pointerId),
    onPointerMove: (e: PointerEvent<HTMLDivElement>) => {
      const container = e.currentTarget.parentElement;
      if (!e.currentTarget.hasPointerCapture(e.pointerId) || !container) return;
      const r = container.getBoundingClientRect();
      commit((e.clientY - r.top) / r.height);
    },
    onPointerUp: (e: PointerEvent<HTMLDivElement>) => e.currentTarget.releasePointerCapture(e.pointerId),
    onKeyDown: (e: KeyboardEvent<HTMLDivElement>) => {
      if (e.key === 'ArrowUp') commit(fraction - 0.05);
      else if (e.key === 'ArrowDown') commit(fraction + 0.05);
      else return;
      e.preventDefault();
    },
  };
  return { fraction, handleProps };
}
