/**
 * Persistence of the worker through Prisma (packages/db): messages, their refs, the model's
 * derived changes and its projection (hosts, networks, VTEP entries), counters, tap gaps.
 * The worker is the only writer; every batch is one transaction.
 */
import { type Db, applyModelChange, readModelSnapshot } from '@l2scope/db';
import { type ModelChange, type ModelSnapshot, type TapGapView, modelChangeKey } from '@l2scope/domain';
import type { BatchSink, Counters, IngestedMessage } from './pipeline';

const COUNTER_NAMES = ['received', 'undecodable', 'dropped', 'expired'] as const;

/** Key of a change without its family prefix, as stored in ModelChange.key. */
const recordKey = (c: ModelChange) => modelChangeKey(c).replace(/^[a-z]+:/, '');

export class PrismaStore implements BatchSink {
  constructor(private readonly db: Db) {}

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
      return {
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
        decoded: r.ok ? (JSON.parse(JSON.stringify(r.message)) as object) : undefined,
        properties: JSON.parse(JSON.stringify(m.delivery.properties ?? {})) as object,
        raw: m.raw as Uint8Array<ArrayBuffer>,
        rawTruncated: m.rawTruncated,
        size: m.delivery.body.byteLength,
        source: m.delivery.source,
        search: m.search,
      };
    });
    const refs = batch.flatMap((m) => {
      const id = BigInt(m.id);
      return [
        ...m.refs.networks.map((value) => ({ messageId: id, kind: 'network', value })),
        ...m.refs.vnis.map((v) => ({ messageId: id, kind: 'vni', value: String(v) })),
        ...m.refs.vteps.map((value) => ({ messageId: id, kind: 'vtep', value })),
        ...m.refs.hosts.map((value) => ({ messageId: id, kind: 'host', value })),
      ];
    });
    const changeRows = batch.flatMap((m) =>
      m.changes.map((c, idx) => ({
        messageId: BigInt(m.id),
        idx,
        at: new Date(m.delivery.receivedAt),
        type: c.type,
        key: recordKey(c),
        payload: JSON.parse(JSON.stringify(c)) as object,
      })),
    );
    // Projection: only the last change per record matters.
    const last = new Map<string, ModelChange>();
    for (const m of batch) {
      for (const c of m.changes) {
        const key = modelChangeKey(c);
        last.delete(key);
        last.set(key, c);
      }
    }

    await this.db.$transaction(async (tx) => {
      await tx.message.createMany({ data: messages });
      if (refs.length) await tx.messageRef.createMany({ data: refs });
      if (changeRows.length) await tx.modelChange.createMany({ data: changeRows });
      for (const c of last.values()) await applyModelChange(tx, c);
      for (const name of COUNTER_NAMES) {
        const value = BigInt(counters[name]);
        await tx.counter.upsert({ where: { name }, create: { name, value }, update: { value } });
      }
      await tx.modelState.upsert({ where: { id: 1 }, create: { id: 1, seq: BigInt(seq) }, update: { seq: BigInt(seq) } });
    });
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
