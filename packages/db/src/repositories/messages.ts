/**
 * Message rows: every AMQP message the worker received (decodable or not), with the refs the
 * inspector filters on (MessageRef: network, VNI, VTEP, host) and the model changes it caused
 * (ModelChange). The worker appends them in batches ({@link insertMessages}, inside the batch
 * transaction) and prunes the oldest; the dashboard lists, filters, opens and exports them.
 *
 * The column list is declared once ({@link MESSAGE_COLUMNS}): the bulk insert writes all of them, an
 * inspector row reads the {@link SUMMARY_COLUMNS} and is made by the domain's `summarizeMessage`,
 * the same function the worker's live push uses.
 */
import {
  type AmqpProperties,
  type CaptureRecord,
  type DecodeResult,
  type MessageKind,
  type MessageRefs,
  type MessageSummary,
  type ModelChange,
  amqpPropertiesSchema,
  decodeMessage,
  isDvrMethod,
  modelChangeKey,
  summarizeMessage,
} from '@l2scope/domain';
import { type BulkTable, type PgColumnType, insertRowsTx, storableJson, storableString } from '../bulk';
import { type Db, clientProvider } from '../client';
import type { SqlTx } from '../sql-tx';
import { parseColumn } from './json';
import { MESSAGE_PAGE_MAX, type MessageFilter, messagePageIds } from './message-query';
import { listNetworksWithDeleted } from './model-projection';

/**
 * A message as the worker ingested it, ready to be stored (the worker's `IngestedMessage` is one).
 * `raw` is the body with secrets redacted, cut at the worker's `--max-raw-bytes` (`rawTruncated`).
 */
export interface MessageRecord {
  /** Worker-assigned id, strictly increasing (the model's `seq` once folded). */
  id: number;
  delivery: {
    /** Epoch ms received. */
    receivedAt: number;
    exchange: string;
    routingKey: string;
    /** amqplib message properties as received. */
    properties: AmqpProperties;
    /** The body as received (its length is the stored `size`). */
    body: Uint8Array;
    /** `amqp` (live tap) or `replay`. */
    source: string;
    /** The broker redelivered it (AMQP `redelivered`): skipped if its delivery identity is already stored. */
    redelivered?: boolean;
  };
  result: DecodeResult;
  refs: MessageRefs;
  raw: Uint8Array;
  rawTruncated: boolean;
  /** Lower-case text the free-text filter searches (domain `messageSearchText`). */
  search: string;
  /** What folding the message into the model changed, in order. */
  changes: readonly ModelChange[];
}

/** Every column of Message, in insert order. */
export const MESSAGE_COLUMNS = [
  'id',
  'receivedAt',
  'exchange',
  'routingKey',
  'method',
  'kind',
  'target',
  'ok',
  'errorReason',
  'error',
  'decoded',
  'properties',
  'raw',
  'rawTruncated',
  'size',
  'source',
  'search',
  'uniqueId',
] as const;
type MessageColumn = (typeof MESSAGE_COLUMNS)[number];

/** The Message columns an inspector row is made of (plus its refs). */
export const SUMMARY_COLUMNS = [
  'id',
  'receivedAt',
  'exchange',
  'routingKey',
  'method',
  'kind',
  'target',
  'ok',
  'errorReason',
  'error',
  'size',
  'source',
] as const satisfies readonly MessageColumn[];

/** PostgreSQL types of {@link MESSAGE_COLUMNS} (as the migrations declare them). */
const MESSAGE_PG_TYPES: Record<MessageColumn, PgColumnType> = {
  id: 'bigint',
  receivedAt: 'timestamp(3)',
  exchange: 'text',
  routingKey: 'text',
  method: 'text',
  kind: 'text',
  target: 'text',
  ok: 'boolean',
  errorReason: 'text',
  error: 'text',
  decoded: 'jsonb',
  properties: 'jsonb',
  raw: 'bytea',
  rawTruncated: 'boolean',
  size: 'integer',
  source: 'text',
  search: 'text',
  uniqueId: 'text',
};
/** The Message table as the batch insert writes it (columns, JSON columns, PostgreSQL types, insert-or-ignore key). */
export const MESSAGE_TABLE: BulkTable = {
  name: 'Message',
  columns: MESSAGE_COLUMNS,
  json: ['decoded', 'properties'],
  pgTypes: MESSAGE_COLUMNS.map((c) => MESSAGE_PG_TYPES[c]),
  onConflictDoNothing: ['uniqueId'],
};
const MESSAGE_REF: BulkTable = { name: 'MessageRef', columns: ['messageId', 'kind', 'value'], pgTypes: ['bigint', 'text', 'text'] };
const MODEL_CHANGE: BulkTable = {
  name: 'ModelChange',
  columns: ['messageId', 'idx', 'at', 'type', 'key', 'payload'],
  json: ['payload'],
  pgTypes: ['bigint', 'integer', 'timestamp(3)', 'text', 'text', 'jsonb'],
};

