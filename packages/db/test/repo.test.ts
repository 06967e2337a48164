/**
 * The repositories on both databases (a temporary SQLite file, a uniquely named PostgreSQL
 * database on 127.0.0.1:5432): the model projection written batch by batch from real captures
 * holds what the domain's model holds, and a host's told FDB read from it equals the model's; the per-host lag figures in one window-function query equal the
 * figures of each host's last samples taken one host at a time; Json columns are written storable
 * and validated on the way out (a row that does not fit is named, not returned); refused node
 * messages are stored per reason.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUM_REPORT_SCHEMA,
  type BumReport,
  ClusterModel,
  type ConvergenceSample,
  type ModelChange,
  decodeMessage,
  hostIn,
  lagFigures,
  networkIn,
  parseCapture,
  toldFdbOf,
  vtepEntriesIn,
} from '@l2scope/domain';
import {
  type Db,
  addConvergenceSamples,
  forgetNodeHosts,
  saveConvergenceCounts,
  bumReportOf,
  bumReports,
  CUT_TOO_DEEP,
  type MessageRecord,
  closeDb,
  dbProvider,
  findNetwork,
  insertMessages,
  listNetworks,
  lagFiguresByHost,
  loadNodeSnapshots,
  nodeSnapshotOf,
  openDb,
  openFinding,
  openFindings,
  readCounters,
  readHostModel,
  readModelSnapshot,
  readNodeRefusals,
  recentConvergenceSamples,
  refreshFindings,
  resolveFindings,
  saveBumReports,
  storableJson,
  storableJsonText,
  insertRows,
  type BulkTable,
  writeModelChanges,
  writeModelSeq,
  writeNodeRefusals,
} from '../src/index';
import { readConsistent } from '../src/client';
import { migrate } from '../src/migrate';
import { PROVIDERS } from '../src/config';

const PG_ADMIN = process.env.L2SCOPE_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const pgDbName = `l2scope_repo_${process.pid}_${randomBytes(3).toString('hex')}`;
let tmpDir = '';

async function pgAdmin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  tmpDir = mkdtempSync(path.join(tmpdir(), 'l2scope-repo-'));
  await pgAdmin(`CREATE DATABASE "${pgDbName}"`);
});
afterAll(async () => {
  rmSync(tmpDir, { recursive: true, force: true });
  await pgAdmin(`DROP DATABASE IF EXISTS "${pgDbName}" WITH (FORCE)`);
});

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

/** The changes of a real capture folded by a fresh model, per message, and that model. */
function captureChanges(scenario: string): { model: ClusterModel; perMessage: ModelChange[][] } {
  const { records } = parseCapture(readFileSync(path.join(FIXTURES, `${scenario}.jsonl`), 'utf8'));
  const model = new ClusterModel();
  const perMessage = records.map((r, i) => {
    const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
    return d.ok ? model.apply(d.message, r.ts.getTime(), i + 1) : [];
  });
  return { model, perMessage };
}

function sample(host: string, i: number): ConvergenceSample {
  return {
    host,
    network: 'net-1',
    vtep: '10.0.20.11',
    mac: `fa:16:3e:00:00:${(i % 256).toString(16).padStart(2, '0')}`,
    change: 'add',
    messageId: i,
    castAt: 1_000 + i,
    seenAt: Date.now(),
    lagMs: (i * 37) % 1000,
  };
}

function bum(host: string): BumReport {
  return {
    schema: BUM_REPORT_SCHEMA,
    host,
    instance: 'i-1',
    vtep: null,
    iface: 'ul0',
    udpPort: 8472,
    from: '2026-01-01T00:00:00.000Z',
    to: '2026-01-01T00:00:10.000Z',
    seconds: 10,
    sampled: 1,
    captureDropped: null,
    captured: 0,
    undecodable: 0,
    undecodableReasons: {},
    flows: [],
    other: null,
    unavailable: 'tcpdump missing \u0000',
  };
}

