/**
 * Caps on the shape of untrusted JSON, checked on the raw text BEFORE `JSON.parse` and before any
 * validation or walk (docs/wire-format.md#poison-input). A body from the broker or an agent is
 * hostile: nesting ~6,000 deep overflows the stack of every recursive walk after the parse
 * (`JSON.stringify`, zod, the storable-string walk), and hundreds of thousands of entries make
 * every later linear step long. The scanner itself is iterative, allocates nothing and reads
 * each character at most twice (a string's closing quote is found with `indexOf`).
 */

/** Shape caps for one JSON document (one level: oslo's envelope and its inner message are two). */
export interface JsonLimits {
  /** Deepest nesting of arrays and objects accepted; `[]` is depth 1. */
  maxDepth: number;
  /**
   * Most entries accepted in the whole document: array elements plus object members (an empty
   * array or object counts as one), over all containers together.
   */
  maxEntries: number;
}

/**
 * The defaults: 64 levels (in the captures in fixtures/ the inner message of an l2pop cast or a
 * `report_state` is at most 8 deep, the deepest of all, an oslo versioned object `push`, 11) and 1,000,000 entries (a 3.75 MB
 * host-directed cast to 40,000 VTEPs has ~280,000; the 8 MiB decode limit allows ~4,000,000).
 */
export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = Object.freeze({ maxDepth: 64, maxEntries: 1_000_000 });

/** Why a document exceeds the caps: `too_deep` or `too_many_entries`, with a message naming the cap. */
export interface JsonLimitProblem {
  reason: 'too_deep' | 'too_many_entries';
  message: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

/**
 * Check `text` (meant to be JSON) against `limits`, without parsing it: one pass over its
 * characters counting nesting and entries outside strings (a string's escapes are skipped). It
 * does not check the text is JSON: `JSON.parse` does that afterwards, on a text now known to be
 * shallow and bounded. Never throws.
 *
 * @param text the raw JSON text (a body decoded as UTF-8, or oslo's inner `oslo.message` string)
 * @param limits the caps (default {@link DEFAULT_JSON_LIMITS})
 * @returns null when within the caps, else the first cap exceeded (reading left to right)
 */
export function checkJsonLimits(text: string, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonLimitProblem | null {
  const { maxDepth, maxEntries } = limits;
  const n = text.length;
  let depth = 0;
  let entries = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // skip the string: to the next quote preceded by an even number of backslashes (indexOf is
      // native and fast: oslo's envelope is one long string, the inner message)
      let q = i;
      for (;;) {
        q = text.indexOf('"', q + 1);
        if (q < 0) return null;
        let k = q - 1;
        while (text.charCodeAt(k) === BACKSLASH) k--;
        if ((q - 1 - k) % 2 === 0) break;
      }
      i = q;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return { reason: 'too_deep', message: `JSON nested deeper than ${maxDepth} levels (at character ${i})` };
      if (++entries > maxEntries) return tooMany(maxEntries, i);
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth > 0) depth--;
    } else if (c === COMMA) {
      if (++entries > maxEntries) return tooMany(maxEntries, i);
    }
  }
  return null;
}

function tooMany(maxEntries: number, at: number): JsonLimitProblem {
  return { reason: 'too_many_entries', message: `JSON has more than ${maxEntries} array elements and object members (at character ${at})` };
}
