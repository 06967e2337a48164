/**
 * Real databases: a fresh temporary SQLite file and a fresh, uniquely named PostgreSQL database
 * (127.0.0.1:5432, user postgres, dropped afterwards). Each is migrated with `migrate()` and
 * every model is round-tripped through `openDb()`.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma, type Db, dbProvider, openDb } from '../src/index';
import { migrate } from '../src/migrate';
import { PROVIDERS, type DbProvider, libsqlUrl, migrationsDir } from '../src/config';
import { databaseDrift, modelsScript, planMigration } from '../src/migrations';
import { migrationNames } from '../src/schema';

const PG_ADMIN = process.env.L2SCOPE_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const pgDbName = `l2scope_test_${process.pid}_${Date.now()}_${randomBytes(3).toString('hex')}`;
const pgRefName = `${pgDbName}_ref`;
let tmpDir = '';

async function pgAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Tables, columns, indexes, constraints and sequences of `public`, minus Prisma's own table, as sorted lines. */
async function pgCatalog(connectionString: string): Promise<string[]> {
  const c = new pg.Client({ connectionString });
  await c.connect();
  try {
    const lines = async (sql: string) => (await c.query<Record<string, unknown>>(sql)).rows.map((r) => Object.values(r).map(String).join(' | '));
    return [
      ...(await lines(`SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '-'), coalesce(datetime_precision::text, '-')
        FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1, 2`)),
      ...(await lines(`SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1, 2`)),
      ...(await lines(`SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations' ORDER BY 1, 2`)),
      ...(await lines(`SELECT sequencename, data_type FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`)),
    ];
  } finally {
    await c.end();
  }
}

/** Linux syscall numbers of nanosleep and clock_nanosleep (SQLite's busy handler sleeps with usleep). */
const SLEEP_SYSCALLS: Record<string, string[]> = { x64: ['35', '230'], arm64: ['101', '115'] };

/**
 * A worker thread that watches this process's main thread (/proc/<pid>/syscall: the syscall it
 * is blocked in) and sends SIGUSR2 to `pid` once the main thread sleeps in SQLite's busy
 * handler (nanosleep / clock_nanosleep; an idle event loop waits in epoll instead).
 * `watching` resolves once it polls; `signalled` resolves true once the signal was sent. Linux only.
 */
function busyWaitWatcher(pid: number): { watching: Promise<void>; signalled: Promise<boolean>; stop: () => Promise<number> } {
  const sleeps = SLEEP_SYSCALLS[process.arch];
  if (!sleeps) throw new Error(`no sleep syscall numbers for ${process.arch}`);
  const w = new Worker(
    `const { readFileSync } = require('node:fs');
     const { workerData, parentPort } = require('node:worker_threads');
     const nap = new Int32Array(new SharedArrayBuffer(4));
     parentPort.postMessage('watching');
     for (;;) {
       const nr = readFileSync('/proc/' + workerData.self + '/syscall', 'utf8').split(' ')[0];
       if (workerData.sleeps.includes(nr)) break;
       Atomics.wait(nap, 0, 0, 1); // poll interval; the main thread sleeps 1 ms to 100 ms per retry
     }
     process.kill(workerData.pid, 'SIGUSR2');
     parentPort.postMessage('signalled');`,
    { eval: true, workerData: { self: process.pid, pid, sleeps } },
  );
  const said = (what: string) =>
    new Promise<boolean>((resolve, reject) => {
      w.on('message', (m) => m === what && resolve(true));
      w.once('error', reject);
      w.once('exit', () => resolve(false));
    });
  const watching = said('watching');
  return { watching: watching.then(() => {}), signalled: said('signalled'), stop: () => w.terminate() };
}

/** Catalog lines the PostgreSQL migrations add by hand: the models cannot say them (migration inspector_filters). */
const PG_HAND_WRITTEN = ['Message | CREATE INDEX "Message_search_trgm_idx" ON public."Message" USING gin (search gin_trgm_ops)'];

