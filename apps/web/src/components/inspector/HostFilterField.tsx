'use client';
/**
 * The inspector's host filter: a text field that suggests hosts as the operator types (tRPC
 * `messages.hosts`, at most 10, by id / name / VTEP prefix), not a drop-down of every host. The
 * filter is set when the text is a suggested host's id, or on Enter; emptied, it is cleared.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/lib/trpc';
import { useDebounced } from '@/hooks/use-debounced';

const SUGGEST_DEBOUNCE_MS = 200;

export function HostFilterField({ value, onChange }: { value: string | undefined; onChange: (host: string | undefined) => void }) {
  const trpc = useTRPC();
  const [text, setText] = useState(value ?? '');
  // the filter changed elsewhere (a link, a reset): show it (state adjusted while rendering)
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setText(value ?? '');
  }
  const prefix = useDebounced(text.trim(), SUGGEST_DEBOUNCE_MS, SUGGEST_DEBOUNCE_MS);
  const suggestions = useQuery({ ...trpc.messages.hosts.queryOptions({ prefix, limit: 10 }), staleTime: 10_000 });
  const data = suggestions.data;
  const hosts = data ?? [];
  const typed = text.trim();
  useEffect(() => {
    if (typed === '' && value !== undefined) onChange(undefined);
    else if (typed !== value && data?.some((h) => h.id === typed)) onChange(typed);
  }, [typed, value, data, onChange]);

  return (
    <label className="field">
      <span>Host</span>
      <input
        type="search"
        list="inspector-host-suggestions"
        data-testid="inspector-filter-host"
        aria-label="Filter by host (type a name or VTEP)"
        placeholder="host or VTEP…"
        autoComplete="off"
        value={text}
        maxLength={255}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') onChange(typed || undefined);
        }}
      />
      <datalist id="inspector-host-suggestions" data-testid="inspector-host-suggestions">
        {hosts.map((h) => (
          <option key={h.id} value={h.id}>
            {[h.name && h.name !== h.id ? h.name : null, h.vtep, h.expired ? 'expired' : null].filter(Boolean).join(' · ')}
          </option>
        ))}
      </datalist>
    </label>
  );
}