/** A Prisma `select` of these columns. */
function selectOf<const C extends readonly string[]>(columns: C): { [K in C[number]]: true } {
  return Object.fromEntries(columns.map((c) => [c, true])) as { [K in C[number]]: true };
}

/** What {@link summaryOf} needs: the summary columns and the refs. */
const SUMMARY_SELECT = { ...selectOf(SUMMARY_COLUMNS), refs: { select: { kind: true, value: true } } } as const;

/** Key of a change without its family prefix, as stored in ModelChange.key. */
const recordKey = (c: ModelChange) => modelChangeKey(c).replace(/^[a-z]+:/, '');

/**
 * The delivery identity of a message: oslo's `_unique_id` (oslo.messaging sets a fresh one on every
 * message it sends, and its consumers drop repeats of one), else the AMQP `messageId` property,
 * else null (no identity: never deduplicated). A message redelivered by the broker (the worker died
 * between its commit and its ack) has the same identity and is stored once.
 */
export function deliveryIdentity(m: Pick<MessageRecord, 'result' | 'delivery'>): string | null {
  const fromOslo = m.result.ok ? m.result.message.oslo.uniqueId : null;
  const fromAmqp = typeof m.delivery.properties?.messageId === 'string' ? m.delivery.properties.messageId : null;
  const id = fromOslo ?? fromAmqp;
  return id ? storableString(id).slice(0, 200) : null;
}

/**
 * Whether a record's decoded message can be given back from its stored row alone
 * ({@link storedDecoded}): it decoded, and the stored raw body is the body as received, whole (not
 * cut at `--max-raw-bytes`, no secret redacted in it). The decoder is pure (exchange, routing key
 * and body in, the same `DecodedMessage` out), so such a row stores no `decoded` column. Real
 * Neutron casts carry `_context_auth_token: null`, which redaction leaves as it is. DVR casts
 * store it anyway: the DVR page reads up to 100,000 of them at once, and a decode costs more than
 * reading the column.
 */
export function decodedDerivable(m: Pick<MessageRecord, 'result' | 'raw' | 'rawTruncated' | 'delivery'>): boolean {
  // DVR casts keep theirs: rare, but the DVR page folds every stored one on each read (dvr-view.ts)
  if (!m.result.ok || m.rawTruncated || isDvrMethod(m.result.message.method)) return false;
  const body = m.delivery.body;
  if (m.raw === body) return true;
  return (
    m.raw.byteLength === body.byteLength &&
    Buffer.from(m.raw.buffer, m.raw.byteOffset, m.raw.byteLength).equals(Buffer.from(body.buffer, body.byteOffset, body.byteLength))
  );
}

/** The Message columns {@link storedDecoded} reads. */
export interface DecodedColumns {
  ok: boolean;
  exchange: string;
  routingKey: string;
  decoded: unknown;
  raw: Uint8Array;
  rawTruncated: boolean;
}

/**
 * A stored message's decoded form (domain `DecodedMessage` as JSON), null when undecodable: the
 * `decoded` column when the worker stored one (rows written before 2026-12-07, and rows whose raw
 * body is not the body as received: {@link decodedDerivable}), else decoded again from the stored
 * raw body by the domain's `decodeMessage`, made storable as the column would have held it
 * (`storableJson`). The limits of that decode are the body's own size and no depth or entry cap: the
 * worker accepted the body under its limits when it stored the row. Costs one decode (0.43 ms for
 * a 1 KiB fleet cast at a load of 11 on 2 cores); the inspector's detail pane and the DVR page
 * read through here.
 */
export function storedDecoded(row: DecodedColumns): unknown {
  if (row.decoded !== null && row.decoded !== undefined) return row.decoded;
  if (!row.ok || row.rawTruncated) return null;
  const r = decodeMessage(
    { exchange: row.exchange, routingKey: row.routingKey, body: row.raw },
    { maxBytes: row.raw.byteLength, maxDepth: Number.MAX_SAFE_INTEGER, maxEntries: Number.MAX_SAFE_INTEGER },
  );
  return r.ok ? storableJson(r.message) : null;
}

