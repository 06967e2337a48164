/**
 * The admin toggles end to end on the real lab (docs/toggles.md): l2scope's worker (with its
 * command key) taps the lab's broker, the lab's node agents hold the worker's public key, and the
 * test plays the API through the db repositories: it creates a job, waits for the worker's plan,
 * approves it, and waits for the job's final state. Scenarios:
 * 1. compute1 (3 ports on the lab network) l2_population on -> off -> on, a clean switch; what the
 *    server sent after the l2pop-on restart and what verification showed are printed;
 * 2. fail-next-start armed on compute1, then a toggle: rolled back to the previous mode;
 * 3. the audit chain verifies and lists every job's steps.
 * Lab: 3 Linux bridge hosts, l2pop on, ARP responder off, no VM (`ensureLab`, ensure-lab.ts; left up
 * for the next file). Needs root on Debian 12.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Db,
  advanceToggleJob,
  closeDb,
  createToggleJobs,
  getToggleJob,
  listAudit,
  listMessages,
  maxMessageId,
  openDb,
  verifyAuditChain,
} from '@l2scope/db';
import { FINAL_JOB_STATES, type ModeChange, type ToggleJobView } from '@l2scope/domain';
import { agentOf, iniMode } from '../src/agents';
import { pingMatrix } from '../src/ping';
import { lab, startModelSource, state, untilNodes, type ModelSource } from './helpers';
import { ensureLab } from './ensure-lab';

const HOST = 'compute1';
const HOSTS = ['controller', 'compute1', 'compute2'];
/** The worker's verification deadline (s): generous, the machine is shared. */
const TOGGLE_DEADLINE_S = 300;
/** How long a job may take from approval to its final state (ms). */
const JOB_DEADLINE_MS = 900_000;

let tmp: string;
let worker: ModelSource | undefined;
let db: Db | undefined;
const jobs: ToggleJobView[] = [];

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('test:lab needs root (network namespaces, apt)');
  // every host in l2pop mode without the ARP responder, the starting point of scenario 1; no VM
  await ensureLab({ hosts: 3, mode: { l2pop: true, arp: false } });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'l2scope-test-toggles-'));
  const key = path.join(tmp, 'command-key.pem');
  const dbUrl = `file:${path.join(tmp, 'l2scope.db')}`;
  worker = await startModelSource(state().amqpUrl, dbUrl, ['--command-key', key, '--toggle-deadline', String(TOGGLE_DEADLINE_S)]);
  const pub = path.join(tmp, 'command-key.pub.pem');
  expect(existsSync(pub), `the worker made no public key at ${pub}`).toBe(true);
  // (re)start the node agents with the worker's public key: they act on its signed commands
  await lab('agents', 'stop');
  await lab('agents', 'start', '--command-public-key', pub);
  db = await openDb(dbUrl);
  // the VMs after the worker and the node agents, so the worker sees every port's casts:
  // compute1 gets 3 ports on the lab network (more than `agent_active_ports in (1, 2)`), the others one each
  const on = (h: string) => Object.values(state().vms).filter((v) => v.host === h).length;
  for (const h of HOSTS) {
    const want = h === HOST ? 3 : 1;
    if (on(h) < want) await lab('vm', 'add', '--host', h, '--count', String(want - on(h)));
  }
  await zeroDriftEverywhere('VMs up');
});

