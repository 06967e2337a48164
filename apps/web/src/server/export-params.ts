/** Query string -> the raw object `messageFilterSchema` validates (numbers parsed, empty values dropped). */

const STRING_KEYS = ['method', 'network', 'host', 'vtep', 'text'] as const;
const NUMBER_KEYS = ['vni', 'before', 'after'] as const;

/**
 * Build the filter input from URL search params. Unknown keys are ignored; a number that does not
 * parse is passed through as a string so the schema rejects it with a clear message.
 */
export function filterFromSearchParams(params: URLSearchParams): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const key of STRING_KEYS) {
    const v = params.get(key);
    if (v !== null && v !== '') out[key] = v;
  }
  for (const key of NUMBER_KEYS) {
    const v = params.get(key);
    if (v === null || v === '') continue;
    const n = Number(v);
    out[key] = /^\d+$/.test(v.trim()) && Number.isSafeInteger(n) ? n : v;
  }
  return out;
}