/** A value nested `depth` arrays deep around `leaf`, built without recursion. */
function nestedArrays(depth: number, leaf: unknown): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe('storableJson (poison input: docs/wire-format.md#poison-input)', () => {
  it('copies honest values exactly as before: strings made storable, undefined fields dropped, order kept', () => {
    const d = new Date(5);
    const bytes = new Uint8Array([1, 2]);
    const v = { b: ['x\u0000', { c: undefined, d: 1, 'k\ud800': null }], a: true, d, bytes, n: [[[]]] };
    const out = storableJson(v);
    expect(out).toEqual({ b: ['x\uFFFD', { d: 1, 'k\uFFFD': null }], a: true, d, bytes, n: [[[]]] });
    expect(Object.keys(out)).toEqual(['b', 'a', 'd', 'bytes', 'n']);
    expect(out.d).toBe(d);
    expect(storableJson('\u0000')).toBe('\uFFFD');
    expect(storableJson(null)).toBeNull();
  });

  it('never recurses: 100,000 levels are cut at maxDepth, and what it returns serialises', () => {
    const out = storableJson({ headers: nestedArrays(100_000, 'leaf') });
    let v: unknown = out.headers;
    let depth = 1;
    while (Array.isArray(v)) {
      v = v[0];
      depth++;
    }
    // the object is level 1, `headers` level 2: arrays on levels 2..128 are kept, level 129 is cut
    expect(v).toBe(CUT_TOO_DEEP);
    expect(depth).toBe(128);
    expect(() => JSON.stringify(out)).not.toThrow();
    expect(storableJson([[['a']]], 2)).toEqual([[CUT_TOO_DEEP]]);
  });
});

describe('storableJsonText (the batch path: text of storableJson without the copy)', () => {
  it('is JSON.stringify(storableJson(v)) for honest and hostile values', () => {
    const values: unknown[] = [
      { b: ['x\u0000', { c: undefined, d: 1, 'k\ud800': null }], a: true, d: new Date(5), n: [[[]]] },
      { text: 'a literal backslash-u: \\u0000 and \\ud800, a pair: \u{1F600}, quotes "\\"' },
      ['\udfff', '\ud83d', 'ok'],
      nestedArrays(200, 'leaf'),
      nestedArrays(127, { k: 'v' }),
      { headers: nestedArrays(100_000, 1) },
      'plain',
      null,
      42,
      { tab: '\t', nl: '\n', ctl: '\u0001', del: '\u007f' },
    ];
    for (const v of values) expect(storableJsonText(v)).toBe(JSON.stringify(storableJson(v)));
    expect(storableJsonText([[['a']]], 2)).toBe(JSON.stringify([[CUT_TOO_DEEP]]));
    expect(storableJsonText([['a']], 2)).toBe('[["a"]]');
  });
});

/** Message as the old multi-row VALUES path and the PostgreSQL unnest path write it (test's own copy of the columns). */
const MESSAGE_TABLE = {
  name: 'Message',
  columns: [
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
  ],
  json: ['decoded', 'properties'],
} as const satisfies BulkTable;
const MESSAGE_UNNEST: BulkTable = {
  ...MESSAGE_TABLE,
  pgTypes: [
    'bigint',
    'timestamp(3)',
    'text',
    'text',
    'text',
    'text',
    'text',
    'boolean',
    'text',
    'text',
    'jsonb',
    'jsonb',
    'bytea',
    'boolean',
    'integer',
    'text',
    'text',
    'text',
  ],
};

