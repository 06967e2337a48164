import type { MessageSummary } from '@l2scope/domain';
import { describe, expect, it } from 'vitest';
import { exportQuery, matchesStructured, mergeNewestFirst, normalizeFilter } from '../src/state/inspector';
import { createL2Store } from '../src/state/store';

function msg(id: number, patch: Partial<MessageSummary> = {}): MessageSummary {
  return {
    id,
    receivedAt: new Date(1_700_000_000_000 + id).toISOString(),
    exchange: 'q-agent-notifier-l2population-update_fanout',
    routingKey: '',
    method: 'add_fdb_entries',
    kind: 'fdb',
    target: 'fanout',
    ok: true,
    error: null,
    size: 100,
    source: 'replay',
    networks: ['net-a'],
    vnis: [649],
    vteps: ['10.0.20.12'],
    hosts: ['compute1'],
    ...patch,
  };
}

describe('inspector rules', () => {
  it('matches like the server: undecodable = not ok, exact method, network and host refs', () => {
    expect(matchesStructured(msg(1), { method: 'add_fdb_entries', network: 'net-a', host: 'compute1' })).toBe(true);
    expect(matchesStructured(msg(1), { method: 'remove_fdb_entries' })).toBe(false);
    expect(matchesStructured(msg(1), { method: 'undecodable' })).toBe(false);
    expect(matchesStructured(msg(1, { ok: false, method: 'add_fdb_entries', error: 'bad_json: x' }), { method: 'undecodable' })).toBe(true);
    expect(matchesStructured(msg(1), { network: 'net-b' })).toBe(false);
    expect(matchesStructured(msg(1), { host: 'compute2' })).toBe(false);
  });

  it('normalises filters and builds the export query', () => {
    expect(normalizeFilter({ method: '', text: '  fa:16 ' })).toEqual({ text: 'fa:16' });
    expect(exportQuery({ method: 'undecodable', host: 'compute 1', text: '' })).toBe('?method=undecodable&host=compute+1');
    expect(exportQuery({})).toBe('');
  });

  it('merges newest first, dedupes, bounds', () => {
    const a = [msg(5), msg(3)];
    expect(mergeNewestFirst(a, [msg(7), msg(6)]).rows.map((m) => m.id)).toEqual([7, 6, 5, 3]);
    expect(mergeNewestFirst(a, [msg(4), msg(5)]).rows.map((m) => m.id)).toEqual([5, 4, 3]);
    const r = mergeNewestFirst(a, [msg(9), msg(8)], 3);
    expect(r.rows.map((m) => m.id)).toEqual([9, 8, 5]);
    expect(r.trimmed).toBe(1);
  });
});

describe('inspector store', () => {
  it('first page keeps live rows that arrived after it was read', () => {
    const store = createL2Store();
    store.dispatch({ type: 'inspector/request', gen: 1, keepRows: false });
    store.dispatch({ type: 'inspector/incoming', gen: 1, rows: [msg(11), msg(12)] });
    store.dispatch({ type: 'inspector/firstPage', gen: 1, items: [msg(11), msg(10), msg(9)], nextCursor: 9 });
    expect(store.getState().inspector.rows.map((m) => m.id)).toEqual([12, 11, 10, 9]);
    expect(store.getState().inspector.nextCursor).toBe(9);
  });

  it('drops answers and live rows of an older generation', () => {
    const store = createL2Store();
    store.dispatch({ type: 'inspector/request', gen: 1, keepRows: false });
    store.dispatch({ type: 'inspector/request', gen: 2, keepRows: false });
    store.dispatch({ type: 'inspector/firstPage', gen: 1, items: [msg(1)], nextCursor: null });
    store.dispatch({ type: 'inspector/incoming', gen: 1, rows: [msg(2)] });
    expect(store.getState().inspector.rows).toEqual([]);
    expect(store.getState().inspector.status).toBe('loading');
  });

  it('pause buffers rows and counts them; resume flushes in order', () => {
    const store = createL2Store();
    store.dispatch({ type: 'inspector/request', gen: 1, keepRows: false });
    store.dispatch({ type: 'inspector/firstPage', gen: 1, items: [msg(2), msg(1)], nextCursor: null });
    store.dispatch({ type: 'inspector/pause' });
    store.dispatch({ type: 'inspector/incoming', gen: 1, rows: [msg(3), msg(4)] });
    store.dispatch({ type: 'inspector/incoming', gen: 1, rows: [msg(5)] });
    expect(store.getState().inspector.rows.map((m) => m.id)).toEqual([2, 1]);
    expect(store.getState().inspector.pending.length).toBe(3);
    store.dispatch({ type: 'inspector/resume' });
    expect(store.getState().inspector.rows.map((m) => m.id)).toEqual([5, 4, 3, 2, 1]);
    expect(store.getState().inspector.pending).toEqual([]);
  });

  it('older pages append below the oldest row', () => {
    const store = createL2Store();
    store.dispatch({ type: 'inspector/request', gen: 1, keepRows: false });
    store.dispatch({ type: 'inspector/firstPage', gen: 1, items: [msg(10), msg(9)], nextCursor: 9 });
    store.dispatch({ type: 'inspector/olderRequest' });
    store.dispatch({ type: 'inspector/olderPage', gen: 1, items: [msg(8), msg(7)], nextCursor: null });
    const ins = store.getState().inspector;
    expect(ins.rows.map((m) => m.id)).toEqual([10, 9, 8, 7]);
    expect(ins.nextCursor).toBeNull();
    expect(ins.loadingOlder).toBe(false);
  });
});
