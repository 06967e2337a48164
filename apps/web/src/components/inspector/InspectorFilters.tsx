'use client';
/** Inspector toolbar: method / network / host / free-text filters, "N of M", pause-resume, export. */
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import { count, hostHref, networkLabel } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { useSync } from '@/hooks/use-sync';
import { useDebounced } from '@/hooks/use-debounced';
import { type InspectorFilter, exportQuery } from '@/state/inspector';
import { useL2 } from '@/state/store';
import { usePageUser } from '@/components/SessionUser';
import { HostFilterField } from './HostFilterField';

const TEXT_DEBOUNCE_MS = 300;

/**
 * "1,234 of 1,000,000 messages", "10,000+ of 1,000,000 messages" when the count stopped at its cap,
 * "about" before an estimated total ("about 1,000,000 of about 1,000,000 messages" unfiltered).
 */
function ofStored(c: { matching: number; capped: boolean; stored: number; estimated: boolean }): string {
  const about = c.estimated ? 'about ' : '';
  const matching = c.matching === c.stored && !c.capped ? `${about}${count(c.matching)}` : `${count(c.matching)}${c.capped ? '+' : ''}`;
  return `${matching} of ${about}${count(c.stored)} messages`;
}

export function InspectorFilters() {
  const trpc = useTRPC();
  const sync = useSync();
  const filter = useL2((s) => s.inspector.filter);
  const paused = useL2((s) => s.inspector.paused);
  const pending = useL2((s) => s.inspector.pending.length);
  const stale = useL2((s) => s.inspector.stale);
  const rows = useL2((s) => s.inspector.rows.length);
  // the export dumps raw messages: operators and admins only (app/api/export/route.ts)
  const role = usePageUser()?.role;
  const canExport = role === 'operator' || role === 'admin';
  const status = useL2((s) => s.inspector.status);
  const seq = useL2((s) => s.model.state.seq);
  const facets = useQuery({ ...trpc.messages.facets.queryOptions(), refetchInterval: 15_000 });
  // new methods / hosts / networks show up in the pickers soon after they appear
  const refetchFacets = facets.refetch;
  const seqBucket = Math.floor(seq / 50);
  useEffect(() => {
    void refetchFacets();
  }, [seqBucket, refetchFacets]);

  const [text, setText] = useState(filter.text ?? '');
  const debouncedText = useDebounced(text, TEXT_DEBOUNCE_MS, TEXT_DEBOUNCE_MS);
  const set = (patch: Partial<InspectorFilter>) => sync?.setFilter({ ...filter, ...patch });
  const setHost = useCallback((host: string | undefined) => sync?.setHost(host), [sync]);
  // "N of M": matching messages (bounded count) out of those stored, refreshed as messages arrive
  const counted = useQuery({ ...trpc.messages.count.queryOptions(filter), refetchInterval: 5_000 });
  const refetchCount = counted.refetch;
  const seqTick = Math.floor(seq / 10);
  useEffect(() => {
    void refetchCount();
  }, [seqTick, refetchCount]);
  useEffect(() => {
    sync?.setText(debouncedText); // a no-op when the text filter already says so
  }, [debouncedText, sync]);

  const f = facets.data;
  const methodOptions = f?.methods ?? [];
  // keep a selected value listed even before the facets know it
  const hasMethod = !filter.method || filter.method === 'undecodable' || methodOptions.some((m) => m.method === filter.method);
  const hasNetwork = !filter.network || f?.networks.some((n) => n.id === filter.network);

  return (
    <div className="toolbar insp-toolbar">
      <h2 className="pane-title">Messages</h2>
      <label className="field">
        <span>Method</span>
        <select
          data-testid="inspector-filter-method"
          aria-label="Filter by method"
          value={filter.method ?? ''}
          onChange={(e) => set({ method: e.target.value || undefined })}
        >
          <option value="">All methods</option>
          {methodOptions.map((m) => (
            <option key={m.method} value={m.method}>
              {m.method} ({count(m.count)})
            </option>
          ))}
          {!hasMethod && <option value={filter.method}>{filter.method}</option>}
          <option value="undecodable">undecodable ({count(f?.undecodable ?? 0)})</option>
        </select>
      </label>
      <label className="field">
        <span>Network</span>
        <select
          data-testid="inspector-filter-network"
          aria-label="Filter by network"
          value={filter.network ?? ''}
          onChange={(e) => set({ network: e.target.value || undefined })}
        >
          <option value="">All networks</option>
          {f?.networks.map((n) => (
            <option key={n.id} value={n.id}>
              {networkLabel(n)} · {n.id.slice(0, 8)}
              {n.deletedAt !== null ? ' · deleted' : ''}
            </option>
          ))}
          {!hasNetwork && <option value={filter.network}>{filter.network}</option>}
        </select>
      </label>
      <HostFilterField value={filter.host} onChange={setHost} />
      {filter.host && !filter.host.startsWith('vtep:') && (
        <Link
          href={hostHref(filter.host)}
          className="btn small"
          data-testid="inspector-host-page"
          title="Told vs held for this host: FDB, neighbours, drift, flood lists"
        >
          host page →
        </Link>
      )}
      <label className="field grow">
        <span>Search</span>
        <input
          type="search"
          data-testid="inspector-filter-text"
          aria-label="Search messages (MAC, IP, host, routing key, error…)"
          placeholder="MAC, IP, host, routing key, error…"
          value={text}
          maxLength={200}
          onChange={(e) => setText(e.target.value)}
        />
      </label>
      <span className="muted small" data-testid="inspector-count" aria-live="polite">
        {status === 'loading' || !counted.data ? 'loading…' : ofStored(counted.data)}
      </span>
      <span className="muted small" data-testid="inspector-loaded" title="Rows held in the table; older ones load as you scroll">
        {count(rows)} loaded
      </span>
      <button
        type="button"
        className={`btn${paused ? ' btn-warn' : ''}`}
        data-testid="inspector-pause"
        aria-pressed={paused}
        aria-label={paused ? `Resume live rows (${pending} new)` : 'Pause live rows'}
        onClick={() => (paused ? sync?.resume() : sync?.pause())}
      >
        {paused ? `▶ Resume` : '❚❚ Pause'}
        {paused && (
          <span className="pill" data-testid="inspector-new-count">
            {count(pending)}
            {stale ? '+' : ''} new
          </span>
        )}
      </button>
      {canExport && (
        <a
          className="btn"
          data-testid="inspector-export"
          href={`/api/export${exportQuery(filter)}`}
          download
          aria-label="Export the filtered messages as a JSONL capture"
        >
          ⤓ Export JSONL
        </a>
      )}
    </div>
  );
}