describe.each(PROVIDERS)('%s', (provider) => {
  let db: Db;

  beforeAll(async () => {
    const url = provider === 'sqlite' ? `file:${path.join(tmpDir, 'repo.db')}` : Object.assign(new URL(PG_ADMIN), { pathname: `/${pgDbName}` }).toString();
    expect(dbProvider(url)).toBe(provider);
    await migrate(url);
    db = await openDb(url);
  });
  afterAll(async () => {
    if (db) await closeDb(db);
  });

  it('readConsistent reads in one snapshot: REPEATABLE READ on PostgreSQL, a transaction on SQLite', async () => {
    const level = await readConsistent(db, async (tx) =>
      provider === 'postgresql'
        ? (await tx.$queryRawUnsafe<{ transaction_isolation: string }[]>('SHOW transaction_isolation'))[0]!.transaction_isolation
        : // SQLite: a second BEGIN inside a transaction is refused
          await tx.$executeRawUnsafe('BEGIN').then(
            () => 'no transaction',
            (e: unknown) => (String(e).includes('within a transaction') ? 'transaction' : String(e)),
          ),
    );
    expect(level).toBe(provider === 'postgresql' ? 'repeatable read' : 'transaction');
  });

  it('a snapshot read while batches commit is the state of one commit: its seq and its rows agree', async () => {
    await db.$transaction([db.host.deleteMany(), db.network.deleteMany(), db.vtepEntries.deleteMany()]);
    await writeModelSeq(db, 0);
    const host = (k: number): ModelChange => ({
      type: 'host',
      host: {
        id: `consistency-${k}`,
        name: `consistency-${k}`,
        vtep: `10.9.${k >> 8}.${k & 255}`,
        agentType: 'Linux bridge agent',
        binary: 'neutron-linuxbridge-agent',
        l2population: true,
        arpResponder: null,
        distributedRouting: null,
        tunnelTypes: ['vxlan'],
        devices: 0,
        startedAt: null,
        lastReportAt: k,
        networks: {},
      },
    });
    // batch k adds host k and sets seq k: in any committed state, hosts == seq
    const BATCHES = 120;
    let writing = true;
    const writer = (async () => {
      try {
        for (let k = 1; k <= BATCHES; k++)
          await db.$transaction(async (tx) => {
            await writeModelChanges(tx, provider, [host(k)]);
            await writeModelSeq(tx, k);
          });
      } finally {
        writing = false;
      }
    })();
    let reads = 0;
    const torn: string[] = [];
    while (writing || reads === 0) {
      const [whole, one] = await Promise.all([readModelSnapshot(db), readHostModel(db, 'consistency-1')]);
      if (whole.hosts.length !== whole.seq) torn.push(`snapshot: seq ${whole.seq}, ${whole.hosts.length} hosts`);
      if ((one.hosts.length === 1) !== one.seq >= 1) torn.push(`host: seq ${one.seq}, ${one.hosts.length} hosts`);
      reads++;
    }
    await writer;
    console.log(`${provider}: ${reads} snapshot reads during ${BATCHES} commits, ${torn.length} torn`);
    expect(torn.slice(0, 5)).toEqual([]);
    expect((await readModelSnapshot(db)).hosts).toHaveLength(BATCHES);
    await db.$transaction([db.host.deleteMany(), db.network.deleteMany(), db.vtepEntries.deleteMany()]);
  });

  it("the model projection, written batch by batch from real captures, holds the model's records and tells each host what the model tells it", async () => {
    for (const scenario of ['lab1', 'switch-noclean']) {
      await db.$transaction([db.host.deleteMany(), db.network.deleteMany(), db.vtepEntries.deleteMany()]);
      const { model, perMessage } = captureChanges(scenario);
      // batches of 1, 2, ... 7 messages, as the worker's commit windows cut them
      for (let i = 0, size = 1; i < perMessage.length; i += size, size = (size % 7) + 1) {
        const changes = perMessage.slice(i, i + size).flat();
        const seq = Math.min(i + size, perMessage.length);
        await db.$transaction(async (tx) => {
          await writeModelChanges(tx, provider, changes);
          await writeModelSeq(tx, seq);
        });
      }
      // the same records (the projection reads them by key, the model lists them as they came)
      const stored = await readModelSnapshot(db);
      const s = model.snapshot();
      expect([stored.seq, stored.hosts.length, stored.networks.length, stored.vteps.length], scenario).toEqual([
        s.seq,
        s.hosts.length,
        s.networks.length,
        s.vteps.length,
      ]);
      for (const h of s.hosts) expect(hostIn(stored, h.id)).toEqual(h);
      for (const n of s.networks) expect(networkIn(stored, n.id)).toEqual(n);
      for (const v of s.vteps) expect(vtepEntriesIn(stored, v.network, v.vtep)).toEqual(v);
      expect(model.hostIds().length, scenario).toBeGreaterThan(0);
      for (const id of model.hostIds()) {
        const slice = await readHostModel(db, id);
        expect(slice.seq).toBe(model.seq);
        expect(hostIn(slice, id), `${scenario} ${id}`).toEqual(model.host(id));
        expect(toldFdbOf(slice, id), `${scenario} ${id}`).toEqual(model.toldFdb(id));
      }
      expect(await readHostModel(db, 'nobody')).toEqual({ seq: model.seq, hosts: [], networks: [], vteps: [] });
      // a removal (no capture has one): the host's row goes, the rest stays
      const [gone, ...rest] = model.hostIds();
      await db.$transaction((tx) => writeModelChanges(tx, provider, [{ type: 'host_removed', id: gone! }]));
      expect((await readHostModel(db, gone!)).hosts).toEqual([]);
      expect((await readModelSnapshot(db)).hosts.map((h) => h.id).sort()).toEqual(rest.sort());
    }
  });

  it('a network_delete keeps the Network row as history (deletedAt) but out of the snapshot and the lists; a VNI reused is one live row', async () => {
    await db.$transaction([db.host.deleteMany(), db.network.deleteMany(), db.vtepEntries.deleteMany()]);
    const m = new ClusterModel();
    const oslo = (method: string, args: object) => JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method, args }) });
    const fdb = (network: string) =>
      oslo('add_fdb_entries', {
        fdb_entries: { [network]: { segment_id: 650, network_type: 'vxlan', ports: { '10.0.0.1': [['00:00:00:00:00:00', '0.0.0.0']] } } },
      });
    const fold = async (exchange: string, body: string, at: number) => {
      const r = decodeMessage({ exchange, routingKey: '', body });
      if (!r.ok) throw new Error(r.error.message);
      const changes = m.apply(r.message, at, at);
      await db.$transaction((tx) => writeModelChanges(tx, provider, changes));
    };
    await fold('q-agent-notifier-l2population-update_fanout', fdb('net-old'), 1000);
    await fold('q-agent-notifier-network-delete_fanout', oslo('network_delete', { network_id: 'net-old' }), 2000);
    await fold('q-agent-notifier-l2population-update_fanout', fdb('net-new'), 3000);
    expect(await findNetwork(db, 'net-old')).toEqual({ id: 'net-old', vni: 650, networkType: 'vxlan', deletedAt: 2000 });
    expect(await findNetwork(db, 'net-new')).toMatchObject({ deletedAt: null });
    expect(await listNetworks(db)).toEqual([{ id: 'net-new', vni: 650 }]);
    const stored = await readModelSnapshot(db);
    expect(stored.networks.map((n) => n.id)).toEqual(['net-new']);
    expect(stored.vteps.map((v) => v.network)).toEqual(['net-new']);
  });

  it("lag figures of every host in one query equal each host's last 256 samples", async () => {
    const a = Array.from({ length: 300 }, (_, i) => sample('compute1', i + 1));
    const b = Array.from({ length: 3 }, (_, i) => sample('compute2', 1000 + i));
    // interleaved, in two bulk writes, as the worker appends them
    await addConvergenceSamples(db, provider, [...a.slice(0, 150), ...b], new Date(0));
    await addConvergenceSamples(db, provider, a.slice(150), new Date(0));
    const figures = await lagFiguresByHost(db, ['compute2', 'nobody', 'compute1']);
    expect(figures).toEqual([
      lagFigures(
        'compute2',
        b.map((s) => s.lagMs),
      ),
      lagFigures(
        'compute1',
        a.slice(-256).map((s) => s.lagMs),
      ),
    ]);
    expect(await lagFiguresByHost(db, [])).toEqual([]);
    const recent = await recentConvergenceSamples(db, 'compute1', 2);
    expect(recent.map((s) => s.messageId)).toEqual([300, 299]);
  });

  it("the tracker's counts are stored with the figures: pending, timed out, already held, also for a host without a sample", async () => {
    await addConvergenceSamples(db, provider, [sample('counted1', 1)], new Date(0));
    await saveConvergenceCounts(
      db,
      [
        { host: 'counted1', pending: 3, timedOut: 1, alreadyHeld: 8 },
        { host: 'counted2', pending: 1, timedOut: 0 },
      ],
      new Date(),
    );
    expect(await lagFiguresByHost(db, ['counted2', 'counted1'])).toEqual([
      lagFigures('counted2', [], 1, 0, 0),
      lagFigures('counted1', [sample('counted1', 1).lagMs], 3, 1, 8),
    ]);
    // upserted when they change
    await saveConvergenceCounts(db, [{ host: 'counted2', pending: 0, timedOut: 1, alreadyHeld: 2 }], new Date());
    expect(await lagFiguresByHost(db, ['counted2'])).toEqual([lagFigures('counted2', [], 0, 1, 2)]);
    // gone with the host
    await forgetNodeHosts(db, ['counted2']);
    expect(await lagFiguresByHost(db, ['counted2'])).toEqual([]);
  });

  it('stores BUM reports storable and reads back valid ones only', async () => {
    await saveBumReports(db, [bum('compute1')]);
    expect((await bumReportOf(db, 'compute1'))?.unavailable).toBe('tcpdump missing \uFFFD');
    await db.bumState.create({ data: { host: 'broken', from: new Date(), to: new Date(), report: { schema: 'l2scope.bum/0' } } });
    expect(await bumReportOf(db, 'broken')).toBeNull();
    expect((await bumReports(db)).map((r) => r.host)).toEqual(['compute1']);
  });

  it('names a stored snapshot that is not a valid full snapshot instead of returning it', async () => {
    await db.nodeState.create({ data: { host: 'odd', takenAt: new Date(), receivedAt: new Date(), agentType: 'linuxbridge', snapshot: { kind: 'full' } } });
    const { snapshots, invalid } = await loadNodeSnapshots(db);
    expect(snapshots).toEqual([]);
    expect(invalid.map((r) => r.host)).toEqual(['odd']);
    expect(await nodeSnapshotOf(db, 'odd')).toBeNull();
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
    await db.$transaction((tx) => insertMessages(tx, provider, [record]));
    const row = await db.message.findUniqueOrThrow({ where: { id: 9_000_001n } });
    let v: unknown = (row.properties as { headers: { x: unknown } }).headers.x;
    let depth = 3; // properties, headers, x: levels 1, 2, 3
    while (Array.isArray(v)) {
      v = v[0];
      depth++;
    }
    expect([v, depth]).toEqual([CUT_TOO_DEEP, 129]);
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
        MESSAGE_TABLE,
        rows.map((r, i) => [BigInt(base + i), ...r.slice(1)]),
      );
      await insertRows(
        tx,
        provider,
        MESSAGE_UNNEST,
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

  it('projects host ids that are one row once storable (NUL, lone surrogate) without a unique violation', async () => {
    const host = (id: string) => ({
      type: 'host' as const,
      host: {
        id,
        name: id,
        vtep: null,
        agentType: null,
        binary: null,
        l2population: null,
        arpResponder: null,
        distributedRouting: null,
        tunnelTypes: [],
        devices: null,
        startedAt: null,
        lastReportAt: null,
        networks: {},
      },
    });
    await db.$transaction((tx) => writeModelChanges(tx, provider, [host('h\u0000'), host('h\ud800'), host('h\uFFFD')]));
    await db.$transaction((tx) => writeModelChanges(tx, provider, [host('h\u0000')]));
    expect(await db.host.count({ where: { id: 'h\uFFFD' } })).toBe(1);
  });

  it('opens and resolves findings by kind and network', async () => {
    const f = {
      kind: 'mixed_l2pop' as const,
      network: 'net-1',
      vni: 7,
      hosts: ['compute1', 'compute2'],
      detail: 'l2pop on one host only',
      evidence: [],
      id: 0,
      firstSeenAt: '',
      lastSeenAt: '',
    };
    const id = await openFinding(db, f, new Date('2026-01-01T00:00:00Z'));
    expect(await openFindings(db)).toEqual([{ ...f, id, firstSeenAt: '2026-01-01T00:00:00.000Z', lastSeenAt: '2026-01-01T00:00:00.000Z', resolvedAt: null }]);
    await resolveFindings(db, ['mixed_l2pop/net-1'], new Date('2026-01-01T00:01:00Z'));
    expect(await openFindings(db)).toEqual([]);
  });

  it('rewrites what an open finding says, keeps its row and first seen; a resolved row stays as it was resolved', async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 0, 2, 0, m));
    const f = {
      kind: 'half_switched_vxlan' as const,
      network: 'net-2',
      vni: 649,
      hosts: ['compute1'],
      detail: 'compute1: still floods to multicast',
      evidence: [{ host: 'compute1', source: 'linuxbridge.vxlan' as const, file: 'compute1-ip-link-vxlan.json', text: 'vxlan-649 id 649 group 224.0.0.1' }],
      id: 0,
      firstSeenAt: '',
      lastSeenAt: '',
    };
    const id = await openFinding(db, f, at(0));
    const grown = {
      ...f,
      hosts: ['compute1', 'compute2'],
      detail: 'compute1, compute2: still floods to multicast',
      evidence: [...f.evidence, { ...f.evidence[0]!, host: 'compute2', file: 'compute2-ip-link-vxlan.json' }],
    };
    await refreshFindings(db, [grown], at(1));
    const open = (await openFindings(db)).filter((x) => x.network === 'net-2');
    expect(open).toEqual([{ ...grown, id, firstSeenAt: at(0).toISOString(), lastSeenAt: at(1).toISOString(), resolvedAt: null }]);

    await resolveFindings(db, ['half_switched_vxlan/net-2'], at(2));
    await refreshFindings(db, [{ ...grown, hosts: ['compute3'] }], at(3));
    const rows = await db.finding.findMany({ where: { key: 'half_switched_vxlan/net-2' } });
    expect(rows.map((r) => [r.id, r.hosts, r.resolvedAt?.toISOString()])).toEqual([[id, ['compute1', 'compute2'], at(2).toISOString()]]);

    // it comes back: a new row, the resolved one kept (the history)
    const again = await openFinding(db, { ...f, hosts: ['compute3'] }, at(4));
    expect(again).not.toBe(id);
    expect(await db.finding.count({ where: { key: 'half_switched_vxlan/net-2' } })).toBe(2);
    await refreshFindings(db, [], at(5));
  });

  it('stores the refused node messages per reason beside the message counters', async () => {
    expect(await readNodeRefusals(db)).toEqual({ host_mismatch: 0, stale: 0, oversize: 0, invalid: 0 });
    await writeNodeRefusals(db, { host_mismatch: 3, stale: 1, oversize: 1, invalid: 0 });
    await writeNodeRefusals(db, { host_mismatch: 4, stale: 1, oversize: 1, invalid: 2 });
    expect(await readNodeRefusals(db)).toEqual({ host_mismatch: 4, stale: 1, oversize: 1, invalid: 2 });
    expect((await readCounters(db)).received).toBe(0);
  });
});
