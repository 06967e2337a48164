/**
 * The inspector's filters as one SQL statement per page, written for the indexes that serve them
 * (prisma/models.prisma, the PostgreSQL trigram migration), on a million stored messages:
 *
 * - a reference (host, network, VNI, VTEP) drives from `MessageRef`'s primary key
 *   (kind, value, messageId): the newest ids of that value come straight off the index; more
 *   references are EXISTS probes on the same key;
 * - method, undecodable (`ok`) and kind use `(method, id)`, `(ok, id)`, `(kind, id)`: equality
 *   then the id order, so a page is read off the index without a sort;
 * - the time range uses `receivedAt`'s index, or a newest-first scan that stops at the page;
 * - free text, the same rows on both databases: the text, trimmed and lower-cased, as a plain
 *   substring of the lower-case `search` column. `LIKE '%…%'` on PostgreSQL (a GIN
 *   `gin_trgm_ops` index for three characters or more). On SQLite, from three characters, the
 *   FTS5 trigram table {@link MESSAGE_SEARCH_FTS}, planned per query ({@link planMessageFilter},
 *   message-text-plan.ts): the AND of the text's rarest trigrams drives and `instr` checks each
 *   candidate; or, when every trigram is common, a reference, or a method, kind or time range
 *   holding few messages, drives and `instr` checks each row; else the text's phrase (`MATCH` on
 *   the text as one FTS5 string: a phrase of its trigrams, i.e. the substring) drives. One or two
 *   characters have no trigram: `instr`, a scan newest first that stops when the page is full (a
 *   rare pair over a million rows reads them all, docs/operations.md).
 *
 * Pages are keyset (`before` / `after` an id, never OFFSET) and bounded ({@link MESSAGE_PAGE_MAX});
 * the match count is bounded too ({@link MESSAGE_COUNT_CAP}).
 */
import type { Db } from '../client';
import type { DbProvider } from '../config';
import { MESSAGE_SEARCH_FTS } from '../hand-written';
import { FTS_RARE_MAX, type FreeTextPlan, filterText, ftsString, planFreeText, usesTrigrams } from './message-text-plan';

export { FTS_MIN_CHARS, FTS_RARE_MAX, type FreeTextPlan, ftsString, trigramsOf } from './message-text-plan';

/** Most rows one page may ask for. */
export const MESSAGE_PAGE_MAX = 1000;
/** A match count stops here: past it the inspector says "10,000+". */
export const MESSAGE_COUNT_CAP = 10_000;

/** The inspector's filters (all optional, combined with AND). */
export interface MessageFilter {
  /** Exact oslo method; `undecodable` selects messages that failed to decode. */
  method?: string;
  /** Message kind: fdb | update_fdb | report_state | network_delete | other | undecodable. */
  kind?: string;
  /** Neutron network UUID. */
  network?: string;
  vni?: number;
  /** Host name (target of a host-directed cast, or the reporting agent). */
  host?: string;
  /** VTEP address. */
  vtep?: string;
  /** Free text, matched case-insensitively against method, keys, MACs, IPs, hosts and errors. */
  text?: string;
  /** Received at or after (epoch ms). */
  since?: number;
  /** Received before (epoch ms). */
  until?: number;
  /** Only messages with id < before (paging, newest first). */
  before?: number;
  /** Only messages with id > after (catching up after a live burst, or exporting oldest first). */
  after?: number;
}

/** A statement and its parameters, in the provider's placeholder style (`?` or `$n`). */
export interface MessageSql {
  text: string;
  params: unknown[];
}

/** Escape `%`, `_` and `\` for a LIKE pattern (PostgreSQL's default escape is `\`). */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The filter's references (host, network, VNI, VTEP) as `MessageRef` kinds and values. */
function referencesOf(f: MessageFilter): [string, string][] {
  const refs: [string, string][] = [];
  if (f.host !== undefined) refs.push(['host', f.host]);
  if (f.network !== undefined) refs.push(['network', f.network]);
  if (f.vni !== undefined) refs.push(['vni', String(f.vni)]);
  if (f.vtep !== undefined) refs.push(['vtep', f.vtep]);
  return refs;
}

/**
 * FROM and WHERE of a filter, and the column that names the message id in them. `plan`: how a
 * SQLite free text of 3+ characters is driven ({@link planMessageFilter}; `phrase` when not given).
 */
