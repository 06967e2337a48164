/**
 * Message inspector rules shared by the store and the sync: filter matching for live rows (the
 * same rules as the server's `messageWhere`), merging pages and live rows, bounds.
 * Pure functions, no React, no I/O.
 */
import type { MessageSummary } from '@l2scope/domain';

/** Newest rows kept in memory; older ones are fetched again on scroll. */
export const MAX_ROWS = 20_000;
/** Rows per page fetched through `messages.list`. */
export const PAGE_SIZE = 300;

/** The inspector's filters (a subset of the API's `messageFilterSchema`). */
export interface InspectorFilter {
  /** Exact oslo method, or "undecodable". */
  method?: string;
  /** Network UUID. */
  network?: string;
  /** Host name. */
  host?: string;
  /** Free text (matched by the server against its search column). */
  text?: string;
}

/** Drop empty values, trim the text: the canonical form used for requests and comparisons. */
export function normalizeFilter(f: InspectorFilter): InspectorFilter {
  const out: InspectorFilter = {};
  if (f.method) out.method = f.method;
  if (f.network) out.network = f.network;
  if (f.host) out.host = f.host;
  const text = f.text?.trim();
  if (text) out.text = text.slice(0, 200);
  return out;
}

/** True when two filters select the same rows. */
export function sameFilter(a: InspectorFilter, b: InspectorFilter): boolean {
  const x = normalizeFilter(a);
  const y = normalizeFilter(b);
  return x.method === y.method && x.network === y.network && x.host === y.host && x.text === y.text;
}

/**
 * Whether a live row matches the filter's structured parts (method, network, host), with the
 * server's rules: `undecodable` selects `ok = false`, another method is an exact match, network
 * and host are references of the message. The free text cannot be evaluated here (the server
 * matches MACs and IPs that a summary does not carry): see {@link needsServerMatch}.
 */
export function matchesStructured(m: MessageSummary, f: InspectorFilter): boolean {
  if (f.method === 'undecodable') {
    if (m.ok) return false;
  } else if (f.method && m.method !== f.method) return false;
  if (f.network && !m.networks.includes(f.network)) return false;
  if (f.host && !m.hosts.includes(f.host)) return false;
  return true;
}

/** A text filter is active: live rows are matched by the server (catch-up query after the newest checked id). */
export function needsServerMatch(f: InspectorFilter): boolean {
  return Boolean(normalizeFilter(f).text);
}

/** The query parameters of `/api/export` for a filter (the server validates them with `messageFilterSchema`). */
export function exportQuery(f: InspectorFilter): string {
  const q = new URLSearchParams();
  const n = normalizeFilter(f);
  if (n.method) q.set('method', n.method);
  if (n.network) q.set('network', n.network);
  if (n.host) q.set('host', n.host);
  if (n.text) q.set('text', n.text);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Merge rows into a newest-first list: dedupe by id, keep newest first, bound to `max`.
 * Fast path when every incoming row is newer than the current head (the live case).
 * Returns `{ rows, trimmed }` where `trimmed` counts rows dropped by the bound.
 */
export function mergeNewestFirst(
  current: readonly MessageSummary[],
  incoming: readonly MessageSummary[],
  max = MAX_ROWS,
): { rows: MessageSummary[]; trimmed: number } {
  if (incoming.length === 0) return { rows: current as MessageSummary[], trimmed: 0 };
  const head = current[0]?.id ?? 0;
  let merged: MessageSummary[];
  if (incoming.every((m) => m.id > head)) {
    const fresh = dedupe([...incoming].sort((a, b) => b.id - a.id));
    merged = fresh.concat(current);
  } else {
    merged = dedupe([...incoming, ...current].sort((a, b) => b.id - a.id));
  }
  const trimmed = Math.max(0, merged.length - max);
  if (trimmed) merged.length = max;
  return { rows: merged, trimmed };
}

function dedupe(sorted: MessageSummary[]): MessageSummary[] {
  const out: MessageSummary[] = [];
  let last = Number.NaN;
  for (const m of sorted) {
    if (m.id === last) continue;
    out.push(m);
    last = m.id;
  }
  return out;
}
