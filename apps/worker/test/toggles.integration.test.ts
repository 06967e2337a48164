/**
 * The toggle runner end to end on the real broker and database (SQLite by default, PostgreSQL with
 * DATABASE_URL=postgresql://...), with the real pipeline and host monitor. The node agent is a
 * small script here: it takes commands from its own queue on `l2scope.command`, verifies each JWS
 * with the public key file the worker wrote, validates it with the agent command contract, and
 * answers on `reply.<host>` under its own RabbitMQ user (made with rabbitmqctl, topic permission on
 * its own keys), then plays the Neutron agent coming back: a report_state with `start_flag` on
 * Neutron's exchange and a node snapshot in the new mode (lab3's real compute1 vxlan device:
 * `proxy` on; lab2's: `proxy` off).
 *
 * A plan is stored; an approved job goes to done through every step; an agent that never comes
 * back is rolled back with the evidence; a reply under another host's user is refused and counted;
 * a worker stopped mid-job is resumed by a new worker on the same database; a job left `failed`
 * before its rollback (a worker stopped between the two writes) is rolled back by the next worker;
 * a `busy` refusal is retried with a newly signed command (the refused id stays spent); a second job
 * for a host with an open one is refused.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { compactVerify } from 'jose';
import { type Socket, io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToggleHostBusyError, advanceToggleJob, createToggleJobs, getToggleJob, listAudit, readNodeRefusals, verifyAuditChain } from '@l2scope/db';
import {
  type AgentCommand,
  type AgentPlan,
  COMMAND_WIRE,
  type CommandReply,
  type FullNodeSnapshot,
  type LiveServerEvents,
  NODE_EXCHANGE,
  REPORTS_TOPIC,
  type ToggleJobView,
  agentCommandSchema,
  jobDeadline,
  nodeAgentUser,
  nodeRoutingKey,
  snapshotsFromBundle,
} from '@l2scope/domain';
import { ALL, NODE_AGENT_PRIVILEGE, type TestDatabase, type TestVhost, createTestVhost, createWorkerToken, waitFor, workerAuthHeaders } from '@l2scope/testkit';
import { type WorkerHandle, exchangeFor, readPublicKey, startWorker } from '../src';
import { migratedTestDatabase } from './helpers/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const id = randomBytes(3).toString('hex');
const DEADLINE_S = 8;

/** A real compute1 vxlan device (lab3: l2pop and ARP responder on; lab2: ARP responder off), FDB and neighbour rows dropped (no casts here: no drift). */
function labSnapshot(lab: 'lab2' | 'lab3', host: string, seq: number): FullNodeSnapshot {
  const dir = path.join(root, `fixtures/${lab}/1-ports-active`);
  const files = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  const s = snapshotsFromBundle(files, { takenAt: Date.now() }).snapshots.find((x) => x.host === 'compute1')! as FullNodeSnapshot;
  return { ...s, host, instance: `agent-${host}`, seq, takenAt: new Date().toISOString(), linuxbridge: { ...s.linuxbridge!, fdb: [], neigh: [] } };
}

function reportState(host: string, vtep: string, l2pop: boolean, start: boolean): Buffer {
  const msg = {
    method: 'report_state',
    args: {
      agent_state: {
        agent_state: {
          binary: 'neutron-linuxbridge-agent',
          host,
          agent_type: 'Linux bridge agent',
          start_flag: start,
          configurations: { tunneling_ip: vtep, l2_population: l2pop, tunnel_types: ['vxlan'], devices: 1 },
        },
      },
    },
  };
  return Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(msg) }));
}

type Behaviour = 'comes_back' | 'never' | 'hold';

/** The test's node agent of one host. */
class TestAgent {
  readonly commands: AgentCommand[] = [];
  behaviour: Behaviour = 'comes_back';
  /** actions refused `busy` the first time they come (the id is spent then, as the real agent's replay cache does) */
  busyOnce = new Set<AgentCommand['action']>();
  readonly refusedIds = new Set<string>();
  private seq = 1;
  private pub!: amqp.ConfirmChannel;
  private user = '';
  private conn!: amqp.ChannelModel;

  constructor(
    readonly host: string,
    readonly vtep: string,
  ) {}

