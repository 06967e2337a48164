'use client';
/**
 * The inspector's table: virtualised rows (newest first), older pages on scroll, keyboard
 * selection. When rows arrive while the operator has scrolled down, the view stays on the rows
 * being read.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, memo, useCallback, useLayoutEffect, useRef } from 'react';
import type { MessageSummary } from '@l2scope/domain';
import { clockTime, count } from '@/lib/format';
import { useSync } from '@/hooks/use-sync';
import { MAX_ROWS } from '@/state/inspector';
import { dispatch, useL2 } from '@/state/store';

const ROW_H = 24;
const LOAD_MORE_PX = 600;

export function MessageTable() {
  const sync = useSync();
  const rows = useL2((s) => s.inspector.rows);
  const status = useL2((s) => s.inspector.status);
  const error = useL2((s) => s.inspector.error);
  const loadingOlder = useL2((s) => s.inspector.loadingOlder);
  const nextCursor = useL2((s) => s.inspector.nextCursor);
  const capped = useL2((s) => s.inspector.capped);
  const selected = useL2((s) => s.ui.selectedMessage);
  const filtered = useL2((s) => Object.keys(s.inspector.filter).length > 0);
  const scrollRef = useRef<HTMLDivElement | null>(null);

  // TanStack Virtual returns functions the React Compiler cannot memoise: this component opts out
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_H,
    overscan: 16,
    getItemKey: (i) => rows[i]?.id ?? i,
  });

  // keep the operator's place when rows are prepended while scrolled down
  const prevHead = useRef<number | null>(null);
  useLayoutEffect(() => {
    const el = scrollRef.current;
    const head = prevHead.current;
    prevHead.current = rows[0]?.id ?? null;
    if (!el || head === null || el.scrollTop <= 0) return;
    let added = 0;
    while (added < rows.length && rows[added]!.id > head) added++;
    if (added > 0 && added < rows.length) el.scrollTop += added * ROW_H;
  }, [rows]);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (el && el.scrollTop + el.clientHeight > el.scrollHeight - LOAD_MORE_PX) void sync?.loadOlder();
  }, [sync]);

  const select = useCallback((id: number) => dispatch({ type: 'ui/selectMessage', id }), []);
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape') {
      dispatch({ type: 'ui/selectMessage', id: null });
      return;
    }
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const i = selected === null ? -1 : rows.findIndex((r) => r.id === selected);
    const next = Math.min(rows.length - 1, Math.max(0, i + (e.key === 'ArrowDown' ? 1 : -1)));
    const row = rows[next];
    if (row) {
      select(row.id);
      virtualizer.scrollToIndex(next, { align: 'auto' });
    }
  };

  const items = virtualizer.getVirtualItems();
  return (
    <div className="table" role="grid" aria-label="l2pop and agent messages, newest first" aria-rowcount={rows.length}>
      <div className="trow thead" role="row">
        <span role="columnheader">time (UTC)</span>
        <span role="columnheader">exchange</span>
        <span role="columnheader">routing key</span>
        <span role="columnheader">method</span>
        <span role="columnheader">VNI</span>
        <span role="columnheader">VTEPs</span>
        <span role="columnheader" className="num">
          size (B)
        </span>
      </div>
      <div
        className="tscroll"
        ref={scrollRef}
        onScroll={onScroll}
        tabIndex={0}
        onKeyDown={onKeyDown}
        data-testid="inspector-table"
        aria-label="Message rows: arrow keys move the selection"
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((v) => {
            const m = rows[v.index]!;
            return <Row key={v.key} m={m} top={v.start} selected={m.id === selected} onSelect={select} />;
          })}
        </div>
        {status === 'ready' && rows.length === 0 && <div className="table-empty">{filtered ? 'No messages match the filters.' : 'No messages yet.'}</div>}
        {status === 'loading' && rows.length === 0 && <div className="table-empty">Loading…</div>}
        {status === 'error' && <div className="table-empty text-bad">Cannot load messages: {error}</div>}
        {rows.length > 0 && (
          <div className="table-foot muted small">
            {loadingOlder
              ? 'Loading older messages…'
              : capped
                ? `Showing the newest ${MAX_ROWS.toLocaleString('en-US')} rows: narrow the filters, or Export for the full set.`
                : nextCursor === null
                  ? 'Oldest message reached.'
                  : 'Scroll for older messages.'}
          </div>
        )}
      </div>
    </div>
  );
}

const Row = memo(function Row({ m, top, selected, onSelect }: { m: MessageSummary; top: number; selected: boolean; onSelect: (id: number) => void }) {
  return (
    <div
      role="row"
      className={`trow${selected ? ' selected' : ''}${m.ok ? '' : ' undecodable'}`}
      style={{ transform: `translateY(${top}px)`, height: ROW_H }}
      data-testid="inspector-row"
      data-id={m.id}
      data-method={m.ok ? (m.method ?? '') : 'undecodable'}
      aria-selected={selected}
      onClick={() => onSelect(m.id)}
      title={m.ok ? undefined : (m.error ?? 'undecodable')}
    >
      <span role="gridcell" className="mono">
        {clockTime(m.receivedAt)}
      </span>
      <span role="gridcell" className="ellip" title={m.exchange}>
        {m.exchange}
      </span>
      <span role="gridcell" className="ellip mono" title={m.routingKey}>
        {m.routingKey}
      </span>
      <span role="gridcell" className="ellip" title={m.ok ? (m.target ? `${m.method} → ${m.target}` : (m.method ?? '')) : (m.error ?? '')}>
        {m.ok ? (
          <>
            <span className={`method m-${m.kind}`}>{m.method ?? '—'}</span>
            {m.target && m.target !== 'fanout' && <span className="muted small"> → {m.target}</span>}
          </>
        ) : (
          <span className="text-bad" data-testid="inspector-row-error">
            ⚠ {m.method ? `${m.method}: ` : ''}
            {m.error ?? 'undecodable'}
          </span>
        )}
      </span>
      <span role="gridcell" className="mono">
        {m.vnis.join(', ') || ''}
      </span>
      <span role="gridcell" className="ellip mono" title={m.vteps.join(', ')}>
        {m.vteps.join(', ')}
      </span>
      <span role="gridcell" className="num mono">
        {count(m.size)}
      </span>
    </div>
  );
});