/** A record's values in {@link MESSAGE_COLUMNS} order. */
function messageValues(m: MessageRecord): unknown[] {
  const r = m.result;
  const row: Record<MessageColumn, unknown> = {
    id: BigInt(m.id),
    receivedAt: new Date(m.delivery.receivedAt),
    exchange: m.delivery.exchange,
    routingKey: m.delivery.routingKey,
    method: r.ok ? r.message.method : r.method,
    kind: r.ok ? r.message.kind : 'undecodable',
    target: r.ok ? r.message.target : r.target,
    ok: r.ok,
    errorReason: r.ok ? null : r.error.reason,
    error: r.ok ? null : r.error.message,
    // re-derived on read when the raw body gives it back (storedDecoded): half the row's bytes
    decoded: r.ok && !decodedDerivable(m) ? r.message : null,
    properties: m.delivery.properties ?? {},
    raw: m.raw,
    rawTruncated: m.rawTruncated,
    size: m.delivery.body.byteLength,
    source: m.delivery.source,
    search: m.search,
    uniqueId: deliveryIdentity(m),
  };
  return MESSAGE_COLUMNS.map((c) => row[c]);
}

/** Identities looked up per SQLite statement (padded with NULLs: one SQL text, prepared once). */
const IDENTITY_LOOKUP = 500;

/** Which of `identities` are stored (on `Message.uniqueId`). */
async function storedIdentities(tx: SqlTx, identities: readonly string[]): Promise<Set<string>> {
  const stored = new Set<string>();
  if (identities.length === 0) return stored;
  if (tx.provider === 'postgresql') {
    const rows = await tx.all<{ uniqueId: string }>('SELECT "uniqueId" FROM "Message" WHERE "uniqueId" = ANY($1::text[])', [identities]);
    for (const r of rows) stored.add(r.uniqueId);
    return stored;
  }
  const sql = `SELECT "uniqueId" FROM "Message" WHERE "uniqueId" IN (${new Array(IDENTITY_LOOKUP).fill('?').join(', ')})`;
  for (let i = 0; i < identities.length; i += IDENTITY_LOOKUP) {
    const chunk: (string | null)[] = identities.slice(i, i + IDENTITY_LOOKUP);
    while (chunk.length < IDENTITY_LOOKUP) chunk.push(null);
    for (const r of await tx.all<{ uniqueId: string }>(sql, chunk)) stored.add(r.uniqueId);
  }
  return stored;
}

/**
 * Insert messages with their refs and model changes, in the batch's write transaction
 * (`writeTransaction`). A message whose delivery identity ({@link deliveryIdentity}) is
 * already stored or repeated in the batch is skipped when the broker flagged it `redelivered` (a
 * duplicate: its refs and changes are not stored either), and stored without an identity otherwise
 * (the same message published again, e.g. a capture replayed in a loop onto the broker). The
 * Message insert is insert-or-ignore on the unique identity. Throws the driver's error (a duplicate
 * id, a value the database refuses).
 * @returns the ids of the messages skipped as duplicates
 */
export async function insertMessages(tx: SqlTx, batch: readonly MessageRecord[]): Promise<number[]> {
  const identities = batch.map(deliveryIdentity);
  const stored = await storedIdentities(tx, [...new Set(identities.filter((u): u is string => u !== null))]);
  const fresh: MessageRecord[] = [];
  const duplicates: number[] = [];
  const rows: unknown[][] = [];
  batch.forEach((m, i) => {
    const u = identities[i] ?? null;
    if (u && stored.has(u) && m.delivery.redelivered) return void duplicates.push(m.id);
    const values = messageValues(m);
    if (u && stored.has(u)) values[MESSAGE_COLUMNS.indexOf('uniqueId')] = null;
    else if (u) stored.add(u);
    fresh.push(m);
    rows.push(values);
  });
  const refs: unknown[][] = [];
  const changes: unknown[][] = [];
  for (const m of fresh) {
    const id = BigInt(m.id);
    for (const value of m.refs.networks) refs.push([id, 'network', value]);
    for (const v of m.refs.vnis) refs.push([id, 'vni', String(v)]);
    for (const value of m.refs.vteps) refs.push([id, 'vtep', value]);
    for (const value of m.refs.hosts) refs.push([id, 'host', value]);
    const at = new Date(m.delivery.receivedAt);
    m.changes.forEach((c, idx) => changes.push([id, idx, at, c.type, recordKey(c), c]));
  }
  await insertRowsTx(tx, MESSAGE_TABLE, rows);
  await insertRowsTx(tx, MESSAGE_REF, refs);
  await insertRowsTx(tx, MODEL_CHANGE, changes);
  return duplicates;
}