  async start(): Promise<void> {
    const topics = [{ exchange: NODE_EXCHANGE.name, write: `^(snapshot|bum|reply)\\.${this.host.replace(/[.]/g, '\\.')}$`, read: '^$' }];
    const u = await vhost.addUser(NODE_AGENT_PRIVILEGE, { name: nodeAgentUser(this.host), topics });
    this.user = u.user;
    this.conn = await amqp.connect(u.url);
    this.pub = await this.conn.createConfirmChannel();
    this.pub.on('error', () => {});
    // commands: its own queue, bound to l2scope.command with its host (declared here by the harness)
    const ch = await admin.createChannel();
    await ch.assertExchange(COMMAND_WIRE.exchange, COMMAND_WIRE.exchangeType, COMMAND_WIRE.exchangeOptions);
    const q = COMMAND_WIRE.queue(this.host);
    await ch.assertQueue(q, { durable: false, autoDelete: true });
    await ch.bindQueue(q, COMMAND_WIRE.exchange, COMMAND_WIRE.routingKey(this.host));
    await ch.consume(q, (m) => {
      if (!m) return;
      ch.ack(m);
      void this.onCommand(m.content.toString('utf8')).catch((err: unknown) => logs.push(`test agent ${this.host}: ${String(err)}`));
    });
    await this.reportAndSnapshot('lab3', false);
  }

  async stop(): Promise<void> {
    await this.conn.close().catch(() => {});
  }

  private async onCommand(jws: string): Promise<void> {
    // the signature path: the worker's public key file, EdDSA, the command type
    const key = await readPublicKey(path.join(keyDir, 'command-key.pub.pem'));
    const { payload, protectedHeader } = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
    expect(protectedHeader.typ).toBe(COMMAND_WIRE.commandSchema);
    const cmd = agentCommandSchema.parse(JSON.parse(new TextDecoder().decode(payload)));
    expect(cmd.host).toBe(this.host);
    expect(cmd.expiresAt - cmd.issuedAt).toBe(30);
    const job = cmd.action === 'plan' ? null : cmd.params.job;
    const refuse = (reason: 'busy' | 'replayed', detail: string) =>
      this.reply({ commandId: cmd.id, host: this.host, action: cmd.action, job, status: 'refused', reason, detail, at: new Date().toISOString() });
    if (this.refusedIds.has(cmd.id)) return refuse('replayed', `id ${cmd.id} seen before`);
    if (this.busyOnce.delete(cmd.action)) {
      this.refusedIds.add(cmd.id);
      return refuse('busy', 'another command is running');
    }
    this.commands.push(cmd);
    await this.reply({ commandId: cmd.id, host: this.host, action: cmd.action, job, status: 'accepted', at: new Date().toISOString() });
    const done = (result: unknown) =>
      this.reply({ commandId: cmd.id, host: this.host, action: cmd.action, job, status: 'done', result, at: new Date().toISOString() });
    switch (cmd.action) {
      case 'plan': {
        const plan: AgentPlan = {
          agentType: 'linuxbridge',
          iniPath: '/etc/neutron/plugins/ml2/linuxbridge_agent.ini',
          section: '[vxlan]',
          before: { l2_population: true, arp_responder: true },
          after: { l2_population: true, arp_responder: cmd.params.change.arp_responder ?? true },
          diff: '-arp_responder = true\n+arp_responder = false',
          service: { method: 'command', name: 'neutron-linuxbridge-agent' },
          vxlanVnis: [649],
          warnings: [],
        };
        return done(plan);
      }
      case 'set_mode':
        return done({
          iniPath: '/etc/neutron/plugins/ml2/linuxbridge_agent.ini',
          backupPath: `/etc/neutron/plugins/ml2/linuxbridge_agent.ini.${cmd.params.job}.bak`,
          diff: '-arp_responder = true\n+arp_responder = false',
        });
      case 'restart_agent':
      case 'recreate_vxlan':
        await this.reply({ commandId: cmd.id, host: this.host, action: cmd.action, job, status: 'progress', step: 'stopped', at: new Date().toISOString() });
        await done({ ms: 1200 });
        if (this.behaviour === 'comes_back') await this.reportAndSnapshot('lab2', true);
        return;
      case 'rollback':
        await done({ ms: 1500 });
        return this.reportAndSnapshot('lab3', true);
    }
  }

