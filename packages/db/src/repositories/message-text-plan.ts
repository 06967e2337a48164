/**
 * SQLite's free text of three characters or more: which table drives a page or a count, chosen
 * per query from bounded counts (packages/db `message-query.ts` writes the statement).
 *
 * The FTS5 trigram table answers a text as a phrase of its trigrams. FTS5 walks such a phrase
 * by seeking, for every candidate row, in the doclist of each of the text's trigrams, and in this
 * data some trigrams are in nearly every message (`fa:`, `:3e`, `com`, `ute`): a rare MAC
 * (15 trigrams, 50 matches in 1,000,000 messages) cost 75-130 ms to page and count on a busy
 * machine, even though each of its trigrams alone is read in under 1 ms when rare and about 35 ms
 * when in every message (docs/fleet.md, "SQLite free text: the rarest trigrams drive"). So:
 *
 * - `trigrams`: the text's trigrams are counted first, each up to {@link FTS_RARE_MAX} documents
 *   (one statement, bounded: well under a millisecond each). When one of them is that rare, the
 *   AND of the (at most {@link FTS_AND_MAX}) rarest drives: a handful of short doclists, newest
 *   first, and each candidate's `search` is checked with `instr`, which is the filter's exact
 *   meaning (a substring). At most {@link FTS_RARE_MAX} candidates, whatever the text.
 * - `rows`: every trigram is common, but the other filters (a host, a method, a time range...)
 *   hold at most {@link FTS_RARE_MAX} messages (a bounded count on their index): they drive and
 *   `instr` checks each of their rows. A common text (`fanout`) with a rare method no longer reads
 *   the text's many matches. With a reference (host, network, VNI, VTEP) and a common text this
 *   is the plan however many messages the reference holds, as before this module (but checked
 *   with `instr` instead of a probe of every trigram's doclist).
 * - `phrase`: the text is common and so is everything else: the phrase drives, as it finds
 *   matches densely. Left slow: a rare combination of common trigrams, or a common text with a
 *   common filter that rarely occur together.
 */
import type { Db } from '../client';
import type { DbProvider } from '../config';
import { MESSAGE_SEARCH_FTS } from '../hand-written';

/**
 * Free text needs this many characters (code points) for SQLite's trigram index: a shorter
 * text has no trigram to look up (FTS5 matches nothing), so it is an `instr` scan instead.
 */
export const FTS_MIN_CHARS = 3;

/**
 * A trigram in at most this many messages is rare: its doclist may drive, each candidate checked
 * with `instr` (about 6 µs a candidate at 1,000,000 messages, so 60 ms at worst). Also the bound of
 * the counts that choose a plan.
 */
export const FTS_RARE_MAX = 10_000;

/** At most this many of the rarest trigrams are ANDed in the driving `MATCH`. */
export const FTS_AND_MAX = 3;

/** At most this many of a text's (distinct) trigrams are counted, spread over the text. */
export const FTS_PROBE_MAX = 24;

/** `s` as an FTS5 string (`"…"`, inner `"` doubled): every character literal, no query syntax. */
export const ftsString = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** The text a filter searches for, as stored: trimmed and lower-cased; undefined when empty. */
export const filterText = (text: string | undefined) => text?.trim().toLowerCase() || undefined;

/** SQLite, and a text long enough for the trigram table. */
export const usesTrigrams = (provider: DbProvider, text: string | undefined): text is string =>
  provider === 'sqlite' && text !== undefined && [...text].length >= FTS_MIN_CHARS;

/**
 * How a SQLite page or count of a free text (3+ characters) is driven; see the module's comment.
 * `trigrams` are the FTS5 trigram tokens (3 code points each) to AND, rarest first.
 */
export type FreeTextPlan = { drive: 'trigrams'; trigrams: string[] } | { drive: 'rows' } | { drive: 'phrase' };

/** The distinct trigrams (three code points) of `text`, in their order in it. */
export function trigramsOf(text: string): string[] {
  const cp = [...text];
  const out = new Set<string>();
  for (let i = 0; i + 3 <= cp.length; i++) out.add(cp.slice(i, i + 3).join(''));
  return [...out];
}

/** At most `max` of `xs`, evenly spread (the first and the last kept). */
function spread<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  return Array.from({ length: max }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (max - 1))]!);
}

/**
 * How many messages hold each trigram, each counted up to `cap + 1` (one statement). Returns
 * the counts in the order of `trigrams`.
 */
export async function countTrigrams(db: Pick<Db, '$queryRawUnsafe'>, trigrams: readonly string[], cap = FTS_RARE_MAX): Promise<number[]> {
  if (trigrams.length === 0) return [];
  const limit = Math.floor(cap) + 1;
  const cols = trigrams.map(
    (_, i) => `(SELECT count(*) FROM (SELECT 1 FROM "${MESSAGE_SEARCH_FTS}" WHERE "${MESSAGE_SEARCH_FTS}" MATCH ? LIMIT ${limit})) AS "c${i}"`,
  );
  const [row] = await db.$queryRawUnsafe<Record<string, bigint | number>[]>(`SELECT ${cols.join(', ')}`, ...trigrams.map(ftsString));
  return trigrams.map((_, i) => Number(row?.[`c${i}`] ?? 0));
}

/**
 * Choose the plan of a SQLite free text (see the module's comment): undefined when the text
 * does not use the trigram table (PostgreSQL, or under {@link FTS_MIN_CHARS} characters).
 * @param text the filter's text, trimmed and lower-cased ({@link filterText})
 * @param others how many messages the filter's other conditions (references, method, kind,
 *   time, before/after) select, counted up to `cap + 1`; called only when every trigram is common
 *   and there are other conditions
 * @param cap {@link FTS_RARE_MAX}: the most candidates a driving doclist or filter may hold
 */
export async function planFreeText(
  db: Pick<Db, '$queryRawUnsafe'>,
  provider: DbProvider,
  text: string | undefined,
  others: (() => Promise<number>) | undefined,
  cap = FTS_RARE_MAX,
): Promise<FreeTextPlan | undefined> {
  if (!usesTrigrams(provider, text)) return undefined;
  const trigrams = spread(trigramsOf(text), FTS_PROBE_MAX);
  const counts = await countTrigrams(db, trigrams, cap);
  const rare = trigrams
    .map((t, i) => ({ t, n: counts[i]! }))
    .filter((x) => x.n <= cap)
    .sort((a, b) => a.n - b.n)
    .slice(0, FTS_AND_MAX);
  if (rare.length > 0) return { drive: 'trigrams', trigrams: rare.map((x) => x.t) };
  if (others && (await others()) <= cap) return { drive: 'rows' };
  return { drive: 'phrase' };
}
