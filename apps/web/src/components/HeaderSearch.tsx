'use client';
/**
 * The header's search box: type a host name or VTEP IP, a MAC or a port IP, a network UUID, VNI or
 * name (tRPC `search.find`, debounced), pick with the arrow keys and Enter (or a click): it opens
 * /hosts/<host>, /networks/<id>, or the host page of a port's host with `?mac=` set.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useId, useState } from 'react';
import { hostHref, networkHref } from '@/lib/format';
import { type RouterOutputs, useTRPC } from '@/lib/trpc';
import { useDebounced } from '@/hooks/use-debounced';

type Hit = RouterOutputs['search']['find'][number];

const DEBOUNCE_MS = 200;

/** Where a result leads; null for a port whose host is unknown. */
function hrefOf(h: Hit): string | null {
  if (h.kind === 'host') return hostHref(h.host);
  if (h.kind === 'network') return networkHref(h.network);
  return h.host ? `${hostHref(h.host)}?mac=${encodeURIComponent(h.mac)}` : networkHref(h.network);
}

function labelOf(h: Hit): { main: string; sub: string } {
  if (h.kind === 'host') return { main: h.host, sub: h.vtep ? `host · VTEP ${h.vtep}` : 'host' };
  if (h.kind === 'network')
    return { main: h.name ?? h.network.slice(0, 8), sub: `network${h.vni !== null ? ` · VNI ${h.vni}` : ''} · ${h.network.slice(0, 8)}` };
  return { main: h.mac, sub: `port${h.name ? ` ${h.name}` : ''}${h.ips.length ? ` · ${h.ips.join(', ')}` : ''} · on ${h.host ?? h.vtep ?? 'unknown host'}` };
}

/** The header search box with its result list (a combobox). */
export function HeaderSearch() {
  const trpc = useTRPC();
  const router = useRouter();
  const listId = useId();
  const [text, setText] = useState('');
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);
  const q = useDebounced(text.trim(), DEBOUNCE_MS);
  const res = useQuery({ ...trpc.search.find.queryOptions({ q, limit: 8 }), enabled: q.length >= 2, placeholderData: keepPreviousData });
  const hits = q.length >= 2 ? (res.data ?? []) : [];
  const go = (h: Hit | undefined) => {
    const href = h && hrefOf(h);
    if (!href) return;
    setOpen(false);
    setText('');
    router.push(href);
  };
  return (
    <div className="header-search" role="search">
      <input
        type="search"
        data-testid="header-search"
        placeholder="Host, MAC, IP, VNI…"
        aria-label="Search hosts, ports and networks"
        role="combobox"
        aria-expanded={open && hits.length > 0}
        aria-controls={listId}
        aria-activedescendant={open && hits[active] ? `${listId}-${active}` : undefined}
        value={text}
        maxLength={200}
        onChange={(e) => {
          setText(e.target.value);
          setActive(0);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') setActive((a) => Math.min(a + 1, Math.max(hits.length - 1, 0)));
          else if (e.key === 'ArrowUp') setActive((a) => Math.max(a - 1, 0));
          else if (e.key === 'Enter') go(hits[active]);
          else if (e.key === 'Escape') setOpen(false);
          else return;
          e.preventDefault();
        }}
      />
      {open && q.length >= 2 && (
        <ul id={listId} role="listbox" className="header-search-results" data-testid="header-search-results">
          {hits.length === 0 && <li className="muted small">{res.isFetching ? 'Searching…' : 'No host, port or network matches'}</li>}
          {hits.map((h, i) => {
            const l = labelOf(h);
            return (
              <li
                key={`${h.kind}-${i}`}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                data-testid={`search-hit-${h.kind}`}
                className={i === active ? 'active' : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  go(h);
                }}
              >
                <span className="mono">{l.main}</span> <span className="muted small">{l.sub}</span>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
