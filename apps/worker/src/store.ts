/**
 * Persistence of the worker through Prisma (packages/db): messages, their refs, the model's
 * derived changes and its projection (hosts, networks, VTEP entries), counters, tap gaps.
 * The worker is the only writer; every batch is one transaction.
 */
import { type BulkTable, type Db, type DbProvider, applyModelChanges, insertRows, readModelSnapshot } from '@l2scope/db';
import { type ModelChange, type ModelSnapshot, type TapGapView, modelChangeKey } from '@l2scope/domain';
import type { BatchSink, Counters, IngestedMessage } from './pipeline';

const COUNTER_NAMES = ['received', 'undecodable', 'dropped', 'expired'] as const;

const MESSAGE: BulkTable = {
  name: 'Message',
  columns: ['id', 'receivedAt', 'exchange', 'routingKey', 'method', 'kind', 'target', 'ok', 'errorReason', 'error', 'decoded', 'properties', 'raw', 'rawTruncated', 'size', 'source', 'search'],
  json: ['decoded', 'properties'],
};
const MESSAGE_REF: BulkTable = { name: 'MessageRef', columns: ['messageId', 'kind', 'value'] };
const MODEL_CHANGE: BulkTable = { name: 'ModelChange', columns: ['messageId', 'idx', 'at', 'type', 'key', 'payload'], json: ['payload'] };

/** Key of a change without its family prefix, as stored in ModelChange.key. */
const recordKey = (c: ModelChange) => modelChangeKey(c).replace(/^[a-z]+:/, '');

export class PrismaStore implements BatchSink {
  /** @param provider the database kind of `db` (the bulk inserts use its dialect) */
  constructor(
    private readonly db: Db,
    private readonly provider: DbProvider,
  ) {}

  /** Highest stored message id (0 when empty). */
  async maxMessageId(): Promise<number> {
    const row = await this.db.message.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
    return row ? Number(row.id) : 0;
  }

  async loadCounters(): Promise<Counters> {
    const rows = await this.db.counter.findMany();
    const c: Counters = { received: 0, undecodable: 0, dropped: 0, expired: 0 };
    for (const r of rows) if ((COUNTER_NAMES as readonly string[]).includes(r.name)) c[r.name as keyof Counters] = Number(r.value);
    return c;
  }

  /** The model projection as a snapshot, to resume the model after a restart. */
  loadModel(): Promise<ModelSnapshot> {
    return readModelSnapshot(this.db);
  }

  async writeBatch(batch: IngestedMessage[], counters: Counters, seq: number): Promise<void> {
    const messages = batch.map((m) => {
      const r = m.result;
      return [
        BigInt(m.id),
        new Date(m.delivery.receivedAt),
        m.delivery.exchange,
        m.delivery.routingKey,
        r.ok ? r.message.method : r.method,
        r.ok ? r.message.kind : 'undecodable',
        r.ok ? r.message.target : r.target,
        r.ok,
        r.ok ? null : r.error.reason,
        r.ok ? null : r.error.message,
        r.ok ? r.message : null,
        m.delivery.properties ?? {},
        m.raw,
        m.rawTruncated,
        m.delivery.body.byteLength,
        m.delivery.source,
        m.search,
      ];
    });
    const refs = batch.flatMap((m) => {
      const id = BigInt(m.id);
      return [
        ...m.refs.networks.map((value) => [id, 'network', value]),
        ...m.refs.vnis.map((v) => [id, 'vni', String(v)]),
        ...m.refs.vteps.map((value) => [id, 'vtep', value]),
        ...m.refs.hosts.map((value) => [id, 'host', value]),
      ];
    });
    const changeRows = batch.flatMap((m) => m.changes.map((c, idx) => [BigInt(m.id), idx, new Date(m.delivery.receivedAt), c.type, recordKey(c), c]));

    await this.db.$transaction(async (tx) => {
      await insertRows(tx, this.provider, MESSAGE, messages);
      await insertRows(tx, this.provider, MESSAGE_REF, refs);
      await insertRows(tx, this.provider, MODEL_CHANGE, changeRows);
      await applyModelChanges(tx, this.provider, batch.flatMap((m) => m.changes));
      await tx.counter.deleteMany({ where: { name: { in: [...COUNTER_NAMES] } } });
      await tx.counter.createMany({ data: COUNTER_NAMES.map((name) => ({ name, value: BigInt(counters[name]) })) });
      await tx.modelState.upsert({ where: { id: 1 }, create: { id: 1, seq: BigInt(seq) }, update: { seq: BigInt(seq) } });
    });
  }

  /** A minimal round trip: succeeds when the database is reachable. */
  async probe(): Promise<void> {
    await this.db.$queryRawUnsafe('SELECT 1');
  }

  /** Persist the counters alone (drop/expiry counts arrive outside message batches). */
  async writeCounters(counters: Counters): Promise<void> {
    await this.db.$transaction(
      COUNTER_NAMES.map((name) => {
        const value = BigInt(counters[name]);
        return this.db.counter.upsert({ where: { name }, create: { name, value }, update: { value } });
      }),
    );
  }

  async openGap(startedAt: number, reason: string): Promise<number> {
    const row = await this.db.tapGap.create({ data: { startedAt: new Date(startedAt), reason } });
    return row.id;
  }

  async closeGap(id: number, endedAt: number): Promise<void> {
    await this.db.tapGap.update({ where: { id }, data: { endedAt: new Date(endedAt) } });
  }

  async recentGaps(limit = 20): Promise<TapGapView[]> {
    const rows = await this.db.tapGap.findMany({ orderBy: { id: 'desc' }, take: limit });
    return rows.map((g) => ({ id: g.id, startedAt: g.startedAt.toISOString(), endedAt: g.endedAt?.toISOString() ?? null, reason: g.reason }));
  }

  /**
   * Keep the newest `keep` messages (and their refs and changes); the projection is untouched.
   * @returns how many messages were deleted
   */
  async prune(keep: number): Promise<number> {
    const max = await this.maxMessageId();
    const cutoff = BigInt(max - keep);
    if (cutoff <= 0n) return 0;
    const [, , deleted] = await this.db.$transaction([
      this.db.messageRef.deleteMany({ where: { messageId: { lte: cutoff } } }),
      this.db.modelChange.deleteMany({ where: { messageId: { lte: cutoff } } }),
      this.db.message.deleteMany({ where: { id: { lte: cutoff } } }),
    ]);
    return deleted.count;
  }
}
