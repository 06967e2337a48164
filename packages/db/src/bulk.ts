/**
 * Bulk INSERT for the tables the worker writes in batches (Message, MessageRef, ModelChange and
 * the model projection). Prisma's `createMany` issues one statement per row through the driver
 * adapters and costs ~0.6 ms a row here. On SQLite, one parameterised multi-row statement per
 * chunk through `$executeRawUnsafe` stores exactly the same values (the adapter converts Date,
 * bigint, Uint8Array and booleans as it does for the ORM). On PostgreSQL, a table that declares
 * its column types ({@link BulkTable.pgTypes}) is written with ONE statement whatever the number
 * of rows: `INSERT ... SELECT * FROM unnest($1::type[], ...)`, one array parameter per column,
 * so the server parses and binds a handful of parameters instead of one per value.
 * `npm run bench` measures both.
 */
import type { DbProvider } from './config';
import type { Db } from './client';
import type { SqlTx } from './sql-tx';

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

/**
 * {@link storableJson}'s value as JSON text, i.e. `JSON.stringify(storableJson(value, maxDepth))`,
 * without copying the value when it needs no change (the common case): the value is serialised
 * once and its text checked in one pass for an escaped NUL (`\u0000`), an escaped lone surrogate
 * (`\ud800`-`\udfff`: `JSON.stringify` escapes exactly those) and nesting deeper than `maxDepth`;
 * only when one is found (or serialising throws, e.g. on a value too deep for the stack) is the
 * copy made. Throws what `JSON.stringify` throws on the copy (a bigint).
 * @returns JSON text both databases store as it is
 */
export function storableJsonText(value: unknown, maxDepth = STORABLE_MAX_DEPTH): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text !== undefined && jsonTextStorable(text, maxDepth)) return text;
  return JSON.stringify(storableJson(value, maxDepth));
}

/** JSON text (as `JSON.stringify` writes it) without an escaped NUL or lone surrogate and nested at most `maxDepth` deep. */
function jsonTextStorable(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x22) inString = false;
      else if (c === 0x5c) {
        if (text.charCodeAt(i + 1) === 0x75) {
          const code = parseInt(text.slice(i + 2, i + 6), 16);
          if (code === 0 || (code >= 0xd800 && code <= 0xdfff)) return false;
          i += 5;
        } else i++;
      }
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return false;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return true;
}

/** PostgreSQL type of a bulk-inserted column, as {@link insertRows} casts its array parameter. */
export type PgColumnType = 'bigint' | 'integer' | 'text' | 'boolean' | 'timestamp(3)' | 'jsonb' | 'bytea';

/** A table as bulk-inserted: its columns, and which of them are Json (stored as jsonb on PostgreSQL, text on SQLite). */
export interface BulkTable {
  name: string;
  columns: readonly string[];
  json?: readonly string[];
  /**
   * PostgreSQL type of each column (in `columns` order, as the migrations declare them): with it,
   * PostgreSQL gets one `unnest` statement per call instead of chunks of multi-row VALUES.
   */
  pgTypes?: readonly PgColumnType[];
  /** Insert-or-ignore: rows conflicting on this unique index's columns are skipped (`ON CONFLICT (...) DO NOTHING`, both databases). */
  onConflictDoNothing?: readonly string[];
}

/**
 * Bound parameters per statement on SQLite: libsql's SQLite allows 32,766
 * (SQLITE_MAX_VARIABLE_NUMBER); a worker batch of 1,000 messages (18 columns) is then one
 * statement instead of nine. Every statement costs a Prisma round trip and a fresh `prepare` (the
 * SQL text differs with the row count), which is most of the write time of small chunks.
 */
export const SQLITE_MAX_PARAMS = 30_000;

/** Bound parameters per multi-row VALUES statement on PostgreSQL (a table without {@link BulkTable.pgTypes}). */
export const PG_MAX_PARAMS = 2000;

/**
 * Insert `rows` (each a value per column, in `table.columns` order) in chunks of at most
 * `maxParams` bound parameters ({@link SQLITE_MAX_PARAMS} on SQLite, {@link PG_MAX_PARAMS} on PostgreSQL by default). Json columns take any JSON-serialisable value (null stays SQL NULL).
 * Strings are made storable on both databases first ({@link storableString}).
 * Runs on a client or an interactive transaction; throws the driver's error (constraint violations included).
 */