const urls: Record<DbProvider, () => string> = {
  sqlite: () => `file:${path.join(tmpDir, 'l2scope.db')}`,
  postgresql: () => {
    const u = new URL(PG_ADMIN);
    u.pathname = `/${pgDbName}`;
    return u.toString();
  },
};

beforeAll(async () => {
  tmpDir = mkdtempSync(path.join(tmpdir(), 'l2scope-db-'));
  await pgAdmin((c) => c.query(`CREATE DATABASE "${pgDbName}"`));
});

afterAll(async () => {
  rmSync(tmpDir, { recursive: true, force: true });
  await pgAdmin(async (c) => {
    for (const name of [pgDbName, pgRefName]) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
});

/** Bytes that are not valid UTF-8 (lone continuation, overlong, surrogate, 0xFF) plus NUL. */
const INVALID_UTF8 = Uint8Array.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf8, 0x88]);
const BIG_ID = 2n ** 40n + 7n; // beyond 2^31 (and 2^32)
const HUGE = 2n ** 62n + 3n; // beyond 2^53: a JS number would lose it

function message(id: bigint, raw: Uint8Array<ArrayBuffer>, extra: Partial<Prisma.MessageCreateInput> = {}): Prisma.MessageCreateInput {
  return {
    id,
    receivedAt: new Date('2026-01-02T03:04:05.678Z'),
    exchange: 'neutron',
    routingKey: 'q-agent-notifier-l2population-update_fanout',
    method: 'add_fdb_entries',
    kind: 'fdb',
    target: 'fanout',
    ok: true,
    decoded: {
      method: 'add_fdb_entries',
      args: { fdb_entries: { net: { segment_id: 649, ports: { '10.0.0.2': [['00:00:00:00:00:00', '0.0.0.0']] } } } },
      unicode: 'é✓🚀',
      n: null,
    },
    properties: { contentType: 'application/json', headers: { 'x-a': 1 } },
    raw,
    size: raw.length,
    source: 'amqp',
    search: 'add_fdb_entries 10.0.0.2',
    ...extra,
  };
}

