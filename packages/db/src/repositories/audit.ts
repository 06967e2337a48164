/**
 * The audit log (docs/toggles.md#audit): every write of the admin toggles, append-only and
 * hash-chained. Entry `seq` n carries `prevHash` = the hash of entry n-1 (64 zeros for the first)
 * and `hash` = sha256(prevHash + canonical JSON of {seq, at, actor, action, target, jobId, detail,
 * origin}) (keys sorted at every depth, `at` as ISO 8601), so a row edited by hand (or a row
 * removed from the middle) no longer verifies. Never pruned by retention.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../client';
import { jsonColumn } from './json';

/** What a caller audits. `detail` is any JSON-serialisable value (stored as given, null when absent). */
export interface AuditInput {
  /** who: a user id / name, or `worker` */
  actor: string;
  /** what, dotted: `toggle.requested`, `toggle.approved`, `toggle.set_mode`, ... */
  action: string;
  /** on what: a host name, a user */
  target: string;
  jobId?: string | null;
  detail?: unknown;
  /** where the request came from (client address), null when internal */
  origin?: string | null;
}

/** One stored entry. */
export interface AuditEntry extends Required<AuditInput> {
  /** dense from 1, the order of the chain */
  seq: number;
  at: Date;
  /** 64 hex digits */
  prevHash: string;
  /** 64 hex digits */
  hash: string;
}

/** The `prevHash` of the first entry. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** The transaction client the audit writes with (a `$transaction` callback's `tx`). */
export type AuditTx = Pick<Db, 'auditEntry'>;

/**
 * JSON with the keys of every object sorted (arrays keep their order); `undefined` object fields
 * are dropped as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The hash of one entry given its predecessor's. */
export function auditHash(prevHash: string, e: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  const body = canonicalJson({
    seq: e.seq,
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    target: e.target,
    jobId: e.jobId,
    detail: e.detail,
    origin: e.origin,
  });
  return createHash('sha256').update(prevHash).update(body).digest('hex');
}

/** The detail as the Json column gives it back (so the hash is computed on what is stored). */
function storedDetail(detail: unknown): unknown {
  if (detail === undefined || detail === null) return null;
  if (typeof detail !== 'object') return detail;
  return jsonColumn(detail as object);
}

type Row = {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  target: string;
  jobId: string | null;
  detail: unknown;
  origin: string | null;
  prevHash: string;
  hash: string;
};

const toEntry = (r: Row): AuditEntry => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  target: r.target,
  jobId: r.jobId,
  detail: r.detail ?? null,
  origin: r.origin,
  prevHash: r.prevHash,
  hash: r.hash,
});

/**
 * Append one entry inside the caller's transaction (`tx`): reads the last entry and writes the
 * next `seq`. Two writers racing on the same `seq` collide on the primary key; the caller's
 * transaction fails and {@link withAuditWriter} retries it.
 */
export async function appendAuditTx(tx: AuditTx, input: AuditInput, now = new Date()): Promise<AuditEntry> {
  const last = await tx.auditEntry.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true, hash: true } });
  const base = {
    seq: (last?.seq ?? 0) + 1,
    at: new Date(now.getTime()),
    actor: input.actor,
    action: input.action,
    target: input.target,
    jobId: input.jobId ?? null,
    detail: storedDetail(input.detail),
    origin: input.origin ?? null,
  };
  const prevHash = last?.hash ?? AUDIT_GENESIS_HASH;
  const hash = auditHash(prevHash, base);
  await tx.auditEntry.create({
    data: { ...base, detail: base.detail === null ? undefined : (base.detail as never), prevHash, hash },
  });
  return { ...base, prevHash, hash };
}

const queues = new WeakMap<object, Promise<unknown>>();

function retryable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; meta?: unknown };
  if (e?.code === 'P2002' || e?.code === 'P2034') return true;
  // SQLite's busy also comes as P1008 "Operation has timed out", the cause in the driver adapter's meta
  const text = `${e?.message ?? ''} ${e?.meta === undefined ? '' : JSON.stringify(e.meta)}`;
  return /SQLITE_BUSY|database is locked|unique constraint|could not serialize|deadlock/i.test(text);
}

/**
 * Run `fn` (which appends audit entries in a transaction) as the only audit writer of this
 * client in this process (a promise queue), retrying up to 5 times (after a random pause of a few
 * to 100 ms) when another process took the same `seq` first (a primary-key conflict), the
 * database was busy, or a serializable transaction lost a race.
 */
export async function withAuditWriter<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  const prev = queues.get(db) ?? Promise.resolve();
  const run = prev.then(async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (attempt >= 4 || !retryable(err)) throw err;
        // a short random pause so racing writers do not collide again in step
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 20 * (attempt + 1)) + 5));
      }
    }
  });
  queues.set(
    db,
    run.catch(() => undefined),
  );
  return run;
}

/**
 * Append one entry (its own transaction, one writer at a time).
 * @returns the stored entry with its `seq` and hashes
 */
export async function appendAudit(db: Db, input: AuditInput): Promise<AuditEntry> {
  return withAuditWriter(db, () => db.$transaction((tx) => appendAuditTx(tx, input)));
}

/**
 * Entries newest first.
 * @param o.jobId only this job's; o.beforeSeq only older than this seq (paging); o.limit default
 *   100, at most 1000
 */
export async function listAudit(db: Pick<Db, 'auditEntry'>, o: { jobId?: string; limit?: number; beforeSeq?: number } = {}): Promise<AuditEntry[]> {
  const limit = Math.min(Math.max(1, Math.floor(o.limit ?? 100)), 1000);
  const rows = await db.auditEntry.findMany({
    where: { ...(o.jobId !== undefined ? { jobId: o.jobId } : {}), ...(o.beforeSeq !== undefined ? { seq: { lt: o.beforeSeq } } : {}) },
    orderBy: { seq: 'desc' },
    take: limit,
  });
  return rows.map((r) => toEntry(r as Row));
}

/**
 * Recompute every hash in `seq` order, 1000 rows at a time.
 * @returns `{ok: true, entries}`, or the first entry that does not verify: `seq` and `reason`
 *   (`seq gap`, `prevHash does not match`, `hash does not match`)
 */
export async function verifyAuditChain(
  db: Pick<Db, 'auditEntry'>,
): Promise<{ ok: true; entries: number } | { ok: false; entries: number; seq: number; reason: string }> {
  let prevHash = AUDIT_GENESIS_HASH;
  let expect = 1;
  let entries = 0;
  for (;;) {
    const rows = await db.auditEntry.findMany({ where: { seq: { gte: expect } }, orderBy: { seq: 'asc' }, take: 1000 });
    if (rows.length === 0) return { ok: true, entries };
    for (const raw of rows) {
      const r = toEntry(raw as Row);
      entries++;
      if (r.seq !== expect) return { ok: false, entries, seq: r.seq, reason: `seq gap: expected ${expect}` };
      if (r.prevHash !== prevHash) return { ok: false, entries, seq: r.seq, reason: 'prevHash does not match the previous entry' };
      if (auditHash(prevHash, r) !== r.hash) return { ok: false, entries, seq: r.seq, reason: 'hash does not match the entry (edited)' };
      prevHash = r.hash;
      expect++;
    }
  }
}
