/** The time slider's pure parts: `?at=` parsing, the span it covers, URL rewriting, findings opened / resolved. */
import { describe, expect, it } from 'vitest';
import { findingsChanged, parseAt, sliderSpan, withParam } from '../src/history/time-range';

describe('time slider', () => {
  it('reads T from the URL as ISO-8601, ignores what is not a time', () => {
    expect(parseAt('2026-12-06T18:00:00Z')).toBe('2026-12-06T18:00:00.000Z');
    expect(parseAt('yesterday')).toBeNull();
    expect(parseAt(null)).toBeNull();
  });

  it('spans the retained history to now, and keeps T inside', () => {
    const now = Date.parse('2026-12-06T18:00:00Z');
    expect(sliderSpan({ from: '2026-12-06T10:00:00Z', to: '2026-12-06T12:00:00Z' }, now, now - 1000)).toEqual({
      min: Date.parse('2026-12-06T10:00:00Z'),
      max: now,
    });
    expect(sliderSpan(null, now, now - 7_200_000)).toEqual({ min: now - 7_200_000, max: now });
  });

  it('rewrites at / to and keeps other parameters; leaving T drops the second time', () => {
    expect(withParam('x=1', 'at', '2026-12-06T18:00:00.000Z')).toBe('?x=1&at=2026-12-06T18%3A00%3A00.000Z');
    expect(withParam('at=a&to=b&x=1', 'at', null)).toBe('?x=1');
  });

  it('lists findings opened and resolved between two times by kind and network', () => {
    const f = (kind: string, network: string) => ({ kind, network, hosts: ['h'], detail: '' });
    const r = findingsChanged([f('a', 'n1'), f('b', 'n1')], [f('b', 'n1'), f('a', 'n2')]);
    expect(r.opened).toEqual([f('a', 'n2')]);
    expect(r.resolved).toEqual([f('a', 'n1')]);
  });
});
