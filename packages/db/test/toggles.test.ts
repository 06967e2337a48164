/**
 * Toggle jobs and the audit chain on both databases (a temporary SQLite file, a uniquely named
 * PostgreSQL database on 127.0.0.1:5432): jobs are created planned with one audit entry each,
 * moved only by compare-and-set along the state machine, and every move is audited; a host holds
 * one open job, even against a second client racing; the chain
 * verifies, and a row edited by hand with raw SQL (its detail, its actor) is named by its seq.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TogglePlan } from '@l2scope/domain';
import {
  type Db,
  advanceToggleJob,
  appendAudit,
  closeDb,
  createToggleJobs,
  getToggleJob,
  listAudit,
  listToggleJobs,
  openDb,
  ToggleHostBusyError,
  verifyAuditChain,
} from '../src/index';
import { migrate } from '../src/migrate';
import { PROVIDERS } from '../src/config';

const PG_ADMIN = process.env.L2SCOPE_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const pgDbName = `l2scope_toggles_${process.pid}_${randomBytes(3).toString('hex')}`;
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
  tmpDir = mkdtempSync(path.join(tmpdir(), 'l2scope-toggles-'));
  await pgAdmin(`CREATE DATABASE "${pgDbName}"`);
});
afterAll(async () => {
  rmSync(tmpDir, { recursive: true, force: true });
  await pgAdmin(`DROP DATABASE IF EXISTS "${pgDbName}" WITH (FORCE)`);
});

const PLAN: TogglePlan = {
  agent: null,
  refusal: null,
  method: 'restart',
  downtimeS: 5,
  predicted: [],
  warnings: [],
  applicable: true,
};

describe.each(PROVIDERS)('%s', (provider) => {
  let db: Db;

  let url = '';

  beforeAll(async () => {
    url = provider === 'sqlite' ? `file:${path.join(tmpDir, 'toggles.db')}` : Object.assign(new URL(PG_ADMIN), { pathname: `/${pgDbName}` }).toString();
    await migrate(url);
    db = await openDb(url);
  });
  afterAll(async () => {
    if (db) await closeDb(db);
  });

  it('creates a batch planned, moves a job only from the state it is in, and audits every move', async () => {
    await db.$transaction([db.toggleJob.deleteMany(), db.auditEntry.deleteMany()]);
    const jobs = await createToggleJobs(db, {
      hosts: ['compute-a', 'compute-b'],
      change: { l2_population: true },
      inPlace: false,
      requestedBy: 'alice',
      origin: '10.0.0.9',
    });
    expect(jobs.map((j) => [j.host, j.state, j.batchIndex, j.plan])).toEqual([
      ['compute-a', 'planned', 0, null],
      ['compute-b', 'planned', 1, null],
    ]);
    expect(jobs[0]!.batchId).not.toBeNull();
    expect(jobs[0]!.batchId).toBe(jobs[1]!.batchId);

    const a = jobs[0]!.id;
    // the worker stores the plan: no transition, one audit entry
    const planned = await advanceToggleJob(db, a, {
      from: 'planned',
      actor: 'worker',
      plan: PLAN,
      before: { l2_population: false, arp_responder: null },
      step: { at: new Date().toISOString(), step: 'plan', outcome: 'ok', detail: 'agent answered' },
    });
    expect(planned?.plan?.method).toBe('restart');
    expect(planned?.before).toEqual({ l2_population: false, arp_responder: null });
    // compare-and-set: from the wrong state, nothing is written
    expect(await advanceToggleJob(db, a, { from: 'approved', to: 'applying', actor: 'worker' })).toBeNull();
    // the state machine forbids planned -> done
    await expect(advanceToggleJob(db, a, { from: 'planned', to: 'done', actor: 'worker' })).rejects.toThrow(/cannot go from planned to done/);
    const approved = await advanceToggleJob(db, a, { from: 'planned', to: 'approved', actor: 'bob', approvedBy: 'bob', origin: '10.0.0.10' });
    expect([approved?.state, approved?.approvedBy]).toEqual(['approved', 'bob']);
    const applying = await advanceToggleJob(db, a, {
      from: ['approved'],
      to: 'applying',
      actor: 'worker',
      evidence: ['ini /etc/neutron/plugins/ml2/linuxbridge_agent.ini [vxlan] l2_population = true'],
    });
    expect([applying?.state, applying?.steps.length, applying?.evidence.length]).toEqual(['applying', 1, 1]);

    expect((await getToggleJob(db, a))?.state).toBe('applying');
    expect((await listToggleJobs(db, { states: ['planned'] })).map((j) => j.host)).toEqual(['compute-b']);
    expect((await listToggleJobs(db, { host: 'compute-a' })).map((j) => j.id)).toEqual([a]);
    expect((await listToggleJobs(db, { batchId: jobs[0]!.batchId! })).length).toBe(2);

    const audit = await listAudit(db, { jobId: a });
    expect(audit.map((e) => e.action)).toEqual(['toggle.applying', 'toggle.approved', 'toggle.plan', 'toggle.requested']);
    expect(audit[1]).toMatchObject({ actor: 'bob', origin: '10.0.0.10', target: 'compute-a' });
    const all = await listAudit(db, {});
    expect(all.length).toBe(5);
    expect((await listAudit(db, { beforeSeq: 3 })).map((e) => e.seq)).toEqual([2, 1]);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, entries: 5 });
  });

  it('a host holds one open job: a second is refused, also from another client racing; a failed job holds it only while it owes its rollback', async () => {
    await db.$transaction([db.toggleJob.deleteMany(), db.auditEntry.deleteMany()]);
    const req = (hosts: string[]) => ({ hosts, change: { arp_responder: true }, inPlace: false, requestedBy: 'alice', origin: null });
    const [first] = await createToggleJobs(db, req(['compute-c']));
    const refused = await createToggleJobs(db, req(['compute-d', 'compute-c'])).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ToggleHostBusyError);
    expect((refused as ToggleHostBusyError).busy).toEqual([{ host: 'compute-c', jobId: first!.id, state: 'planned' }]);
    expect((await listToggleJobs(db, { host: 'compute-d' })).length).toBe(0); // nothing of the refused batch

    // two clients (two processes' connections) racing for one host: exactly one job
    const other = await openDb(url);
    try {
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => createToggleJobs(i % 2 ? other : db, req(['compute-race']))));
      expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason, String(r.reason)).toBeInstanceOf(ToggleHostBusyError);
    } finally {
      await closeDb(other);
    }
    expect((await listToggleJobs(db, { host: 'compute-race' })).length).toBe(1);

    // failed after set_mode and not rolled back yet (the worker stopped in between): still open
    const step = (name: string) => ({ at: new Date().toISOString(), step: name, outcome: 'info' as const, detail: name });
    await advanceToggleJob(db, first!.id, { from: 'planned', to: 'approved', actor: 'bob', approvedBy: 'bob' });
    await advanceToggleJob(db, first!.id, { from: 'approved', to: 'applying', actor: 'worker', step: step('apply') });
    await advanceToggleJob(db, first!.id, { from: 'applying', to: 'failed', actor: 'worker', step: step('failed'), error: 'verification' });
    await expect(createToggleJobs(db, req(['compute-c']))).rejects.toBeInstanceOf(ToggleHostBusyError);
    // once its rollback ran (and failed for good), the host is free
    await advanceToggleJob(db, first!.id, { from: 'failed', to: 'rolling_back', actor: 'worker', step: step('rollback') });
    await advanceToggleJob(db, first!.id, { from: 'rolling_back', to: 'failed', actor: 'worker', step: step('verify') });
    expect((await createToggleJobs(db, req(['compute-c'])))[0]!.state).toBe('planned');
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it('concurrent appends keep one dense chain', async () => {
    await db.auditEntry.deleteMany();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        appendAudit(db, { actor: 'worker', action: 'test.concurrent', target: `h${i}`, detail: { i, nested: { b: 1, a: [1, 'x'] } } }),
      ),
    );
    const entries = await listAudit(db, { limit: 1000 });
    expect(entries.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await verifyAuditChain(db)).toEqual({ ok: true, entries: 20 });
  });

  it('a row edited by hand (detail, then actor) breaks the chain at that seq', async () => {
    await db.auditEntry.deleteMany();
    for (let i = 0; i < 5; i++)
      await appendAudit(db, { actor: 'alice', action: 'toggle.requested', target: `compute-${i}`, detail: { change: { l2_population: true } } });
    expect(await verifyAuditChain(db)).toEqual({ ok: true, entries: 5 });

    const detail = provider === 'postgresql' ? `'{"change":{"l2_population":false}}'::jsonb` : `'{"change":{"l2_population":false}}'`;
    await db.$executeRawUnsafe(`UPDATE "AuditEntry" SET "detail" = ${detail} WHERE "seq" = 3`);
    const broken = await verifyAuditChain(db);
    console.log(`${provider}: detail edited ->`, JSON.stringify(broken));
    expect(broken).toMatchObject({ ok: false, seq: 3 });

    // put it back: verifies again; then the actor
    const back = provider === 'postgresql' ? `'{"change":{"l2_population":true}}'::jsonb` : `'{"change":{"l2_population":true}}'`;
    await db.$executeRawUnsafe(`UPDATE "AuditEntry" SET "detail" = ${back} WHERE "seq" = 3`);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, entries: 5 });
    await db.$executeRawUnsafe(`UPDATE "AuditEntry" SET "actor" = 'mallory' WHERE "seq" = 4`);
    const actor = await verifyAuditChain(db);
    console.log(`${provider}: actor edited ->`, JSON.stringify(actor));
    expect(actor).toMatchObject({ ok: false, seq: 4 });
  });
});