/** The delivery identities of the newest `limit` messages (the worker's cache of recent ones, to drop redeliveries before the model). */
export async function recentIdentities(db: Pick<Db, 'message'>, limit = 20_000): Promise<string[]> {
  const rows = await db.message.findMany({ where: { uniqueId: { not: null } }, orderBy: { id: 'desc' }, take: limit, select: { uniqueId: true } });
  return rows.map((r) => r.uniqueId!).reverse();
}

/** Highest stored message id (0 when empty). */
export async function maxMessageId(db: Pick<Db, 'message'>): Promise<number> {
  const row = await db.message.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
  return row ? Number(row.id) : 0;
}

interface SummaryRow {
  id: bigint;
  receivedAt: Date;
  exchange: string;
  routingKey: string;
  method: string | null;
  kind: string;
  target: string | null;
  ok: boolean;
  errorReason: string | null;
  error: string | null;
  size: number;
  source: string;
  refs: { kind: string; value: string }[];
}

/** An inspector row from a Message row and its refs (the domain's `summarizeMessage`, refs sorted). */
function summaryOf(m: SummaryRow): MessageSummary {
  const refs = (kind: string) =>
    m.refs
      .filter((r) => r.kind === kind)
      .map((r) => r.value)
      .sort();
  return summarizeMessage({
    id: Number(m.id),
    receivedAt: m.receivedAt.getTime(),
    exchange: m.exchange,
    routingKey: m.routingKey,
    method: m.method,
    kind: m.kind as MessageKind,
    target: m.target,
    // the worker writes both for every undecodable message; String() keeps a (never seen) null visible as "null"
    error: m.ok ? null : { reason: String(m.errorReason), message: String(m.error) },
    size: m.size,
    source: m.source,
    refs: {
      networks: refs('network'),
      vnis: refs('vni')
        .map(Number)
        .sort((a, b) => a - b),
      vteps: refs('vtep'),
      hosts: refs('host'),
    },
  });
}

/** One page of inspector rows and the cursor of the next one. */
export interface MessagePage {
  items: MessageSummary[];
  /** Pass as `before` for the next (older) page; null on the last page and when paging `after`. */
  nextCursor: number | null;
}

/** Rows read by primary key per statement (bounded by the driver's parameter limit). */
const ROWS_PER_READ = 400;

/**
 * A page of messages matching `filter`: newest first, or, with `after`, the oldest `limit` newer
 * than it (returned newest first too, a live catch-up). The ids come from one keyset query on the
 * filter's index ({@link messagePageSql}); the rows by primary key. `limit` 1..{@link MESSAGE_PAGE_MAX}.
 */
export async function listMessages(db: Pick<Db, 'message' | '$queryRawUnsafe'>, filter: MessageFilter & { limit: number }): Promise<MessagePage> {
  const limit = Math.max(1, Math.min(MESSAGE_PAGE_MAX, Math.floor(filter.limit)));
  const ids = await messagePageIds(db, clientProvider(db), filter, filter.after !== undefined ? 'asc' : 'desc', limit + 1);
  const more = ids.length > limit;
  const wanted = ids.slice(0, limit);
  const page: MessageSummary[] = [];
  // by primary key, in chunks: the driver's bound parameters are limited (libsql: 999)
  for (let i = 0; i < wanted.length; i += ROWS_PER_READ) {
    const rows = await db.message.findMany({ where: { id: { in: wanted.slice(i, i + ROWS_PER_READ) } }, orderBy: { id: 'desc' }, select: SUMMARY_SELECT });
    page.push(...rows.map(summaryOf));
  }
  page.sort((a, b) => b.id - a.id);
  return { items: page, nextCursor: more && filter.after === undefined ? page[page.length - 1]!.id : null };
}