describe.each(PROVIDERS)('%s', (provider) => {
  let url = '';
  let db: Db;
  let firstRun: string[] = [];

  beforeAll(async () => {
    url = urls[provider]();
    expect(dbProvider(url)).toBe(provider);
    firstRun = (await migrate(url)).applied;
    db = await openDb(url);
  });

  afterAll(async () => {
    await db?.$disconnect();
  });

  it('applies every migration once, then nothing (idempotent)', async () => {
    const all = migrationNames(provider);
    expect(all.length).toBeGreaterThan(0);
    expect(all[0]).toMatch(/^\d{14}_init$/);
    expect(firstRun).toEqual(all);
    expect((await migrate(url)).applied).toEqual([]);
    expect((await migrate(url)).applied).toEqual([]);
  });

  it('writes _prisma_migrations rows the way Prisma does', async () => {
    const rows = await db.$queryRawUnsafe<
      { migration_name: string; checksum: string; finished_at: unknown; rolled_back_at: unknown; logs: unknown; applied_steps_count: number | bigint }[]
    >('SELECT migration_name, checksum, finished_at, rolled_back_at, logs, applied_steps_count FROM _prisma_migrations ORDER BY migration_name');
    expect(rows.map((r) => r.migration_name)).toEqual(migrationNames(provider));
    for (const r of rows) {
      const sql = readFileSync(path.join(migrationsDir(provider), r.migration_name, 'migration.sql'));
      expect(r.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(r.finished_at).not.toBeNull();
      expect(r.rolled_back_at).toBeNull();
      expect(r.logs).toBeNull();
      expect(Number(r.applied_steps_count)).toBe(1);
    }
  });

  it('prisma/models.prisma has no change the migrations lack (offline check)', async () => {
    const { plans } = await planMigration();
    expect(plans.find((p) => p.provider === provider)?.script).toBe('');
  });

  it('the migrations produce exactly prisma/models.prisma (no drift)', async () => {
    if (provider === 'sqlite') {
      // The engine describes the migrated database and diffs it against the models.
      expect(await databaseDrift(url)).toBe('');
      return;
    }
    // PostgreSQL: the engine cannot describe a live schema through adapter-pg 7.10.0 (see
    // databaseDrift), so compare catalogs: migrated database vs one built from the models' SQL.
    const script = await modelsScript('postgresql');
    expect(script).toContain('CREATE TABLE "Message"');
    await pgAdmin((c) => c.query(`CREATE DATABASE "${pgRefName}"`));
    const ref = new URL(url);
    ref.pathname = `/${pgRefName}`;
    const c = new pg.Client({ connectionString: ref.toString() });
    await c.connect();
    try {
      await c.query(script);
    } finally {
      await c.end();
    }
    const migrated = await pgCatalog(url);
    expect(migrated.some((l) => l.startsWith('Message | raw | bytea'))).toBe(true);
    expect(migrated.some((l) => l.includes('FOREIGN KEY ("messageId") REFERENCES "Message"(id) ON UPDATE CASCADE ON DELETE CASCADE'))).toBe(true);
    for (const line of PG_HAND_WRITTEN) expect(migrated).toContain(line);
    expect(migrated.filter((l) => !PG_HAND_WRITTEN.includes(l))).toEqual(await pgCatalog(ref.toString()));
  });

  if (provider === 'sqlite') {
    it('SQLite runs in WAL mode with a busy timeout and foreign keys on', async () => {
      const [jm] = await db.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode');
      expect(jm?.journal_mode).toBe('wal');
      const [bt] = await db.$queryRawUnsafe<Record<string, number | bigint>[]>('PRAGMA busy_timeout');
      expect(Number(Object.values(bt ?? {})[0])).toBe(10_000);
      const [fk] = await db.$queryRawUnsafe<{ foreign_keys: number | bigint }[]>('PRAGMA foreign_keys');
      expect(Number(fk?.foreign_keys)).toBe(1);
      // Inside an interactive transaction too (libsql opens another connection for it).
      const inTx = await db.$transaction((tx) => tx.$queryRawUnsafe<{ foreign_keys: number | bigint }[]>('PRAGMA foreign_keys'));
      expect(Number(inTx[0]?.foreign_keys)).toBe(1);
    });

    it('SQLite: another process holding the write lock neither blocks reads nor fails writes', async () => {
      // The "worker": a separate process that takes the write lock, writes, and holds the lock
      // until it is told to commit (SIGUSR2): nothing here depends on how fast either side runs.
      const child = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { createClient } from '@libsql/client';
           const c = createClient({ url: ${JSON.stringify(libsqlUrl(url))} });
           const tx = await c.transaction('write');
           await tx.execute("INSERT INTO Counter (name, value) VALUES ('from-child', 7)");
           const alive = setInterval(() => {}, 1 << 30); // a signal handler alone keeps no process alive
           process.once('SIGUSR2', async () => { await tx.commit(); c.close(); clearInterval(alive); process.stdout.write('committed\\n'); });
           process.stdout.write('locked\\n');`,
        ],
        { cwd: path.dirname(fileURLToPath(import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', () => out.includes('locked') && resolve());
        child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
      // The "web server": reads while the lock is held (the child commits only when told), without
      // the uncommitted row (a read waiting for the lock would fail after the busy timeout).
      expect(await db.counter.findUnique({ where: { name: 'from-child' } })).toBeNull();
      // A write waits for the lock (busy timeout) instead of failing with SQLITE_BUSY: libsql
      // waits inside the call, on this thread, so a watcher thread tells the child to commit once
      // it sees this thread asleep in SQLite's busy handler, i.e. the write is waiting.
      const watcher = busyWaitWatcher(child.pid!);
      try {
        await watcher.watching;
        await db.counter.create({ data: { name: 'from-parent', value: 1n } });
        expect(await watcher.signalled).toBe(true);
      } finally {
        await watcher.stop();
      }
      expect(await exited).toBe(0);
      expect(out).toContain('committed');
      expect((await db.counter.findUniqueOrThrow({ where: { name: 'from-child' } })).value).toBe(7n);
      await db.counter.deleteMany({ where: { name: { in: ['from-child', 'from-parent'] } } });
    });
  }

  it('Message: BigInt id beyond 2^31, invalid UTF-8 Bytes, Json, DbNull', async () => {
    await db.message.create({ data: message(BIG_ID, INVALID_UTF8) });
    const m = await db.message.findUniqueOrThrow({ where: { id: BIG_ID } });
    expect(m.id).toBe(BIG_ID);
    expect(typeof m.id).toBe('bigint');
    expect(Buffer.from(m.raw).equals(Buffer.from(INVALID_UTF8))).toBe(true);
    expect(m.raw.length).toBe(INVALID_UTF8.length);
    expect(m.decoded).toEqual(message(BIG_ID, INVALID_UTF8).decoded);
    expect(m.properties).toEqual({ contentType: 'application/json', headers: { 'x-a': 1 } });
    expect(m.receivedAt.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    expect(m.rawTruncated).toBe(false);
    expect(m.errorReason).toBeNull();

    await db.message.create({
      data: message(BIG_ID + 1n, new Uint8Array(0), {
        ok: false,
        method: null,
        kind: 'undecodable',
        decoded: Prisma.DbNull,
        errorReason: 'invalid_json',
        error: 'Unexpected token',
      }),
    });
    const bad = await db.message.findUniqueOrThrow({ where: { id: BIG_ID + 1n } });
    expect(bad.decoded).toBeNull();
    expect(bad.raw.length).toBe(0);
    expect(bad.method).toBeNull();
    // Range queries on the BigInt key.
    expect(await db.message.count({ where: { id: { gt: 2n ** 31n } } })).toBe(2);
    expect((await db.message.findMany({ where: { ok: false }, select: { id: true } })).map((r) => r.id)).toEqual([BIG_ID + 1n]);
  });

  it('Message: a 10 MB body round-trips byte for byte', async () => {
    const body = randomBytes(10 * 1024 * 1024);
    body[0] = 0xff; // not UTF-8 from the first byte
    const id = BIG_ID + 100n;
    await db.message.create({ data: message(id, body, { rawTruncated: true }) });
    const m = await db.message.findUniqueOrThrow({ where: { id } });
    expect(m.raw.length).toBe(body.length);
    expect(createHash('sha256').update(m.raw).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(m.rawTruncated).toBe(true);
    await db.message.delete({ where: { id } });
  });

  it('MessageRef: createMany, then cascade delete with the Message (Prisma delete and plain SQL)', async () => {
    const id = BIG_ID + 200n;
    await db.message.create({ data: message(id, INVALID_UTF8) });
    const refs = [
      { messageId: id, kind: 'network', value: 'net-1' },
      { messageId: id, kind: 'vni', value: '649' },
      { messageId: id, kind: 'vtep', value: '10.0.0.2' },
      { messageId: id, kind: 'host', value: 'compute-1' },
    ];
    expect((await db.messageRef.createMany({ data: refs })).count).toBe(4);
    const withRefs = await db.message.findUniqueOrThrow({ where: { id }, include: { refs: { orderBy: { kind: 'asc' } } } });
    expect(withRefs.refs.map((r) => `${r.kind}=${r.value}`)).toEqual(['host=compute-1', 'network=net-1', 'vni=649', 'vtep=10.0.0.2']);
    expect(await db.messageRef.count({ where: { kind: 'vni', value: '649' } })).toBe(1);

    // Through Prisma.
    await db.message.delete({ where: { id } });
    expect(await db.messageRef.count({ where: { messageId: id } })).toBe(0);

    // Through plain SQL: the database itself cascades (not an emulation by the client).
    const id2 = id + 1n;
    await db.message.create({ data: message(id2, INVALID_UTF8) });
    await db.messageRef.createMany({ data: refs.map((r) => ({ ...r, messageId: id2 })) });
    expect(await db.messageRef.count({ where: { messageId: id2 } })).toBe(4);
    const deleted = await db.$executeRawUnsafe(`DELETE FROM "Message" WHERE "id" = ${id2}`);
    expect(deleted).toBe(1);
    const left = await db.$queryRawUnsafe<{ n: number | bigint }[]>(`SELECT COUNT(*) AS n FROM "MessageRef" WHERE "messageId" = ${id2}`);
    expect(Number(left[0]?.n)).toBe(0);

    // And the foreign key refuses orphans.
    await expect(db.messageRef.create({ data: { messageId: 424242n, kind: 'host', value: 'x' } })).rejects.toMatchObject({ code: 'P2003' });
  });

  it('Host, Network, VtepEntries: every column, Json, upsert', async () => {
    const host = {
      id: 'compute-1',
      name: 'compute-1',
      vtep: '10.0.0.2',
      agentType: 'Linux bridge agent',
      binary: 'neutron-linuxbridge-agent',
      l2population: true,
      arpResponder: false,
      distributedRouting: null,
      tunnelTypes: ['vxlan'],
      devices: 3,
      startedAt: new Date('2026-01-01T00:00:00.001Z'),
      lastReportAt: null,
      expiredAt: null,
      networks: { 'net-1': { joinedAt: 1, directedAt: null } },
    };
    await db.host.create({ data: host });
    await db.host.create({ data: { id: 'vtep:10.0.0.3', tunnelTypes: [], networks: {} } });
    expect(await db.host.findUniqueOrThrow({ where: { id: 'compute-1' } })).toEqual(host);
    const bare = await db.host.findUniqueOrThrow({ where: { id: 'vtep:10.0.0.3' } });
    expect(bare).toMatchObject({ name: null, vtep: null, l2population: null, devices: null, tunnelTypes: [], networks: {} });
    await db.host.upsert({ where: { id: 'compute-1' }, create: host, update: { arpResponder: true, lastReportAt: new Date(5) } });
    expect(await db.host.findUniqueOrThrow({ where: { id: 'compute-1' } })).toMatchObject({ arpResponder: true, lastReportAt: new Date(5) });
    expect((await db.host.findMany({ where: { vtep: '10.0.0.2' } })).map((h) => h.id)).toEqual(['compute-1']);

    await db.network.create({ data: { id: 'net-1', vni: 16_777_215, networkType: 'vxlan', firstSeenAt: new Date(1000) } });
    await db.network.create({ data: { id: 'net-2', vni: null, networkType: 'flat', firstSeenAt: new Date(2000) } });
    expect(await db.network.findMany({ orderBy: { id: 'asc' } })).toEqual([
      { id: 'net-1', vni: 16_777_215, networkType: 'vxlan', firstSeenAt: new Date(1000), deletedAt: null },
      { id: 'net-2', vni: null, networkType: 'flat', firstSeenAt: new Date(2000), deletedAt: null },
    ]);

    const entries = {
      networkId: 'net-1',
      vtep: '10.0.0.2',
      flood: true,
      macs: ['fa:16:3e:00:00:01', 'fa:16:3e:00:00:02'],
      neigh: { '192.168.0.5': 'fa:16:3e:00:00:01' },
      updatedAt: new Date(3000),
    };
    await db.vtepEntries.create({ data: entries });
    await db.vtepEntries.upsert({
      where: { networkId_vtep: { networkId: 'net-1', vtep: '10.0.0.2' } },
      create: entries,
      update: { flood: false, macs: [] },
    });
    expect(await db.vtepEntries.findUniqueOrThrow({ where: { networkId_vtep: { networkId: 'net-1', vtep: '10.0.0.2' } } })).toEqual({
      ...entries,
      flood: false,
      macs: [],
    });
    expect((await db.vtepEntries.deleteMany({ where: { vtep: '10.0.0.2' } })).count).toBe(1);
  });

  it('ModelChange: createMany of 1,000 rows with BigInt message ids, ordered reads', async () => {
    const data = Array.from({ length: 1000 }, (_, i) => ({
      messageId: BIG_ID + BigInt(Math.floor(i / 10)),
      idx: i % 10,
      at: new Date(10_000 + i),
      type: i % 2 ? 'vtep' : 'host',
      key: i % 2 ? `net-1/10.0.0.${i % 7}` : `compute-${i % 3}`,
      payload: { i, nested: { ok: i % 3 === 0 }, list: [i, String(i)] },
    }));
    expect((await db.modelChange.createMany({ data })).count).toBe(1000);
    expect(await db.modelChange.count()).toBe(1000);
    const last = await db.modelChange.findFirstOrThrow({ orderBy: [{ messageId: 'desc' }, { idx: 'desc' }] });
    expect(last).toEqual({ ...data[999], messageId: BIG_ID + 99n });
    expect(await db.modelChange.count({ where: { type: 'host', key: 'compute-0' } })).toBe(
      data.filter((d) => d.type === 'host' && d.key === 'compute-0').length,
    );
  });

  it('TapGap, Counter, ModelState: autoincrement, BigInt beyond 2^53, singleton upsert', async () => {
    const g1 = await db.tapGap.create({ data: { startedAt: new Date(1), reason: 'connection closed' } });
    const g2 = await db.tapGap.create({ data: { startedAt: new Date(2), endedAt: new Date(3), reason: 'heartbeat timeout' } });
    expect(g2.id).toBe(g1.id + 1);
    expect(g1.endedAt).toBeNull();
    await db.tapGap.update({ where: { id: g1.id }, data: { endedAt: new Date(4) } });
    expect((await db.tapGap.findUniqueOrThrow({ where: { id: g1.id } })).endedAt).toEqual(new Date(4));

    await db.counter.create({ data: { name: 'received', value: HUGE } });
    expect((await db.counter.findUniqueOrThrow({ where: { name: 'received' } })).value).toBe(HUGE);
    await db.counter.update({ where: { name: 'received' }, data: { value: { increment: 1n } } });
    expect((await db.counter.findUniqueOrThrow({ where: { name: 'received' } })).value).toBe(HUGE + 1n);

    for (const seq of [BIG_ID, HUGE]) {
      await db.modelState.upsert({ where: { id: 1 }, create: { id: 1, seq }, update: { seq } });
    }
    expect(await db.modelState.findMany()).toEqual([{ id: 1, seq: HUGE }]);
  });

  it('transactions: interactive commit, rollback on throw, batch', async () => {
    const id = BIG_ID + 300n;
    await db.$transaction(async (tx) => {
      await tx.message.create({ data: message(id, INVALID_UTF8) });
      await tx.messageRef.createMany({ data: [{ messageId: id, kind: 'host', value: 'compute-9' }] });
      await tx.counter.upsert({ where: { name: 'persisted' }, create: { name: 'persisted', value: 1n }, update: { value: { increment: 1n } } });
    });
    expect(await db.messageRef.count({ where: { messageId: id } })).toBe(1);
    expect((await db.counter.findUniqueOrThrow({ where: { name: 'persisted' } })).value).toBe(1n);

    const boom = new Error('rollback please');
    await expect(
      db.$transaction(async (tx) => {
        await tx.message.create({ data: message(id + 1n, INVALID_UTF8) });
        await tx.counter.update({ where: { name: 'persisted' }, data: { value: { increment: 1n } } });
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await db.message.findUnique({ where: { id: id + 1n } })).toBeNull();
    expect((await db.counter.findUniqueOrThrow({ where: { name: 'persisted' } })).value).toBe(1n);

    const [, , n] = await db.$transaction([
      db.message.create({ data: message(id + 2n, INVALID_UTF8) }),
      db.messageRef.create({ data: { messageId: id + 2n, kind: 'vni', value: '649' } }),
      db.messageRef.count({ where: { messageId: id + 2n } }),
    ]);
    expect(n).toBe(1);
  });
});