function filterSql(
  f: MessageFilter,
  provider: DbProvider,
  params: unknown[],
  plan: FreeTextPlan = { drive: 'phrase' },
): { from: string; where: string[]; id: string } {
  const p = (v: unknown) => {
    params.push(v);
    return provider === 'postgresql' ? `$${params.length}` : '?';
  };
  const refs = referencesOf(f);
  const text = filterText(f.text);
  // SQLite, 3+ characters: the trigram table drives, or the other filters do (message-text-plan.ts)
  const fts = usesTrigrams(provider, text) ? plan : undefined;
  const where: string[] = [];
  let from = '"Message" m';
  let id = 'm."id"';
  let probes = refs;
  let phrase = false;
  if (fts?.drive === 'trigrams') {
    // the rarest trigrams drive; every reference is a probe by id
    from = `"${MESSAGE_SEARCH_FTS}" s JOIN "Message" m ON m."id" = s."rowid"`;
    id = 's."rowid"';
    where.push(`s."${MESSAGE_SEARCH_FTS}" MATCH ${p(fts.trigrams.map(ftsString).join(' AND '))}`);
  } else if (refs.length > 0) {
    const [[kind, value], ...more] = refs as [[string, string], ...[string, string][]];
    from = '"MessageRef" r JOIN "Message" m ON m."id" = r."messageId"';
    id = 'r."messageId"';
    where.push(`r."kind" = ${p(kind)}`, `r."value" = ${p(value)}`);
    probes = more;
  } else if (fts?.drive === 'phrase') {
    const message = Boolean(f.method || f.kind) || f.since !== undefined || f.until !== undefined;
    from = message ? `"${MESSAGE_SEARCH_FTS}" s JOIN "Message" m ON m."id" = s."rowid"` : `"${MESSAGE_SEARCH_FTS}" s`;
    id = 's."rowid"';
    where.push(`s."${MESSAGE_SEARCH_FTS}" MATCH ${p(ftsString(text!))}`);
    phrase = true;
  }
  probes.forEach(([kind, value], i) =>
    where.push(`EXISTS (SELECT 1 FROM "MessageRef" x${i} WHERE x${i}."kind" = ${p(kind)} AND x${i}."value" = ${p(value)} AND x${i}."messageId" = ${id})`),
  );
  if (f.method === 'undecodable') where.push(`m."ok" = ${provider === 'postgresql' ? 'false' : '0'}`);
  else if (f.method) where.push(`m."method" = ${p(f.method)}`);
  if (f.kind) where.push(`m."kind" = ${p(f.kind)}`);
  if (f.since !== undefined) where.push(`m."receivedAt" >= ${p(new Date(f.since))}`);
  if (f.until !== undefined) where.push(`m."receivedAt" < ${p(new Date(f.until))}`);
  if (text !== undefined) {
    if (provider === 'postgresql') where.push(`m."search" LIKE ${p(`%${likeEscape(text)}%`)}`);
    // the exact meaning, a substring, on every row but those the phrase itself found
    else if (!phrase) where.push(`instr(m."search", ${p(text)}) > 0`);
  }
  if (f.before !== undefined) where.push(`${id} < ${p(BigInt(f.before))}`);
  if (f.after !== undefined) where.push(`${id} > ${p(BigInt(f.after))}`);
  return { from, where, id };
}

const whereClause = (where: string[]) => (where.length ? ` WHERE ${where.join(' AND ')}` : '');

/**
 * The ids of one page of messages matching `f`: newest first, or oldest first (`order: 'asc'`,
 * with `after`: a catch-up or an export). `limit` is clamped to 1..{@link MESSAGE_PAGE_MAX}.
 * Columns: `id`.
 */
export function messagePageSql(f: MessageFilter, provider: DbProvider, order: 'asc' | 'desc', limit: number, plan?: FreeTextPlan): MessageSql {
  const params: unknown[] = [];
  const { from, where, id } = filterSql(f, provider, params, plan);
  const take = Math.max(1, Math.min(MESSAGE_PAGE_MAX + 1, Math.floor(limit)));
  return { text: `SELECT ${id} AS "id" FROM ${from}${whereClause(where)} ORDER BY ${id} ${order.toUpperCase()} LIMIT ${take}`, params };
}

/**
 * How many messages match `f`, counted up to `cap + 1` (more than `cap` reads as "cap+"). Columns: `n`.
 * `plan` as for {@link messagePageSql}.
 */
export function messageCountSql(f: MessageFilter, provider: DbProvider, cap = MESSAGE_COUNT_CAP, plan?: FreeTextPlan): MessageSql {
  const params: unknown[] = [];
  const { from, where } = filterSql(f, provider, params, plan);
  return { text: `SELECT count(*) AS "n" FROM (SELECT 1 FROM ${from}${whereClause(where)} LIMIT ${Math.floor(cap) + 1}) t`, params };
}

/** Run a {@link MessageSql}. */
export function runMessageSql<T>(db: Pick<Db, '$queryRawUnsafe'>, sql: MessageSql): Promise<T[]> {
  return db.$queryRawUnsafe<T[]>(sql.text, ...sql.params);
}

/**
 * SQLite, a free text of 3+ characters: what drives the filter's page and count (message-text-plan.ts),
 * from the text's trigrams' bounded counts and, when every one is common and there is no
 * reference, the bounded count of the filter's other conditions. Undefined otherwise (PostgreSQL,
 * shorter or no text). One or two statements, each reading at most `cap` + 1 entries of an
 * index per trigram or filter.
 * @param cap the most candidates a rare trigram or the other conditions may hold ({@link FTS_RARE_MAX})
 */