/** One message in full, as the inspector's detail pane shows it. */
export interface MessageDetail {
  summary: MessageSummary;
  /** The decoded message (domain `DecodedMessage` JSON), null when undecodable. */
  decoded: unknown;
  /** amqplib message properties as received. */
  properties: Record<string, unknown>;
  /** The stored body (secrets redacted): UTF-8 text when it is valid UTF-8, else base64. */
  raw: { text: string | null; base64: string | null; truncated: boolean; bytes: number };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** amqplib properties of a row: validated with the domain's schema, kept as stored when they do not fit it. */
function rowProperties(json: unknown): AmqpProperties {
  const p = parseColumn(json, (j) => amqpPropertiesSchema.parse(j));
  return p.ok ? p.value : (json as AmqpProperties);
}

/** Message `id` in full; null when there is none (or it was pruned). */
export async function messageDetail(db: Pick<Db, 'message'>, id: number): Promise<MessageDetail | null> {
  const m = await db.message.findUnique({
    where: { id: BigInt(id) },
    select: { ...SUMMARY_SELECT, decoded: true, properties: true, raw: true, rawTruncated: true },
  });
  if (!m) return null;
  const decoded = storedDecoded(m);
  let text: string | null;
  try {
    text = strictUtf8.decode(m.raw);
  } catch {
    text = null;
  }
  return {
    summary: summaryOf(m),
    decoded,
    properties: rowProperties(m.properties),
    raw: { text, base64: text === null ? Buffer.from(m.raw).toString('base64') : null, truncated: m.rawTruncated, bytes: m.raw.byteLength },
  };
}

/** The values the inspector's filters offer. */
export interface MessageFacets {
  /** oslo methods of decoded messages with their counts, by name. */
  methods: { method: string; count: number }[];
  /** Messages that could not be decoded. */
  undecodable: number;
  /** Networks of the model projection, live ones by VNI then deleted ones (`deletedAt` epoch ms, null while live). */
  networks: { id: string; vni: number | null; deletedAt: number | null }[];
}

/**
 * Methods seen (with counts), the undecodable count and networks (with VNI). Hosts are not listed
 * (a fleet has thousands): the host filter asks {@link suggestMessageHosts} as the operator types.
 */
export async function messageFacets(db: Pick<Db, 'message' | 'network'>): Promise<MessageFacets> {
  const [methods, undecodable, networks] = await Promise.all([
    db.message.groupBy({ by: ['method'], where: { ok: true }, _count: { _all: true } }),
    db.message.count({ where: { ok: false } }),
    listNetworksWithDeleted(db),
  ]);
  return {
    methods: methods
      .filter((m) => m.method)
      .map((m) => ({ method: m.method!, count: m._count._all }))
      .sort((a, b) => a.method.localeCompare(b.method)),
    undecodable,
    networks,
  };
}

/** Most hosts one {@link suggestMessageHosts} answer holds. */
export const HOST_SUGGESTIONS_MAX = 20;

/** A host the inspector's host filter suggests: its id (the filter's value), name and VTEP. */
export interface HostSuggestion {
  id: string;
  name: string | null;
  vtep: string | null;
  /** The worker expired it (no report_state for --host-expiry); its messages are still stored. */
  expired: boolean;
}

/**
 * Hosts whose id, name or VTEP starts with `prefix` (case as typed: Neutron host names are
 * compared as they are), by id, at most `limit` (1..{@link HOST_SUGGESTIONS_MAX}); expired hosts
 * too, since their messages stay. An empty prefix lists the first hosts by id. Reads the Host
 * projection (one row per hypervisor), not the messages.
 */
export async function suggestMessageHosts(db: Pick<Db, 'host'>, prefix: string, limit = 10): Promise<HostSuggestion[]> {
  const take = Math.max(1, Math.min(HOST_SUGGESTIONS_MAX, Math.floor(limit)));
  const q = prefix.trim();
  const rows = await db.host.findMany({
    where: q ? { OR: [{ id: { startsWith: q } }, { name: { startsWith: q } }, { vtep: { startsWith: q } }] } : {},
    select: { id: true, name: true, vtep: true, expiredAt: true },
    orderBy: { id: 'asc' },
    take,
  });
  return rows.map((h) => ({ id: h.id, name: h.name, vtep: h.vtep, expired: h.expiredAt !== null }));
}

/**
 * The messages matching `filter` as capture records (receive time, exchange, routing key,
 * properties, stored body), oldest first, read in pages of 500.
 * @param max stop after this many messages
 */
export async function* exportMessages(db: Pick<Db, 'message' | '$queryRawUnsafe'>, filter: MessageFilter, max = 1_000_000): AsyncGenerator<CaptureRecord> {
  const provider = clientProvider(db);
  let after = filter.after ?? 0;
  let n = 0;
  for (;;) {
    const ids = await messagePageIds(db, provider, { ...filter, after }, 'asc', Math.min(500, max - n));
    const rows = ids.length
      ? await db.message.findMany({
          where: { id: { in: ids } },
          orderBy: { id: 'asc' },
          select: { id: true, receivedAt: true, exchange: true, routingKey: true, properties: true, raw: true },
        })
      : [];
    for (const r of rows) yield { ts: r.receivedAt, exchange: r.exchange, routingKey: r.routingKey, properties: rowProperties(r.properties), body: r.raw };
    n += rows.length;
    if (rows.length === 0 || n >= max) return;
    after = Number(rows[rows.length - 1]!.id);
  }
}
