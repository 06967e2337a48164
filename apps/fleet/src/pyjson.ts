/**
 * JSON text as Python's `json.dumps` writes it with its defaults (what oslo.messaging's
 * `jsonutils.dumps` produces on the wire): `", "` and `": "` separators, keys in insertion order,
 * every character outside ASCII escaped as `\uXXXX` (ensure_ascii). Numbers are written as
 * JavaScript writes them, so only integers round-trip exactly (a Python float `1.0` would become
 * `1`): l2pop casts carry none.
 */

/** A JSON value this serialiser accepts. */
export type PyJsonValue = string | number | boolean | null | readonly PyJsonValue[] | { readonly [key: string]: PyJsonValue };

/** `s` as a JSON string literal, escaped like Python's `json.dumps(s)` (ensure_ascii=True). */
export function pyString(s: string): string {
  // JSON.stringify escapes '"', '\\' and control characters exactly as Python does (\n, \t,
  // \u001f, ... with lower-case hex); Python also escapes everything past 0x7e
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Serialise `value` like Python's `json.dumps(value)`.
 * @throws Error on a non-finite number (Python would write `NaN`/`Infinity`, not JSON)
 */
export function pyJson(value: PyJsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return pyString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`pyJson: ${value} is not JSON`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${(value as readonly PyJsonValue[]).map(pyJson).join(', ')}]`;
  const obj = value as { readonly [key: string]: PyJsonValue };
  return `{${Object.keys(obj)
    .map((k) => `${pyString(k)}: ${pyJson(obj[k]!)}`)
    .join(', ')}}`;
}
