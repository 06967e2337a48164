/**
 * Message rows on both databases: a message with hostile AMQP headers is stored cut, not thrown;
 * the PostgreSQL unnest batch insert stores exactly what the multi-row VALUES path stores (both
 * on the repository's own Message table description).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { decodeMessage, parseCapture, redactSecrets } from '@l2scope/domain';
import {
  type BulkTable,
  type Db,
  CUT_TOO_DEEP,
  MESSAGE_TABLE,
  type MessageRecord,
  insertMessages,
  insertRows,
  messageDetail,
  storableJson,
  writeTransaction,
} from '../src/index';
import { eachProvider } from './provider-db';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

/** The Message table as the multi-row VALUES path writes it: the repository's, without the unnest types. */
const MESSAGE_VALUES: BulkTable = { ...MESSAGE_TABLE, pgTypes: undefined };

/** A value nested `depth` arrays deep around `leaf`, built without recursion. */
function nestedArrays(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

eachProvider('repo_messages', (provider, opened) => {
  let db: Db;
  beforeAll(() => {
    db = opened();
  });

  it('stores a message whose AMQP headers are nested 6,000 deep (cut at 128 levels) instead of throwing', async () => {
    const body = new TextEncoder().encode('{}');
    const record: MessageRecord = {
      id: 9_000_001,
      delivery: {
        receivedAt: 1_000,
        exchange: 'neutron',
        routingKey: 'q-reports-plugin',
        properties: { headers: { x: nestedArrays(6000, 1) } },
        body,
        source: 'amqp',
      },
      result: { ok: false, error: { reason: 'missing_method', message: 'message has no "method"' }, method: null, target: null },
      refs: { networks: [], vnis: [], vteps: [], hosts: [] },
      raw: body,
      rawTruncated: false,
      search: '',
      changes: [],
    };
    await writeTransaction(db, provider, (tx) => insertMessages(tx, [record]));
    const row = await db.message.findUniqueOrThrow({ where: { id: 9_000_001n } });
    let v: unknown = (row.properties as { headers: { x: unknown } }).headers.x;
    let depth = 3; // properties, headers, x: levels 1, 2, 3
    while (Array.isArray(v)) {
      v = v[0];
      depth++;
    }
    expect([v, depth]).toEqual([CUT_TOO_DEEP, 129]);
  });

  it('a decoded message is stored only when its raw body cannot give it back, and read back the same either way', async () => {
    const { records } = parseCapture(readFileSync(path.join(FIXTURES, 'lab3.jsonl'), 'utf8'));
    const withToken = (b: Uint8Array) =>
      new TextEncoder().encode(new TextDecoder().decode(b).replace('_context_auth_token\\": null', '_context_auth_token\\": \\"s3cret\\"'));
    const cases = records.slice(0, 6).map((r, i) => {
      const body = i === 4 ? withToken(r.body) : r.body;
      const delivery = { receivedAt: r.ts.getTime(), exchange: r.exchange, routingKey: r.routingKey, properties: r.properties, body, source: 'replay' };
      const result = decodeMessage(delivery);
      const redacted = redactSecrets(body).body;
      // 4: a secret redacted from the raw body; 5: the raw body cut (--max-raw-bytes)
      const raw = i === 5 ? redacted.subarray(0, 100) : redacted;
      return {
        id: 9_100_000 + i,
        delivery,
        result,
        refs: { networks: [], vnis: [], vteps: [], hosts: [] },
        raw,
        rawTruncated: i === 5,
        search: '',
        changes: [],
      } satisfies MessageRecord;
    });
    expect(cases.every((c) => c.result.ok)).toBe(true);
    expect(cases[4]!.raw).not.toEqual(cases[4]!.delivery.body);
    await writeTransaction(db, provider, (tx) => insertMessages(tx, cases));
    const rows = await db.message.findMany({ where: { id: { gte: 9_100_000n, lt: 9_100_006n } }, orderBy: { id: 'asc' }, select: { decoded: true } });
    expect(rows.map((r) => r.decoded !== null)).toEqual([false, false, false, false, true, true]);
    for (const c of cases) {
      const r = c.result as Extract<typeof c.result, { ok: true }>;
      expect((await messageDetail(db, c.id))?.decoded).toEqual(JSON.parse(JSON.stringify(storableJson(r.message))));
    }
  });

  it('the batch insert (unnest on PostgreSQL) stores exactly what the multi-row VALUES path stores', async () => {
    const { records } = parseCapture(readFileSync(path.join(FIXTURES, 'lab1.jsonl'), 'utf8'));
    const all = new Uint8Array(256).map((_, i) => i);
    const rows = records.map((r, i) => {
      const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
      const odd = i % 7 === 0;
      return [
        0n,
        new Date(r.ts.getTime() + (i % 3 === 0 ? 0 : i)),
        r.exchange,
        odd ? `key\u0000\ud800 "q" \\ {x,y}` : r.routingKey,
        d.ok ? d.message.method : null,
        d.ok ? d.message.kind : 'undecodable',
        odd ? 'NULL' : d.ok ? d.message.target : null,
        d.ok,
        d.ok ? null : d.error.reason,
        d.ok ? null : d.error.message,
        d.ok ? d.message : null,
        odd ? { headers: { 'x\u0000': ['\udfff', 1, true, null, { deep: nestedArrays(5, 'é') }] } } : {},
        odd ? all : r.body,
        odd,
        r.body.byteLength,
        'amqp',
        `search ${i} ÄÖ \u{1F600}`,
        null,
      ];
    });
    const base = 7_000_000_000;
    await db.$transaction(async (tx) => {
      await insertRows(
        tx,
        provider,
        MESSAGE_VALUES,
        rows.map((r, i) => [BigInt(base + i), ...r.slice(1)]),
      );
      await insertRows(
        tx,
        provider,
        MESSAGE_TABLE,
        rows.map((r, i) => [BigInt(base + 100_000 + i), ...r.slice(1)]),
      );
    });
    const read = async (from: number) =>
      (await db.message.findMany({ where: { id: { gte: BigInt(from), lt: BigInt(from + rows.length) } }, orderBy: { id: 'asc' } })).map(
        ({ id: _id, ...rest }) => rest,
      );
    const [values, unnest] = await Promise.all([read(base), read(base + 100_000)]);
    expect(values).toHaveLength(rows.length);
    expect(unnest).toEqual(values);
    expect(values[0]!.routingKey).toBe('key\uFFFD\uFFFD "q" \\ {x,y}');
    expect([...values[0]!.raw]).toEqual([...all]);
    await db.message.deleteMany({ where: { id: { gte: BigInt(base) } } });
  });
});