  /** The Neutron agent (re)started in a lab's mode: its report_state, then a node snapshot. */
  async reportAndSnapshot(lab: 'lab2' | 'lab3', start: boolean): Promise<void> {
    neutron.publish('neutron', REPORTS_TOPIC, reportState(this.host, this.vtep, true, start), { contentType: 'application/json' });
    await neutron.waitForConfirms();
    await this.publish(nodeRoutingKey('snapshot', this.host), labSnapshot(lab, this.host, this.seq++));
  }

  async reply(r: CommandReply, keyHost = this.host): Promise<void> {
    await this.publish(COMMAND_WIRE.replyKey(keyHost), r);
  }

  private publish(key: string, body: object): Promise<void> {
    return new Promise((resolve, reject) =>
      this.pub.publish(NODE_EXCHANGE.name, key, Buffer.from(JSON.stringify(body)), { contentType: 'application/json', userId: this.user }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
}

let vhost: TestVhost;
let db: TestDatabase;
let worker: WorkerHandle;
let workerUrl = '';
let admin: amqp.ChannelModel;
let neutron: amqp.ConfirmChannel;
let keyDir = '';
const token = createWorkerToken();
const logs: string[] = [];
const agents: TestAgent[] = [];
const pushed: ToggleJobView[] = [];
let socket: Socket<LiveServerEvents>;

const start = () =>
  startWorker({
    amqpUrl: workerUrl,
    databaseUrl: db.url,
    port: 0,
    token,
    commandKey: path.join(keyDir, 'command-key.pem'),
    toggleDeadlineS: DEADLINE_S,
    log: (l) => logs.push(l),
  });

async function agentFor(name: string, n: number): Promise<TestAgent> {
  const a = new TestAgent(`hv-${name}-${id}.l2scope.test`, `10.99.${n}.1`);
  await a.start();
  agents.push(a);
  await waitFor(`${a.host} known to the model and analysed`, () => worker.nodes.latest()?.hosts[a.host]?.snapshot, 20_000);
  return a;
}

const stepsOf = (j: ToggleJobView | null) => (j?.steps ?? []).map((s) => `${s.step}:${s.outcome}`);

async function approve(jobId: string): Promise<void> {
  await waitFor('the plan stored', async () => (await getToggleJob(worker.db, jobId))?.plan, 30_000);
  const j = await advanceToggleJob(worker.db, jobId, { from: 'planned', to: 'approved', actor: 'bob', approvedBy: 'bob' });
  expect(j?.state).toBe('approved');
}

beforeAll(async () => {
  vhost = await createTestVhost('l2scope-toggle');
  db = await migratedTestDatabase();
  keyDir = mkdtempSync(path.join(tmpdir(), 'l2scope-cmdkey-'));
  admin = await amqp.connect(vhost.adminUrl);
  neutron = await admin.createConfirmChannel();
  const spec = exchangeFor('neutron');
  await neutron.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  // the worker may declare and publish on l2scope.command (and everything its tap needs)
  workerUrl = (await vhost.addUser(ALL)).url;
  worker = await start();
  socket = io(`http://127.0.0.1:${worker.port}`, { transports: ['websocket'], extraHeaders: workerAuthHeaders(token) });
  socket.on('toggle', (j) => pushed.push(j));
  await waitFor('socket connected', () => socket.connected || null, 10_000);
}, 60_000);
afterAll(async () => {
  socket?.close();
  await worker?.stop();
  for (const a of agents) await a.stop();
  await admin?.close().catch(() => {});
  await vhost?.cleanup();
  await db?.drop();
  rmSync(keyDir, { recursive: true, force: true });
});

describe(`toggle jobs on the real broker (${process.env.DATABASE_URL?.startsWith('postgres') ? 'postgresql' : 'sqlite'})`, () => {
  it('made the signing key pair: private 0600, public beside it', () => {
    expect(statSync(path.join(keyDir, 'command-key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(keyDir, 'command-key.pub.pem'), 'utf8')).toMatch(/BEGIN PUBLIC KEY/);
  });

  it('stores the plan, then runs an approved job to done through every step', async () => {
    const a = await agentFor('a', 1);
    const [job] = await createToggleJobs(worker.db, {
      hosts: [a.host],
      change: { arp_responder: false },
      inPlace: false,
      requestedBy: 'alice',
      origin: '127.0.0.1',
    });
    await approve(job!.id);
    const planned = await getToggleJob(worker.db, job!.id);
    expect([planned?.plan?.method, planned?.plan?.agent?.agentType, planned?.plan?.applicable, planned?.before]).toEqual([
      'clean',
      'linuxbridge',
      true,
      { l2_population: true, arp_responder: true },
    ]);
    const done = await waitFor(
      'job done',
      async () => ((await getToggleJob(worker.db, job!.id))?.state === 'done' ? getToggleJob(worker.db, job!.id) : null),
      60_000,
    );
    console.log('done job steps:', stepsOf(done).join(' '), '\nevidence:\n  ' + done!.evidence.join('\n  '));
    expect(stepsOf(done)).toEqual(['plan:ok', 'apply:info', 'set_mode:ok', 'recreate_vxlan:ok', 'report_state:ok', 'snapshot:ok', 'drift:ok', 'verify:ok']);
    expect(done!.evidence.join('\n')).toMatch(/snapshot: vxlan-649: group none, proxy off/);
    expect(a.commands.map((c) => c.action)).toEqual(['plan', 'set_mode', 'recreate_vxlan']);
    expect(a.commands[2]!.params).toMatchObject({ job: job!.id, vnis: [649] });
    // audited, chained; pushed live
    expect(
      (await listAudit(worker.db, { jobId: job!.id }))
        .map((e) => e.action)
        .reverse()
        .slice(0, 4),
    ).toEqual(['toggle.requested', 'toggle.plan', 'toggle.approved', 'toggle.applying']);
    expect((await verifyAuditChain(worker.db)).ok).toBe(true);
    await waitFor('the done job pushed live', () => pushed.find((j) => j.id === job!.id && j.state === 'done'), 5_000);
  }, 120_000);

  it('an agent that never comes back is rolled back, with the evidence', async () => {
    const b = await agentFor('b', 2);
    b.behaviour = 'never';
    const [job] = await createToggleJobs(worker.db, { hosts: [b.host], change: { arp_responder: false }, inPlace: false, requestedBy: 'alice', origin: null });
    await approve(job!.id);
    const end = await waitFor(
      'job rolled back',
      async () => {
        const j = await getToggleJob(worker.db, job!.id);
        return j && (j.state === 'rolled_back' || (j.state === 'failed' && j.steps.some((s) => s.step === 'verify'))) ? j : null;
      },
      90_000,
    );
    console.log('rolled back job:', end!.state, stepsOf(end).join(' '), '\nerror:', end!.error, '\nevidence:\n  ' + end!.evidence.join('\n  '));
    expect(end!.state).toBe('rolled_back');
    expect(end!.error).toMatch(/not verified within the deadline: report_state: no report_state with start_flag=true since the restart/);
    expect(stepsOf(end)).toEqual(expect.arrayContaining(['report_state:failed', 'failed:failed', 'rollback:info', 'rollback:ok', 'verify:ok']));
    expect(b.commands.map((c) => c.action)).toEqual(['plan', 'set_mode', 'recreate_vxlan', 'rollback']);
    expect(b.commands[3]!.params).toEqual({ job: job!.id, vnis: [649] });
  }, 120_000);

  it('a batch runs host by host and stops at the first failure: the rest is cancelled', async () => {
    const d = await agentFor('d', 4);
    const e = await agentFor('e', 5);
    d.behaviour = 'never';
    const jobs = await createToggleJobs(worker.db, {
      hosts: [d.host, e.host],
      change: { arp_responder: false },
      inPlace: false,
      requestedBy: 'alice',
      origin: null,
    });
    expect(jobs[0]!.batchId).toBe(jobs[1]!.batchId);
    await approve(jobs[0]!.id);
    await approve(jobs[1]!.id);
    const second = await waitFor(
      'the second host cancelled',
      async () => {
        const j = await getToggleJob(worker.db, jobs[1]!.id);
        return j?.state === 'cancelled' ? j : null;
      },
      90_000,
    );
    expect((await getToggleJob(worker.db, jobs[0]!.id))?.state).toBe('rolled_back');
    console.log('cancelled:', second!.steps.at(-1)?.detail);
    expect(second!.steps.at(-1)?.detail).toMatch(new RegExp(`the batch stopped: ${d.host.replace(/\./g, '\\.')} \\(#0\\) ended rolled_back`));
    // the second host never got a command beyond its plan
    expect(e.commands.map((c) => c.action)).toEqual(['plan']);
  }, 120_000);

  it('a host with no agent listening gets a plan that is not applicable, saying so', async () => {
    const [job] = await createToggleJobs(worker.db, {
      hosts: [`hv-none-${id}.l2scope.test`],
      change: { l2_population: true },
      inPlace: false,
      requestedBy: 'alice',
      origin: null,
    });
    const planned = await waitFor('the plan stored', async () => (await getToggleJob(worker.db, job!.id))?.plan, 30_000);
    console.log('refusal:', planned.refusal);
    expect(planned.applicable).toBe(false);
    expect(planned.refusal).toMatch(/no agent listening for hv-none/);
  }, 60_000);

  it("a reply under another host's user is refused and counted", async () => {
    const [a, b] = agents;
    const before = worker.nodes.counters.refused.host_mismatch;
    // agent a's user may not publish reply.<b> at all: the broker closes its channel (topic permission)
    await Promise.race([
      a!
        .reply({ commandId: 'forged-0001', host: b!.host, action: 'set_mode', job: 'x', status: 'done', at: new Date().toISOString() }, b!.host)
        .catch(() => {}),
      new Promise((r) => setTimeout(r, 3_000)),
    ]);
    // the broker's topic permission refuses reply.<other host> for this user: a user without it is the misconfigured broker
    const x = new TestAgent(`hv-x-${id}.l2scope.test`, '10.99.9.1');
    const u = await vhost.addUser(NODE_AGENT_PRIVILEGE, { name: nodeAgentUser(x.host) });
    const conn = await amqp.connect(u.url);
    const ch = await conn.createConfirmChannel();
    const body = { commandId: 'forged-0002', host: b!.host, action: 'set_mode', job: 'x', status: 'done', at: new Date().toISOString() };
    await new Promise<void>((resolve, reject) =>
      ch.publish(NODE_EXCHANGE.name, COMMAND_WIRE.replyKey(b!.host), Buffer.from(JSON.stringify(body)), { userId: u.user }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    await waitFor('refusal counted', () => (worker.nodes.counters.refused.host_mismatch > before ? true : null), 10_000);
    expect(logs.join('\n')).toMatch(new RegExp(`refused host_mismatch: reply\\.${b!.host.replace(/\./g, '\\.')} from user ${u.user}`));
    await waitFor('refusal stored', async () => ((await readNodeRefusals(worker.db)).host_mismatch > before ? true : null), 10_000);
    await conn.close();
  }, 60_000);

  it('a worker stopped mid-job is resumed by a new worker on the same database', async () => {
    const c = await agentFor('c', 3);
    c.behaviour = 'hold';
    const [job] = await createToggleJobs(worker.db, { hosts: [c.host], change: { arp_responder: false }, inPlace: false, requestedBy: 'alice', origin: null });
    await approve(job!.id);
    await waitFor('job verifying', async () => ((await getToggleJob(worker.db, job!.id))?.state === 'verifying' ? true : null), 30_000);
    socket.close();
    await worker.stop();
    worker = await start();
    // the agent comes back only now: the new worker sees it
    await c.reportAndSnapshot('lab2', true);
    const done = await waitFor(
      'resumed job done',
      async () => {
        const j = await getToggleJob(worker.db, job!.id);
        return j && (j.state === 'done' || j.state === 'rolled_back' || j.state === 'failed') ? j : null;
      },
      60_000,
    );
    console.log('resumed job:', done!.state, stepsOf(done).join(' '));
    expect(done!.state).toBe('done');
    expect(stepsOf(done)).toEqual(expect.arrayContaining(['resume:info', 'report_state:ok', 'snapshot:ok', 'drift:ok']));
    expect(c.commands.map((x) => x.action)).toEqual(['plan', 'set_mode', 'recreate_vxlan']);
  }, 120_000);
  it('a job left failed before its rollback (the worker stopped between the two writes) is rolled back by the next worker', async () => {
    const f = await agentFor('f', 6);
    f.behaviour = 'hold';
    const [job] = await createToggleJobs(worker.db, { hosts: [f.host], change: { arp_responder: false }, inPlace: false, requestedBy: 'alice', origin: null });
    await approve(job!.id);
    await waitFor('job verifying', async () => ((await getToggleJob(worker.db, job!.id))?.state === 'verifying' ? true : null), 30_000);
    socket.close();
    await worker.stop();
    // what a worker that failed the job and stopped before `rolling_back` leaves: `failed`, no rollback step
    const failed = await advanceToggleJob(worker.db, job!.id, {
      from: 'verifying',
      to: 'failed',
      actor: 'worker',
      error: 'not verified within the deadline',
      step: { at: new Date().toISOString(), step: 'failed', outcome: 'failed', detail: 'not verified within the deadline' },
    });
    expect(failed?.state).toBe('failed');
    // it still holds its host: a new job for it is refused
    await expect(
      createToggleJobs(worker.db, { hosts: [f.host], change: { arp_responder: true }, inPlace: false, requestedBy: 'alice', origin: null }),
    ).rejects.toBeInstanceOf(ToggleHostBusyError);
    worker = await start();
    const end = await waitFor(
      'the failed job rolled back',
      async () => {
        const j = await getToggleJob(worker.db, job!.id);
        return j && (j.state === 'rolled_back' || (j.state === 'failed' && j.steps.some((s) => s.step === 'rollback' && s.outcome !== 'info'))) ? j : null;
      },
      60_000,
    );
    console.log('resumed failed job:', end!.state, stepsOf(end).join(' '));
    expect(end!.state).toBe('rolled_back');
    expect(stepsOf(end)).toEqual(expect.arrayContaining(['failed:failed', 'resume:info', 'rollback:info', 'rollback:ok', 'verify:ok']));
    expect(f.commands.map((c) => c.action)).toEqual(['plan', 'set_mode', 'recreate_vxlan', 'rollback']);
    expect(f.commands[3]!.params).toEqual({ job: job!.id, vnis: [649] });
    // the rollback's step carries the job's own deadline
    const rollbackStep = end!.steps.find((s) => s.step === 'rollback' && s.outcome === 'info')!;
    expect(Date.parse(rollbackStep.until!)).toBeGreaterThan(Date.parse(rollbackStep.at));
    expect(jobDeadline(end!)).not.toBeNull();
  }, 120_000);

  it('a busy refusal is retried with a newly signed command: the refused id is never re-sent', async () => {
    const g = await agentFor('g', 7);
    g.busyOnce.add('recreate_vxlan');
    const [job] = await createToggleJobs(worker.db, { hosts: [g.host], change: { arp_responder: false }, inPlace: false, requestedBy: 'alice', origin: null });
    await approve(job!.id);
    const done = await waitFor(
      'job over',
      async () => {
        const j = await getToggleJob(worker.db, job!.id);
        return j && ['done', 'rolled_back', 'failed'].includes(j.state) ? j : null;
      },
      60_000,
    );
    console.log('busy job:', done!.state, stepsOf(done).join(' '), '\nevidence:\n  ' + done!.evidence.join('\n  '));
    expect(done!.state).toBe('done');
    expect(g.refusedIds.size).toBe(1);
    const [refused] = [...g.refusedIds];
    // the agent ran a recreate_vxlan with another id; the refused one never came back (no `replayed`)
    expect(g.commands.map((c) => c.action)).toEqual(['plan', 'set_mode', 'recreate_vxlan']);
    expect(g.commands[2]!.id).not.toBe(refused);
    expect(done!.evidence.join('\n')).toMatch(/refused busy: recreate_vxlan refused by the agent: busy/);
    expect(done!.evidence.join('\n')).not.toMatch(/replayed/);
  }, 120_000);
});
