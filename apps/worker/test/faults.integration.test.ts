/**
 * Faults, on the real local RabbitMQ (a vhost per suite) and a real database (SQLite, or
 * PostgreSQL when DATABASE_URL points at one); every step waits on state, never on time:
 *
 * - `kill -9` of the worker (a real child process, `node --import tsx src/main.ts`) during a burst:
 *   on restart on the same stable tap queue (`--tap-queue`), every message the broker confirmed is
 *   stored exactly once (acked ones were committed before their ack; unacked ones are redelivered,
 *   those already committed are skipped by their delivery identity).
 * - The broker closes the tap's connection (`rabbitmqctl close_connection`): the tap reconnects
 *   within 5 s of the disconnection, a gap is stored and closed, and messages flow again.
 * - PostgreSQL unreachable under load (PostgreSQL only): simulated with a TCP proxy the test owns
 *   between the worker and the real server (testkit `startTcpProxy`; `cut()` resets the worker's
 *   connections and refuses new ones), never by touching the shared server. The worker retries the
 *   commit with backoff and acks nothing meanwhile; after `restore()` every message is stored once.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, closeDb, openDb } from '@l2scope/db';
import {
  TAP_LEAST_PRIVILEGE,
  type TestDatabase,
  type TestVhost,
  closeConnection,
  connectionsOf,
  createTestVhost,
  createWorkerToken,
  startTcpProxy,
  waitFor,
  workerAuthHeaders,
} from '@l2scope/testkit';
import { type WorkerHandle, exchangeFor, startWorker } from '../src';
import { type SpawnedWorker, declareExchanges, reportState, spawnWorker as spawn, storedOf, migratedTestDatabase } from './helpers/worker';

/** The spawned workers' token: their /api/stats needs it. */
const token = createWorkerToken();

const quiet = () => {};

/**
 * Publish `n` report_states (unique ids `<tag>-<i>`) onto `neutron` / `q-reports-plugin` as
 * neutron's agents do, in confirmed chunks; `onChunk` runs after each chunk is confirmed.
 * @returns once the broker confirmed every message
 */
async function publishBurst(url: string, tag: string, n: number, onChunk: (sent: number) => Promise<void> | void = () => {}): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  const spec = exchangeFor('neutron');
  await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  for (let i = 0; i < n; i += 100) {
    for (let j = i; j < Math.min(n, i + 100); j++)
      ch.publish(
        'neutron',
        'q-reports-plugin',
        reportState(`${tag}-host-${j % 50}`, `${tag}-${j}`, 'linuxbridge', `10.1.${Math.floor((j % 50) / 250)}.${((j % 50) % 250) + 1}`),
        { contentType: 'application/json', deliveryMode: 2 },
      );
    await ch.waitForConfirms();
    await onChunk(Math.min(n, i + 100));
  }
  await conn.close();
}

/** The worker as a real child process; resolves once its live server answers /healthz with 200 (tap connected). */
const spawnWorker = (args: string[]): Promise<SpawnedWorker> =>
  spawn(args, token, 'the worker to be connected', async (port) => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200);

let vhost: TestVhost;

beforeAll(async () => {
  vhost = await createTestVhost('l2scope-faults');
  await declareExchanges(vhost.adminUrl, ['neutron']);
});

afterAll(async () => {
  await vhost?.cleanup();
});

describe('kill -9 of the worker during a burst', () => {
  let testDb: TestDatabase;
  let db: Db;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    testDb = await migratedTestDatabase();
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (db) await closeDb(db);
    await testDb?.drop();
  });

  it('stores every confirmed message exactly once after the restart (acked ones were committed; none twice)', async () => {
    const { url: tapUrl } = await vhost.addUser(TAP_LEAST_PRIVILEGE);
    const queue = `l2scope.tap.faults-${randomBytes(3).toString('hex')}`;
    const args = ['--amqp', tapUrl, '--db', testDb.url, '--port', '0', '--host', '127.0.0.1', '--no-nodes', '--tap-queue', queue];
    const first = await spawnWorker(args);
    children.push(first.child);
    db = await openDb(testDb.url);
    const N = 3000;
    let killedAt = -1;
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    await publishBurst(vhost.adminUrl, 'kill', N, async (sent) => {
      // mid-burst: once some of it is stored, kill -9 while the rest is still being published and consumed
      if (killedAt < 0 && sent >= N / 3) {
        await waitFor('part of the burst stored', async () => (await storedOf(db, 'kill')).rows > 0, 30_000, 5);
        killedAt = (await storedOf(db, 'kill')).rows;
        first.child.kill('SIGKILL');
      }
    });
    await exited;
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThan(0);
    const atRestart = await storedOf(db, 'kill');
    expect(atRestart.rows).toBe(atRestart.distinct);
    expect(atRestart.rows).toBeLessThan(N); // the kill really interrupted the burst

    const second = await spawnWorker(args);
    children.push(second.child);
    await waitFor('every confirmed message stored', async () => (await storedOf(db, 'kill')).distinct === N, 60_000, 100);
    // the queue is drained and acked: nothing left to redeliver, and nothing was stored twice
    await waitFor('the tap queue drained', async () => {
      const conn = await amqp.connect(vhost.adminUrl);
      const ch = await conn.createChannel();
      const q = await ch.checkQueue(queue);
      await conn.close();
      return (
        q.messageCount === 0 &&
        (await fetch(`http://127.0.0.1:${second.port}/api/stats`, { headers: workerAuthHeaders(token) }).then((r) => r.json() as Promise<{ seq: number }>))
          .seq > 0
      );
    });
    expect(await storedOf(db, 'kill')).toEqual({ rows: N, distinct: N });
    const skipped = [...second.output().matchAll(/(\d+) redelivered message\(s\) already stored/g)].reduce((n, m) => n + Number(m[1]), 0);
    console.info(
      `kill -9: ${atRestart.rows}/${N} stored at the kill, ${N - atRestart.rows} redelivered or queued after it, ${skipped} redelivered duplicates skipped`,
    );
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
  }, 900_000); // a bound: each step waits on state; starting workers takes minutes on a busy machine
});

