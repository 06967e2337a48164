/**
 * Json columns: what goes in (any JSON-serialisable value, made storable on both databases) and
 * what comes out (validated with the domain's zod schema where one exists).
 */
import { storableJson } from '../bulk';
import type { Prisma } from '../generated/sqlite/client';

/**
 * A value as a Json column stores it: serialised and parsed back (undefined fields dropped, Dates
 * as ISO strings, class instances as plain objects) with every string made storable
 * ({@link storableJson}: PostgreSQL refuses NUL and lone surrogates).
 * @param value a JSON-serialisable object or array
 * @throws TypeError for a value with a cycle or a bigint
 */
export function jsonColumn(value: object): Prisma.InputJsonValue {
  return jsonColumnFromText(JSON.stringify(value));
}

/**
 * {@link jsonColumn} of a value the caller has serialised already (e.g. to compare it with the
 * last one written), without serialising it again.
 * @throws SyntaxError when `text` is not JSON
 */
export function jsonColumnFromText(text: string): Prisma.InputJsonValue {
  return storableJson(JSON.parse(text) as Prisma.InputJsonValue);
}

/** The result of reading a Json column through a schema: the value, or why it does not fit. */
export type ParsedColumn<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Validate a Json column's value with a parse function (a domain zod schema's `parse`, e.g.
 * `parseNodeSnapshot`, `bumReportSchema.parse`). Never throws: a row that does not fit (written by
 * another version, edited by hand) comes back as `{ ok: false, error }` with the first issue.
 */
export function parseColumn<T>(value: unknown, parse: (json: unknown) => T): ParsedColumn<T> {
  try {
    return { ok: true, value: parse(value) };
  } catch (err) {
    return { ok: false, error: (err as Error).message.slice(0, 300) };
  }
}