export async function insertRows(
  db: Pick<Db, '$executeRawUnsafe'>,
  provider: DbProvider,
  table: BulkTable,
  rows: readonly (readonly unknown[])[],
  maxParams = provider === 'sqlite' ? SQLITE_MAX_PARAMS : PG_MAX_PARAMS,
): Promise<void> {
  if (rows.length === 0) return;
  if (provider === 'postgresql' && table.pgTypes) return insertUnnest(db, table, table.pgTypes, rows);
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
        else if (json) params.push(storableJsonText(value));
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

/**
 * {@link insertRows} inside a {@link SqlTx} (the batch commit's transaction past Prisma): the same
 * values stored. SQLite: one single-row INSERT, prepared once, run per row (no SQL text that varies
 * with the row count, so nothing to re-prepare). PostgreSQL: a table with `pgTypes` is one `unnest`
 * statement as in {@link insertRows} (prepared once per connection); one without, a single-row
 * INSERT per row.
 */
export async function insertRowsTx(tx: SqlTx, table: BulkTable, rows: readonly (readonly unknown[])[]): Promise<void> {
  if (rows.length === 0) return;
  const width = table.columns.length;
  const tail = table.onConflictDoNothing ? ` ON CONFLICT (${table.onConflictDoNothing.map((c) => `"${c}"`).join(', ')}) DO NOTHING` : '';
  const names = table.columns.map((c) => `"${c}"`).join(', ');
  if (tx.provider === 'postgresql' && table.pgTypes) {
    const columns = unnestColumns(table, table.pgTypes, rows);
    const arrays = table.pgTypes.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
    await tx.run(`INSERT INTO "${table.name}" (${names}) SELECT * FROM unnest(${arrays})${tail}`, columns);
    return;
  }
  const isJson = table.columns.map((c) => table.json?.includes(c) ?? false);
  const slots = table.columns.map((_, i) => {
    const p = tx.provider === 'postgresql' ? `$${i + 1}` : '?';
    return isJson[i] && tx.provider === 'postgresql' ? `CAST(${p} AS jsonb)` : p;
  });
  const values = rows.map((row) => {
    if (row.length !== width) throw new Error(`insertRows(${table.name}): a row has ${row.length} values for ${width} columns`);
    return row.map((value, i) => {
      if (value === null || value === undefined) return null;
      if (isJson[i]) return storableJsonText(value);
      return typeof value === 'string' ? storableString(value) : value;
    });
  });
  const tuple = `(${slots.join(', ')})`;
  const head = `INSERT INTO "${table.name}" (${names}) VALUES `;
  // SQLite: full chunks of rows per statement (one SQL text, prepared once), the rest one row each
  const per = tx.provider === 'sqlite' ? Math.max(1, Math.floor(SQLITE_ROWS_PARAMS / width)) : 1;
  const full = per > 1 ? values.length - (values.length % per) : 0;
  if (full > 0) {
    const chunks: unknown[][] = [];
    for (let i = 0; i < full; i += per) chunks.push(values.slice(i, i + per).flat());
    await tx.runEach(`${head}${new Array<string>(per).fill(tuple).join(', ')}${tail}`, chunks);
  }
  await tx.runEach(`${head}${tuple}${tail}`, full > 0 ? values.slice(full) : values);
}

/** Bound parameters per multi-row statement of {@link insertRowsTx} on SQLite (one native call binds a chunk of rows). */
const SQLITE_ROWS_PARAMS = 1000;

/** A UTC timestamp as PostgreSQL reads a `timestamp(3)` (what adapter-pg sends for a Date). */
function pgTimestamp(d: Date): string {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ, or ±YYYYYY-... outside years 0-9999
  if (iso.length !== 24) throw new RangeError(`insertRows: date out of range: ${iso}`);
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** One value as an element of a PostgreSQL array literal of `type` (pg quotes and escapes it). */
function pgElement(value: unknown, type: PgColumnType, json: boolean): string | null {
  if (value === null || value === undefined) return null;
  if (json) return storableJsonText(value);
  if (type === 'bytea') {
    if (!(value instanceof Uint8Array)) throw new TypeError('insertRows: a bytea value must be a Uint8Array');
    return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  }
  if (value instanceof Date) return pgTimestamp(value);
  if (typeof value === 'string') return storableString(value);
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new TypeError(`insertRows: cannot store a ${typeof value} in a ${type} column`);
}

/**
 * PostgreSQL: every row in ONE statement, `INSERT INTO t (...) SELECT * FROM unnest($1::type[], ...)`
 * (one array parameter per column; unnest of several arrays zips them into rows). Same values as
 * the multi-row path: strings made storable, Json as {@link storableJsonText}, timestamps in UTC.
 */
async function insertUnnest(
  db: Pick<Db, '$executeRawUnsafe'>,
  table: BulkTable,
  types: readonly PgColumnType[],
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  const columns = unnestColumns(table, types, rows);
  const names = table.columns.map((c) => `"${c}"`).join(', ');
  const arrays = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  const tail = table.onConflictDoNothing ? ` ON CONFLICT (${table.onConflictDoNothing.map((c) => `"${c}"`).join(', ')}) DO NOTHING` : '';
  await db.$executeRawUnsafe(`INSERT INTO "${table.name}" (${names}) SELECT * FROM unnest(${arrays})${tail}`, ...columns);
}

/** The rows as one array of PostgreSQL element literals per column (the parameters of an `unnest` insert). */
function unnestColumns(table: BulkTable, types: readonly PgColumnType[], rows: readonly (readonly unknown[])[]): (string | null)[][] {
  const width = table.columns.length;
  if (types.length !== width) throw new Error(`insertRows(${table.name}): ${types.length} pgTypes for ${width} columns`);
  const isJson = table.columns.map((c) => table.json?.includes(c) ?? false);
  const columns: (string | null)[][] = table.columns.map(() => new Array<string | null>(rows.length));
  rows.forEach((row, r) => {
    if (row.length !== width) throw new Error(`insertRows(${table.name}): a row has ${row.length} values for ${width} columns`);
    for (let i = 0; i < width; i++) columns[i]![r] = pgElement(row[i], types[i]!, isJson[i]!);
  });
  return columns;
}
