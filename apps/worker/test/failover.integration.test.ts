/**
 * Active/standby failover (docs/operations.md#failover), PostgreSQL only: two real worker
 * processes (`node --import tsx src/main.ts`) on one real PostgreSQL database and one RabbitMQ
 * vhost of their own. The first takes the active lock and taps; the second reports
 * `role: standby`. SIGKILL of the active worker in the middle of a burst: the standby takes the
 * lock and the tap within 10 s, every message the broker confirmed is stored exactly once (acked
 * ones were committed before their ack; the rest wait in the shared stable queue or are
 * redelivered, and those already committed are skipped by their delivery identity), and the
 * takeover interval is stored as a closed tap gap. Every step waits on /healthz or the database.
 *
 * On SQLite there is no lock (a single worker): the suite is skipped, and says so.
 */
import type { ChildProcess } from 'node:child_process';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, closeDb, openDb } from '@l2scope/db';
import { createWorkerToken, waitFor, workerAuthHeaders } from '@l2scope/testkit';
import type { TapStats } from '@l2scope/domain';
import { FAILOVER_TAP_QUEUE } from '../src';
import { type SpawnedWorker, type WorkerEnv, createWorkerEnv, reportState, spawnWorker as spawn, storedOf } from './helpers/worker';

const onPostgres = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '');
if (!onPostgres) console.info('failover.integration: skipped: the active lock needs PostgreSQL (DATABASE_URL=postgresql://...); SQLite runs one worker');

const token = createWorkerToken();

interface Health {
  ok: boolean;
  role: 'active' | 'standby';
  seq: number;
}

/** /healthz of a worker, null while it does not answer (a takeover restarts its live server). */
async function health(port: number): Promise<Health | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/healthz`);
    return (await r.json()) as Health;
  } catch {
    return null;
  }
}

/** A worker as a real child process; resolves once /healthz reports `role`. */
const spawnWorker = (args: string[], role: Health['role']): Promise<SpawnedWorker> =>
  spawn(args, token, `the worker to report ${role}`, async (port) => {
    const h = await health(port);
    return h?.role === role && h.ok;
  });

describe.skipIf(!onPostgres)('two workers on one PostgreSQL database: SIGKILL of the active one', () => {
  let env: WorkerEnv;
  let db: Db;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    env = await createWorkerEnv('l2scope-failover', ['neutron']);
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (db) await closeDb(db);
    await env?.cleanup();
  });

  it('the standby takes over within 10 s, stores every confirmed message once, and records the gap', async () => {
    const { tapUrl, vhost, db: testDb } = env;
    // no --tap-queue: on PostgreSQL both share the default stable queue
    const args = ['--amqp', tapUrl, '--db', testDb.url, '--port', '0', '--host', '127.0.0.1', '--no-nodes'];
    const active = await spawnWorker(args, 'active');
    children.push(active.child);
    const standby = await spawnWorker(args, 'standby');
    children.push(standby.child);
    expect(standby.output()).toMatch(/standby: another worker holds the active lock/);
    db = await openDb(testDb.url);

    const N = 3000;
    let killedAt = 0;
    let storedAtKill = -1;
    const exited = new Promise((resolve) => active.child.once('exit', resolve));
    const conn = await amqp.connect(vhost.adminUrl);
    const ch = await conn.createConfirmChannel();
    for (let i = 0; i < N; i += 100) {
      for (let j = i; j < i + 100; j++)
        ch.publish('neutron', 'q-reports-plugin', reportState(`fo-host-${j % 50}`, `fo-${j}`, 'openvswitch', `10.2.0.${(j % 50) + 1}`), {
          contentType: 'application/json',
          deliveryMode: 2,
        });
      await ch.waitForConfirms();
      if (!killedAt && i + 100 >= N / 3) {
        await waitFor('part of the burst stored', async () => (await storedOf(db, 'fo')).rows > 0, 30_000, 5);
        storedAtKill = (await storedOf(db, 'fo')).rows;
        killedAt = Date.now();
        active.child.kill('SIGKILL');
      }
    }
    await conn.close();
    await exited;
    expect(active.child.signalCode).toBe('SIGKILL');
    expect(storedAtKill).toBeGreaterThan(0);
    expect(storedAtKill).toBeLessThan(N);

    await waitFor('the standby to become active', async () => (await health(standby.port))?.role === 'active', 20_000, 50);
    const tookOverMs = Date.now() - killedAt;
    await waitFor('the tap connected', async () => (await health(standby.port))?.ok === true, 20_000);
    expect(tookOverMs).toBeLessThan(10_000);

    await waitFor('every confirmed message stored', async () => (await storedOf(db, 'fo')).distinct === N, 60_000, 100);
    await waitFor('the shared tap queue drained', async () => {
      const c = await amqp.connect(vhost.adminUrl);
      const q = await (await c.createChannel()).checkQueue(FAILOVER_TAP_QUEUE);
      await c.close();
      return q.messageCount === 0;
    });
    expect(await storedOf(db, 'fo')).toEqual({ rows: N, distinct: N });

    // the takeover interval is a closed gap, spanning the kill, shown in the stats like any gap
    const gap = await waitFor('the failover gap', () => db.tapGap.findFirst({ where: { reason: { startsWith: 'failover' } } }), 10_000);
    expect(gap.endedAt).not.toBeNull();
    // from the standby's last attempt that found the lock held: before the kill, or just after it
    // when PostgreSQL had not yet closed the dead worker's session (well within one 2 s retry)
    expect(gap.startedAt.getTime()).toBeLessThan(killedAt + 1_000);
    expect(gap.endedAt!.getTime()).toBeGreaterThanOrEqual(killedAt);
    const stats = (await fetch(`http://127.0.0.1:${standby.port}/api/stats`, { headers: workerAuthHeaders(token) }).then((r) => r.json())) as TapStats;
    expect(stats.role).toBe('active');
    expect(stats.gaps.some((g) => g.reason.startsWith('failover') && g.endedAt !== null)).toBe(true);
    const skipped = [...standby.output().matchAll(/(\d+) redelivered message\(s\) already stored/g)].reduce((n, m) => n + Number(m[1]), 0);
    console.info(
      `failover: the standby was active ${tookOverMs} ms after the SIGKILL; ${storedAtKill}/${N} stored at the kill, ${skipped} redelivered duplicates skipped; gap ${gap.endedAt!.getTime() - gap.startedAt.getTime()} ms`,
    );
    standby.child.kill('SIGTERM');
    await new Promise((resolve) => standby.child.once('exit', resolve));
  }, 900_000); // a bound: each step waits on state; starting workers takes minutes on a busy machine
});