afterAll(async () => {
  if (db) await closeDb(db);
  await lab('agents', 'stop').catch((e: Error) => console.error(e.message));
  if (worker) await worker.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Wait until the worker's analysis shows every host with a snapshot and zero drift. */
async function zeroDriftEverywhere(label: string): Promise<void> {
  await untilNodes(
    worker!,
    `${label}: zero drift on every host`,
    (v) => HOSTS.every((h) => v.analysis?.hosts[h] !== undefined && v.analysis.hosts[h]!.drift.length === 0),
    300_000,
  );
}

/** Poll the job until `check` holds, or throw with the job's steps after `timeoutMs`. */
async function untilJob(id: string, label: string, check: (j: ToggleJobView) => boolean, timeoutMs: number): Promise<ToggleJobView> {
  const t0 = Date.now();
  for (;;) {
    const j = await getToggleJob(db!, id);
    if (j && check(j)) return j;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${label}: not reached after ${timeoutMs} ms; job ${describeJob(j)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function describeJob(j: ToggleJobView | null): string {
  if (!j) return 'missing';
  return [
    `${j.id} ${j.host} ${j.state}${j.error ? ` (${j.error})` : ''}`,
    ...j.steps.map((s) => `  ${s.at} ${s.step} ${s.outcome}: ${s.detail}`),
    ...j.evidence.map((l) => `  evidence: ${l}`),
  ].join('\n');
}

/**
 * What the API does for one host: create the job (requestedBy `lab-test`), wait for the worker's
 * plan, approve it, then wait for a final state (a `failed` job whose rollback failed counts).
 */
async function toggle(change: ModeChange): Promise<ToggleJobView> {
  const [created] = await createToggleJobs(db!, { hosts: [HOST], change, inPlace: false, requestedBy: 'lab-test', origin: 'toggles.lab.test.ts' });
  const planned = await untilJob(created!.id, 'plan stored', (j) => j.plan !== null, 120_000);
  console.log(
    `job ${planned.id}: plan ${JSON.stringify({ method: planned.plan!.method, applicable: planned.plan!.applicable, refusal: planned.plan!.refusal, predicted: planned.plan!.predicted.map((p) => p.kind) })}`,
  );
  expect(planned.plan!.applicable, describeJob(planned)).toBe(true);
  expect(planned.plan!.method).toBe('clean');
  const approved = await advanceToggleJob(db!, planned.id, {
    from: 'planned',
    to: 'approved',
    actor: 'lab-test',
    approvedBy: 'lab-test',
    step: { at: new Date().toISOString(), step: 'approve', outcome: 'ok', detail: 'approved by lab-test' },
  });
  expect(approved?.state).toBe('approved');
  const end = await untilJob(
    planned.id,
    'final state',
    (j) => FINAL_JOB_STATES.includes(j.state) || (j.state === 'failed' && j.steps.some((s) => s.step === 'rollback' && s.outcome === 'failed')),
    JOB_DEADLINE_MS,
  );
  jobs.push(end);
  console.log(`job ${describeJob(end)}`);
  return end;
}

/** The ini mode and the API's report of the host. */
async function hostMode(): Promise<{ ini: { l2pop: boolean; arp: boolean }; reported: boolean | undefined }> {
  const h = state().hosts[HOST]!;
  return { ini: iniMode(h), reported: (await agentOf(HOST))?.configurations.l2_population };
}

describe('admin toggles on the real lab: worker -> signed command -> node agent -> Neutron agent -> verification', () => {
  it(`${HOST} (3 ports) l2_population on -> off -> on, a clean switch: each job done, every pair pings`, async () => {
    expect(Object.values(state().vms).filter((v) => v.host === HOST)).toHaveLength(3);
    const off = await toggle({ l2_population: false });
    expect(off.state, describeJob(off)).toBe('done');
    expect((await hostMode()).ini.l2pop).toBe(false);
    expect((await hostMode()).reported).toBe(false);

    const since = await maxMessageId(db!);
    const on = await toggle({ l2_population: true });
    expect(on.state, describeJob(on)).toBe('done');
    expect((await hostMode()).ini.l2pop).toBe(true);
    expect((await hostMode()).reported).toBe(true);
    // what the server sent after the l2pop-on restart
    // (the casts that follow the l2pop-off restart can still arrive after that job is done: only
    // the messages received since the l2pop-on job's restart began count)
    const restartAt = Date.parse(on.steps.find((s) => s.step === 'set_mode')!.at);
    const page = await listMessages(db!, { method: 'add_fdb_entries', after: since, limit: 200 });
    const sent = { items: page.items.filter((m) => Date.parse(m.receivedAt) >= restartAt) };
    const directed = sent.items.filter((m) => m.target === HOST);
    console.log(
      [
        `after the l2pop-on restart of ${HOST} the server sent ${sent.items.length} add_fdb_entries:`,
        ...sent.items.map((m) => `  #${m.id} ${m.receivedAt} ${m.exchange} ${m.routingKey} target=${m.target} vteps=${m.vteps.join(',')}`),
        `host-directed add_fdb_entries to ${HOST}: ${directed.length ? `yes (${directed.length})` : 'none'}`,
      ].join('\n'),
    );
    const drift = on.steps.filter((s) => s.step === 'drift');
    const gap = on.evidence.filter((l) => /full-FDB gap|^missing /.test(l));
    console.log(
      [
        `verification of the l2pop-on job: ${drift.map((s) => `${s.outcome}: ${s.detail}`).join(' | ')}`,
        gap.length ? `full-FDB gap evidence:\n  ${gap.join('\n  ')}` : 'no full-FDB gap evidence (drift reached zero)',
      ].join('\n'),
    );
    // whatever the gap, the lab's data plane works once the host's FDB is complete again
    if (gap.length) await lab('agent', 'restart', HOST);
    await zeroDriftEverywhere('after on -> off -> on');
    const ping = await pingMatrix(Object.values(state().vms));
    console.log(`ping: ${ping.filter((p) => p.ok).length}/${ping.length} pairs pass`);
    expect(ping.filter((p) => !p.ok)).toEqual([]);
  });

  it(`fail-next-start on ${HOST}, then a toggle: rolled back with evidence, previous mode, zero drift`, async () => {
    const before = await hostMode();
    expect(await lab('neutron-agent', 'fail-next-start', '--host', HOST)).toContain(`armed for ${HOST}`);
    const job = await toggle({ l2_population: !before.ini.l2pop });
    expect(job.state, describeJob(job)).toBe('rolled_back');
    expect(job.error, describeJob(job)).toBeTruthy();
    expect(job.steps.some((s) => s.outcome === 'failed')).toBe(true);
    expect(job.steps.some((s) => s.step === 'rollback')).toBe(true);
    const after = await hostMode();
    expect(after.ini).toEqual(before.ini);
    expect(after.reported).toBe(before.ini.l2pop);
    expect(state().failNextStart ?? []).not.toContain(HOST);
    await zeroDriftEverywhere('after the rollback');
  });

  it("the audit chain verifies and lists every job's steps", async () => {
    expect(jobs.length).toBeGreaterThan(0);
    const chain = await verifyAuditChain(db!);
    console.log(`audit chain: ${JSON.stringify(chain)}`);
    expect(chain.ok).toBe(true);
    for (const j of jobs) {
      const entries = await listAudit(db!, { jobId: j.id, limit: 1000 });
      const actions = entries.map((e) => e.action).reverse();
      console.log(`audit of job ${j.id} (${j.state}): ${actions.join(' -> ')}`);
      expect(actions[0]).toBe('toggle.requested');
      expect(actions).toContain('toggle.approved');
      expect(actions.at(-1)).toBe(`toggle.${j.state}`);
      // one audit entry per job write: every step of the job is in the audit
      const stepped = entries.filter((e) => (e.detail as { step?: unknown }).step !== undefined).length;
      expect(stepped).toBe(j.steps.length);
    }
  });
});
