/**
 * Multi-row INSERT for the append-only tables the worker writes in batches (Message, MessageRef,
 * ModelChange). Prisma's `createMany` issues one statement per row through the driver adapters
 * and costs ~0.6 ms a row here; one parameterised statement per chunk through
 * `$executeRawUnsafe` stores exactly the same values (the adapter converts Date, bigint,
 * Uint8Array and booleans as it does for the ORM) several times faster. `npm run bench` measures it.
 */
import type { DbProvider } from './config';
import type { Db } from './client';

/**
 * A string both databases accept: PostgreSQL text and jsonb reject NUL (`\u0000`) and jsonb
 * rejects lone UTF-16 surrogates, both of which a malformed AMQP body can carry into error
 * messages, routing keys or decoded arguments. NUL becomes U+FFFD, lone surrogates too.
 */
export function storableString(s: string): string {
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD').toWellFormed() : s.toWellFormed();
}

/** Deepest nesting {@link storableJson} keeps by default (a decoded message is capped at 64 by the decoder). */
export const STORABLE_MAX_DEPTH = 128;

/** What {@link storableJson} stores in place of an array or object nested deeper than its `maxDepth`. */
export const CUT_TOO_DEEP = '[l2scope: cut, nested too deep to store]';

/**
 * {@link storableString} applied to every string (keys included) of a JSON-serialisable value,
 * as a copy. Iterative (an explicit work list, no recursion), so no input can overflow the stack;
 * an array or object deeper than `maxDepth` is replaced by {@link CUT_TOO_DEEP}, because the
 * serialisers after it (`JSON.stringify`, PostgreSQL's jsonb parser) recurse. `undefined` object
 * fields are dropped, Dates and byte arrays kept as they are, other objects copied as plain ones.
 * @param value any JSON-serialisable value
 * @param maxDepth containers nested deeper than this are cut (the top-level one is depth 1)
 */
export function storableJson<T>(value: T, maxDepth = STORABLE_MAX_DEPTH): T {
  const holder: unknown[] = [undefined];
  // [source container, its copy, depth of the copy]
  const work: [src: object, out: unknown[] | Record<string, unknown>, depth: number][] = [];
  const copy = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return storableString(v);
    if (v === null || typeof v !== 'object' || v instanceof Date || v instanceof Uint8Array) return v;
    if (depth > maxDepth) return CUT_TOO_DEEP;
    const out = Array.isArray(v) ? new Array<unknown>(v.length) : {};
    work.push([v, out, depth]);
    return out;
  };
  holder[0] = copy(value, 1);
  for (let item = work.pop(); item; item = work.pop()) {
    const [src, out, depth] = item;
    if (Array.isArray(src)) {
      const arr = out as unknown[];
      for (let i = 0; i < src.length; i++) arr[i] = copy(src[i], depth + 1);
    } else {
      const rec = out as Record<string, unknown>;
      for (const [k, v] of Object.entries(src)) if (v !== undefined) rec[storableString(k)] = copy(v, depth + 1);
    }
  }
  return holder[0] as T;
}

/** A table as bulk-inserted: its columns, and which of them are Json (stored as jsonb on PostgreSQL, text on SQLite). */
export interface BulkTable {
  name: string;
  columns: readonly string[];
  json?: readonly string[];
  /** Insert-or-ignore: rows conflicting on this unique index's columns are skipped (`ON CONFLICT (...) DO NOTHING`, both databases). */
  onConflictDoNothing?: readonly string[];
}

/**
 * Insert `rows` (each a value per column, in `table.columns` order) in chunks of at most
 * `maxParams` bound parameters. Json columns take any JSON-serialisable value (null stays SQL NULL).
 * Strings are made storable on both databases first ({@link storableString}).
 * Runs on a client or an interactive transaction; throws the driver's error (constraint violations included).
 */
export async function insertRows(
  db: Pick<Db, '$executeRawUnsafe'>,
  provider: DbProvider,
  table: BulkTable,
  rows: readonly (readonly unknown[])[],
  maxParams = 2000,
): Promise<void> {
  if (rows.length === 0) return;
  const width = table.columns.length;
  const isJson = table.columns.map((c) => table.json?.includes(c) ?? false);
  const head = `INSERT INTO "${table.name}" (${table.columns.map((c) => `"${c}"`).join(', ')}) VALUES `;
  const perChunk = Math.max(1, Math.floor(maxParams / width));
  for (let start = 0; start < rows.length; start += perChunk) {
    const chunk = rows.slice(start, start + perChunk);
    const params: unknown[] = [];
    const tuples: string[] = [];
    for (const row of chunk) {
      if (row.length !== width) throw new Error(`insertRows(${table.name}): a row has ${row.length} values for ${width} columns`);
      const slots: string[] = [];
      row.forEach((value, i) => {
        const json = isJson[i];
        if (value === null || value === undefined) params.push(null);
        else if (json) params.push(JSON.stringify(storableJson(value)));
        else params.push(typeof value === 'string' ? storableString(value) : value);
        const p = provider === 'postgresql' ? `$${params.length}` : '?';
        slots.push(json && provider === 'postgresql' ? `CAST(${p} AS jsonb)` : p);
      });
      tuples.push(`(${slots.join(', ')})`);
    }
    const tail = table.onConflictDoNothing ? ` ON CONFLICT (${table.onConflictDoNothing.map((c) => `"${c}"`).join(', ')}) DO NOTHING` : '';
    await db.$executeRawUnsafe(head + tuples.join(', ') + tail, ...params);
  }
}
