/**
 * zod collections that stop at their first invalid entry (docs/wire-format.md#poison-input).
 *
 * `z.array` and `z.record` validate every entry and collect an issue for each bad one: an
 * `add_fdb_entries` with 80,000 invalid `[mac, ip]` pairs builds ~160,000 issues, and zod then
 * spreads them into its parent's list (`push(...issues)`), which overflows the stack. These
 * combinators validate the same entries in the same order with the same schemas, but give up at
 * the first entry that fails and report only its issues (path prefixed as zod does), so the first
 * issue, the one l2scope shows (`zodProblem`), is exactly zod's own first issue.
 */
import { z } from 'zod';

/** The issues of a failed entry, with `prefix` in front of each path (one entry's issues: a few). */
function pushIssues(ctx: z.core.$RefinementCtx<unknown>, input: unknown, prefix: PropertyKey[], error: z.ZodError): void {
  for (const issue of error.issues.slice(0, 4)) {
    ctx.issues.push({ code: 'custom', message: issue.message, path: [...prefix, ...issue.path], input });
  }
}

/**
 * The issues zod itself reports for an input of the wrong container type (not an array, not an
 * object): the fast paths below check the type by hand and ask `shape` only when it is wrong, so
 * the message is zod's own.
 */
function shapeIssues(shape: z.ZodType, input: unknown, ctx: z.core.$RefinementCtx<unknown>): never {
  const r = shape.safeParse(input);
  if (!r.success) for (const issue of r.error.issues.slice(0, 4)) ctx.issues.push({ ...issue, input } as z.core.$ZodRawIssue);
  return z.NEVER;
}

/**
 * `z.array(item)` that stops at the first invalid element.
 * @param item the element schema (its transforms apply to the output, as in `z.array`)
 * @returns a schema whose output is `z.output<item>[]`; on failure, the first bad element's issues only
 */
export function arrayUntilInvalid<T extends z.ZodType>(item: T) {
  const shape = z.array(z.unknown());
  return z.unknown().transform((arr, ctx): z.output<T>[] => {
    if (!Array.isArray(arr)) return shapeIssues(shape, arr, ctx);
    const out: z.output<T>[] = [];
    for (let i = 0; i < arr.length; i++) {
      const r = item.safeParse(arr[i]);
      if (!r.success) {
        pushIssues(ctx, arr[i], [i], r.error);
        return z.NEVER;
      }
      out.push(r.data);
    }
    return out;
  });
}

/**
 * `z.record(key, value)` (string keys) that stops at the first invalid key or value, in key order.
 * An invalid key is reported as zod does, an issue at that key's path.
 * @returns a schema whose output is `Record<string, z.output<value>>`; on failure, the first bad entry's issues only
 */
export function recordUntilInvalid<K extends z.ZodType<string, string>, V extends z.ZodType>(key: K, value: V) {
  const shape = z.record(z.string(), z.unknown());
  return z.unknown().transform((rec, ctx): Record<z.output<K>, z.output<V>> => {
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return shapeIssues(shape, rec, ctx);
    const out: Record<string, z.output<V>> = {};
    for (const k in rec) {
      if (!Object.prototype.hasOwnProperty.call(rec, k)) continue;
      const v = (rec as Record<string, unknown>)[k];
      const rk = key.safeParse(k);
      if (!rk.success) {
        ctx.issues.push({ code: 'custom', message: 'Invalid key in record', path: [k], input: k });
        return z.NEVER;
      }
      const rv = value.safeParse(v);
      if (!rv.success) {
        pushIssues(ctx, v, [k], rv.error);
        return z.NEVER;
      }
      out[rk.data] = rv.data;
    }
    return out as Record<z.output<K>, z.output<V>>;
  });
}