export function planMessageFilter(
  db: Pick<Db, '$queryRawUnsafe'>,
  provider: DbProvider,
  f: MessageFilter,
  cap = FTS_RARE_MAX,
): Promise<FreeTextPlan | undefined> {
  const text = filterText(f.text);
  if (!usesTrigrams(provider, text)) return Promise.resolve(undefined);
  const rest = { ...f, text: undefined };
  const count = async () => {
    const [row] = await runMessageSql<{ n: bigint | number }>(db, messageCountSql(rest, provider, cap));
    return Number(row?.n ?? 0);
  };
  // a reference drives with a common text whatever it holds (instr on its rows is cheaper than the phrase)
  const others = referencesOf(f).length > 0 ? async () => 0 : f.method || f.kind || f.since !== undefined || f.until !== undefined ? count : undefined;
  return planFreeText(db, provider, text, others, cap);
}

/** The ids of a page (see {@link messagePageSql}); `plan` chosen by {@link planMessageFilter} when not given. */
export async function messagePageIds(
  db: Pick<Db, '$queryRawUnsafe'>,
  provider: DbProvider,
  f: MessageFilter,
  order: 'asc' | 'desc',
  limit: number,
  plan?: FreeTextPlan,
): Promise<bigint[]> {
  const how = plan ?? (await planMessageFilter(db, provider, f));
  const rows = await runMessageSql<{ id: bigint | number }>(db, messagePageSql(f, provider, order, limit, how));
  return rows.map((r) => BigInt(r.id));
}

/** "N of M": how many messages match (`matching`, at most `cap` when filtered, `capped` past it) out of `stored`. */
export interface MessageCount {
  matching: number;
  /** More than `matching` match: the count stopped at the cap. */
  capped: boolean;
  /** Messages stored: exact, or the planner's estimate when `estimated`. */
  stored: number;
  /**
   * `stored` (and, without a filter, `matching`) is PostgreSQL's estimate, not a count: above
   * {@link STORED_ESTIMATE_MIN} rows a `count(*)` of the table reads all of it (0.3 to 0.4 s at 1 M).
   */
  estimated: boolean;
}

/**
 * Past this many rows (by the estimate) PostgreSQL's stored total is the estimate; below it, and
 * always on SQLite (whose `count(*)` reads the smallest index: about 20 ms at 1 M), it is exact.
 */
export const STORED_ESTIMATE_MIN = 100_000;

/**
 * PostgreSQL's estimate of the rows of "Message", as its planner makes it: the tuple density of
 * the last ANALYZE / VACUUM (`pg_class.reltuples / relpages`) times the table's pages now, so rows
 * inserted since then count. Null when the table was never analysed.
 */
async function estimatedMessageRows(db: Pick<Db, '$queryRawUnsafe'>): Promise<number | null> {
  const [row] = await runMessageSql<{ n: bigint | number | null }>(db, {
    text: `SELECT CASE WHEN c.reltuples < 0 OR c.relpages = 0 THEN NULL
      ELSE (c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::int))::bigint END AS "n"
      FROM pg_class c WHERE c.oid = '"Message"'::regclass`,
    params: [],
  });
  return row?.n === null || row?.n === undefined ? null : Number(row.n);
}

/**
 * Count the messages matching `f` (bounded by `cap`) and the messages stored ({@link MessageCount.estimated}).
 * @param estimateMin PostgreSQL: from this many rows (estimated) on, the total is the estimate
 */
export async function countMessages(
  db: Pick<Db, '$queryRawUnsafe'>,
  provider: DbProvider,
  f: MessageFilter,
  cap = MESSAGE_COUNT_CAP,
  estimateMin = STORED_ESTIMATE_MIN,
): Promise<MessageCount> {
  const filtered = Object.values({ ...f, before: undefined, after: undefined }).some((v) => v !== undefined && v !== '');
  const estimate = provider === 'postgresql' ? await estimatedMessageRows(db) : null;
  const estimated = estimate !== null && estimate >= estimateMin;
  let stored = estimated ? estimate : 0;
  if (!estimated) {
    const [total] = await runMessageSql<{ n: bigint | number }>(db, { text: 'SELECT count(*) AS "n" FROM "Message"', params: [] });
    stored = Number(total?.n ?? 0);
  }
  if (!filtered) return { matching: stored, capped: false, stored, estimated };
  const all = { ...f, before: undefined, after: undefined };
  const plan = await planMessageFilter(db, provider, all);
  const [row] = await runMessageSql<{ n: bigint | number }>(db, messageCountSql(all, provider, cap, plan));
  const n = Number(row?.n ?? 0);
  return { matching: Math.min(n, cap), capped: n > cap, stored, estimated };
}
