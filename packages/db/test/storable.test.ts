/**
 * storableJson / storableJsonText on hostile values (docs/wire-format.md#poison-input): no
 * recursion, strings made storable, the batch path's text equal to the copy's JSON.
 */
import { describe, expect, it } from 'vitest';
import { CUT_TOO_DEEP, storableJson, storableJsonText } from '../src/index';

/** A value nested `depth` arrays deep around `leaf`, built without recursion. */
function nestedArrays(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe('storableJson (poison input: docs/wire-format.md#poison-input)', () => {
  it('copies honest values exactly as before: strings made storable, undefined fields dropped, order kept', () => {
    const d = new Date(5);
    const bytes = new Uint8Array([1, 2]);
    const v = { b: ['x\u0000', { c: undefined, d: 1, 'k\ud800': null }], a: true, d, bytes, n: [[[]]] };
    const out = storableJson(v);
    expect(out).toEqual({ b: ['x\uFFFD', { d: 1, 'k\uFFFD': null }], a: true, d, bytes, n: [[[]]] });
    expect(Object.keys(out)).toEqual(['b', 'a', 'd', 'bytes', 'n']);
    expect(out.d).toBe(d);
    expect(storableJson('\u0000')).toBe('\uFFFD');
    expect(storableJson(null)).toBeNull();
  });

  it('never recurses: 100,000 levels are cut at maxDepth, and what it returns serialises', () => {
    const out = storableJson({ headers: nestedArrays(100_000, 'leaf') });
    let v: unknown = out.headers;
    let depth = 1;
    while (Array.isArray(v)) {
      v = v[0];
      depth++;
    }
    // the object is level 1, `headers` level 2: arrays on levels 2..128 are kept, level 129 is cut
    expect(v).toBe(CUT_TOO_DEEP);
    expect(depth).toBe(128);
    expect(() => JSON.stringify(out)).not.toThrow();
    expect(storableJson([[['a']]], 2)).toEqual([[CUT_TOO_DEEP]]);
  });
});

describe('storableJsonText (the batch path: text of storableJson without the copy)', () => {
  it('is JSON.stringify(storableJson(v)) for honest and hostile values', () => {
    const values: unknown[] = [
      { b: ['x\u0000', { c: undefined, d: 1, 'k\ud800': null }], a: true, d: new Date(5), n: [[[]]] },
      { text: 'a literal backslash-u: \\u0000 and \\ud800, a pair: \u{1F600}, quotes "\\"' },
      ['\udfff', '\ud83d', 'ok'],
      nestedArrays(200, 'leaf'),
      nestedArrays(127, { k: 'v' }),
      { headers: nestedArrays(100_000, 1) },
      'plain',
      null,
      42,
      { tab: '\t', nl: '\n', ctl: '\u0001', del: '\u007f' },
    ];
    for (const v of values) expect(storableJsonText(v)).toBe(JSON.stringify(storableJson(v)));
    expect(storableJsonText([[['a']]], 2)).toBe(JSON.stringify([[CUT_TOO_DEEP]]));
    expect(storableJsonText([['a']], 2)).toBe('[["a"]]');
  });
});