describe('the broker closes the tap connection', () => {
  let testDb: TestDatabase;
  let worker: WorkerHandle;
  let tapUser: string;

  beforeAll(async () => {
    testDb = await migratedTestDatabase();
    const u = await vhost.addUser(TAP_LEAST_PRIVILEGE);
    tapUser = u.user;
    worker = await startWorker({ amqpUrl: u.url, databaseUrl: testDb.url, port: 0, host: '127.0.0.1', nodeAmqpUrl: false, log: quiet });
  });
  afterAll(async () => {
    await worker?.stop();
    await testDb?.drop();
  });

  it('reconnects within 5 s of the disconnection, stores a gap, and taps again', async () => {
    const gapsBefore = await worker.db.tapGap.count();
    let downAt = 0;
    let upAt = 0;
    worker.health.on('changed', () => {
      if (!worker.health.connected && !downAt) downAt = performance.now();
      if (worker.health.connected && downAt && !upAt) upAt = performance.now();
    });
    // the tap's connection and its dead letters' own (dead-letters.ts)
    const pids = await waitFor('the tap connections', async () => {
      const open = await connectionsOf(tapUser);
      return open.length === 2 ? open : null;
    });
    for (const pid of pids) await closeConnection(pid, 'l2scope test: broker-side close');
    await waitFor('the tap to notice the disconnect', () => downAt > 0, 10_000);
    await waitFor('the tap to reconnect', () => upAt > 0, 10_000);
    console.info(`broker close_connection: reconnected ${Math.round(upAt - downAt)} ms after the disconnection`);
    expect(upAt - downAt).toBeLessThan(5_000);
    const gap = await waitFor('the gap stored and closed', async () => {
      const gaps = await worker.db.tapGap.findMany({ orderBy: { id: 'desc' } });
      return gaps.length > gapsBefore && gaps[0]!.endedAt ? gaps[0] : null;
    });
    expect(gap.reason).toMatch(/l2scope test: broker-side close|CONNECTION_FORCED/);
    // resync: the new queue is bound and messages flow again
    await publishBurst(vhost.adminUrl, 'after-close', 10);
    await waitFor('messages after the reconnect', async () => (await storedOf(worker.db, 'after-close')).rows === 10, 15_000);
    // the dead letters' connection opened again by itself, beside the tap's new one
    await waitFor('both connections open again', async () => (await connectionsOf(tapUser)).filter((p) => !pids.includes(p)).length === 2, 30_000);
  });
});

const onPostgres = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '');

describe.skipIf(!onPostgres)('PostgreSQL unreachable under load', () => {
  let testDb: TestDatabase;
  let worker: WorkerHandle;
  let direct: pg.Client;
  const proxy = startTcpProxy({ host: '127.0.0.1', port: 5432 });

  beforeAll(async () => {
    testDb = await migratedTestDatabase();
    const proxied = new URL(testDb.url);
    proxied.port = String((await proxy).port);
    const u = await vhost.addUser(TAP_LEAST_PRIVILEGE);
    worker = await startWorker({ amqpUrl: u.url, databaseUrl: proxied.toString(), port: 0, host: '127.0.0.1', nodeAmqpUrl: false, log: quiet });
    direct = new pg.Client({ connectionString: testDb.url });
    await direct.connect();
  });
  afterAll(async () => {
    (await proxy).restore();
    await worker?.stop();
    await direct?.end();
    await (await proxy).close();
    await testDb?.drop();
  });

  /** Rows of a burst read straight from PostgreSQL (not through the proxy). */
  const stored = async (tag: string) =>
    Number((await direct.query<{ n: string }>(`SELECT count(DISTINCT "uniqueId") AS n FROM "Message" WHERE "uniqueId" LIKE $1`, [`${tag}-%`])).rows[0]!.n);

  it('retries the commit with backoff, acks nothing meanwhile, and loses nothing acked', async () => {
    const p = await proxy;
    const N = 2000;
    let failures = 0;
    worker.pipeline.on('write_failed', () => failures++);
    let storedAtCut = -1;
    await publishBurst(vhost.adminUrl, 'pg', N, async (sent) => {
      if (storedAtCut < 0 && sent >= N / 4) {
        await waitFor('part of the burst stored', async () => (await stored('pg')) > 0, 30_000, 5);
        p.cut();
        storedAtCut = await stored('pg');
      }
    });
    // the outage: commits fail and are retried, nothing new is stored, and what is not stored is not acked
    await waitFor('a failed commit', () => failures > 0, 30_000);
    const during = await stored('pg');
    await waitFor('the tap holding unacked messages', () => worker.pipeline.pending > 0, 10_000);
    expect(during).toBeLessThan(N);
    p.restore();
    await waitFor('every message stored after the outage', async () => (await stored('pg')) === N, 90_000, 200);
    await waitFor('nothing pending', () => worker.pipeline.pending === 0, 30_000);
    const rows = Number((await direct.query<{ n: string }>(`SELECT count(*) AS n FROM "Message" WHERE "uniqueId" LIKE 'pg-%'`)).rows[0]!.n);
    expect(rows).toBe(N);
    expect(storedAtCut).toBeGreaterThan(0);
    console.info(`PostgreSQL outage: ${storedAtCut}/${N} stored at the cut, ${failures} failed commits retried, ${N} stored once after the restore`);
  }, 900_000); // a bound: each step waits on state; starting workers takes minutes on a busy machine
});
