/**
 * An Open vSwitch toggle end to end on the real broker and database, with the real pipeline, host
 * monitor and runner (docs/toggles.md#ovs). The node agent is a small script, as in
 * toggles.integration.test.ts; it plays ovs1 of the lab (fixtures/ovs-node: its ini and br-tun,
 * table 20/21/22 flows dropped as no l2pop cast is played here), switching `arp_responder` off:
 * after the restart it sends report_state and a snapshot whose br-tun holds the new agent's flows
 * (Lab2, cookie NEW) beside old ones (cookie OLD), as br-tun is until `cleanup_stale_flows`. The job
 * must stay `verifying` with every other check passed, and end `done` only after the snapshot with
 * the NEW cookie alone.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceToggleJob, createToggleJobs, getToggleJob } from '@l2scope/db';
import {
  type AgentPlan,
  COMMAND_WIRE,
  type CommandReply,
  type FullNodeSnapshot,
  NODE_EXCHANGE,
  REPORTS_TOPIC,
  agentCommandSchema,
  nodeAgentUser,
  nodeRoutingKey,
  snapshotsFromBundle,
} from '@l2scope/domain';
import { ALL, NODE_AGENT_PRIVILEGE, type TestDatabase, type TestVhost, createTestVhost, createWorkerToken, waitFor } from '@l2scope/testkit';
import { type WorkerHandle, exchangeFor, startWorker } from '../src';
import { migratedTestDatabase } from './helpers/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const id = randomBytes(3).toString('hex');
const HOST = `hv-ovs-${id}.l2scope.test`;
const VTEP = '10.98.0.1';
const OLD = '0x1d';
const NEW = '0x2e7';

/** ovs1's br-tun of an ovs-node step under `cookie`, without table 20/21/22 (no l2pop cast is played here: no drift). */
function flows(step: string, cookie: string): string[] {
  return readFileSync(path.join(root, `fixtures/ovs-node/${step}/ovs1-flows-br-tun.txt`), 'utf8')
    .split('\n')
    .filter((l) => /^\s*cookie=/.test(l) && !/ table=2[012],/.test(l))
    .map((l) => l.replace(/cookie=0x[0-9a-f]+/, `cookie=${cookie}`));
}

/** ovs1's snapshot (Lab3 step: ARP responder on) with br-tun `lines`. */
function snapshot(lines: string[], seq: number): FullNodeSnapshot {
  const dir = path.join(root, 'fixtures/ovs-node/3-lab3');
  const files = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  files['ovs1-flows-br-tun.txt'] = `NXST_FLOW reply (xid=0x4):\n${lines.join('\n')}\n`;
  const s = snapshotsFromBundle(files, { takenAt: Date.now() }).snapshots.find((x) => x.host === 'ovs1')!;
  return { ...s, host: HOST, instance: `agent-${id}`, seq, takenAt: new Date().toISOString() };
}

function reportState(arp: boolean, start: boolean): Buffer {
  const msg = {
    method: 'report_state',
    args: {
      agent_state: {
        agent_state: {
          binary: 'neutron-openvswitch-agent',
          host: HOST,
          agent_type: 'Open vSwitch agent',
          start_flag: start,
          configurations: { tunneling_ip: VTEP, l2_population: true, arp_responder_enabled: arp, tunnel_types: ['vxlan'], devices: 1 },
        },
      },
    },
  };
  return Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(msg) }));
}

let vhost: TestVhost;
let db: TestDatabase;
let worker: WorkerHandle;
let admin: amqp.ChannelModel;
let neutron: amqp.ConfirmChannel;
let conn: amqp.ChannelModel;
let pub: amqp.ConfirmChannel;
let user = '';
let keyDir = '';
let seq = 1;
const actions: string[] = [];
const logs: string[] = [];

const publish = (key: string, body: object) =>
  new Promise<void>((resolve, reject) =>
    pub.publish(NODE_EXCHANGE.name, key, Buffer.from(JSON.stringify(body)), { contentType: 'application/json', userId: user }, (err) =>
      err ? reject(err) : resolve(),
    ),
  );

async function neutronReport(arp: boolean, start: boolean): Promise<void> {
  neutron.publish('neutron', REPORTS_TOPIC, reportState(arp, start), { contentType: 'application/json' });
  await neutron.waitForConfirms();
}

/** The agent's side of a command: the JWS payload (the signature is tested in toggles.integration.test.ts), then `done`. */
async function onCommand(jws: string): Promise<void> {
  const cmd = agentCommandSchema.parse(JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')));
  actions.push(cmd.action);
  const job = cmd.action === 'plan' ? null : cmd.params.job;
  const reply = (r: Partial<CommandReply>) =>
    publish(COMMAND_WIRE.replyKey(HOST), { commandId: cmd.id, host: HOST, action: cmd.action, job, at: new Date().toISOString(), ...r });
  await reply({ status: 'accepted' });
  if (cmd.action === 'plan') {
    const plan: AgentPlan = {
      agentType: 'openvswitch',
      iniPath: '/etc/neutron/plugins/ml2/openvswitch_agent.ini',
      section: '[agent]',
      before: { l2_population: true, arp_responder: true },
      after: { l2_population: true, arp_responder: false },
      diff: '-arp_responder = true\n+arp_responder = false',
      service: { method: 'command', name: 'neutron-openvswitch-agent' },
      vxlanVnis: [],
      warnings: [],
    };
    return reply({ status: 'done', result: plan });
  }
  if (cmd.action === 'set_mode') return reply({ status: 'done', result: { iniPath: '/etc/neutron/plugins/ml2/openvswitch_agent.ini' } });
  await reply({ status: 'done', result: { ms: 900 } });
  // the restarted agent: report_state, then br-tun with its flows (Lab2, NEW) beside the old agent's table 0 flows (OLD)
  await neutronReport(false, true);
  await publish(
    nodeRoutingKey('snapshot', HOST),
    snapshot([...flows('1-lab2-ports-active', NEW), ...flows('3-lab3', OLD).filter((l) => / table=0,/.test(l))], seq++),
  );
}

beforeAll(async () => {
  vhost = await createTestVhost('l2scope-toggle-ovs');
  db = await migratedTestDatabase();
  keyDir = mkdtempSync(path.join(tmpdir(), 'l2scope-cmdkey-'));
  admin = await amqp.connect(vhost.adminUrl);
  neutron = await admin.createConfirmChannel();
  const spec = exchangeFor('neutron');
  await neutron.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  worker = await startWorker({
    amqpUrl: (await vhost.addUser(ALL)).url,
    databaseUrl: db.url,
    port: 0,
    token: createWorkerToken(),
    commandKey: path.join(keyDir, 'command-key.pem'),
    toggleDeadlineS: 60,
    log: (l) => logs.push(l),
  });
  const u = await vhost.addUser(NODE_AGENT_PRIVILEGE, {
    name: nodeAgentUser(HOST),
    topics: [{ exchange: NODE_EXCHANGE.name, write: `^(snapshot|bum|reply)\\.${HOST.replace(/[.]/g, '\\.')}$`, read: '^$' }],
  });
  user = u.user;
  conn = await amqp.connect(u.url);
  pub = await conn.createConfirmChannel();
  const ch = await admin.createChannel();
  await ch.assertExchange(COMMAND_WIRE.exchange, COMMAND_WIRE.exchangeType, COMMAND_WIRE.exchangeOptions);
  const q = COMMAND_WIRE.queue(HOST);
  await ch.assertQueue(q, { durable: false, autoDelete: true });
  await ch.bindQueue(q, COMMAND_WIRE.exchange, COMMAND_WIRE.routingKey(HOST));
  await ch.consume(q, (m) => {
    if (!m) return;
    ch.ack(m);
    void onCommand(m.content.toString('utf8')).catch((err: unknown) => logs.push(`test agent: ${String(err)}`));
  });
  // before: Lab3 (ARP responder on) under OLD
  await neutronReport(true, true);
  await publish(nodeRoutingKey('snapshot', HOST), snapshot(flows('3-lab3', OLD), seq++));
  await waitFor(`${HOST} analysed`, () => worker.nodes.latest()?.hosts[HOST]?.snapshot, 20_000);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await conn?.close().catch(() => {});
  await admin?.close().catch(() => {});
  await vhost?.cleanup();
  await db?.drop();
  rmSync(keyDir, { recursive: true, force: true });
});

describe('an Open vSwitch toggle waits for br-tun under one new cookie', () => {
  it('stays verifying while br-tun holds the old cookie beside the new one; done once the new one is alone', async () => {
    const [job] = await createToggleJobs(worker.db, { hosts: [HOST], change: { arp_responder: false }, inPlace: false, requestedBy: 'alice', origin: null });
    await waitFor('the plan stored', async () => (await getToggleJob(worker.db, job!.id))?.plan, 30_000);
    await advanceToggleJob(worker.db, job!.id, { from: 'planned', to: 'approved', actor: 'bob', approvedBy: 'bob' });
    // every check but br_tun passes on the two-cookie snapshot
    const held = await waitFor(
      'snapshot check passed',
      async () => {
        const j = await getToggleJob(worker.db, job!.id);
        return j?.steps.some((s) => s.step === 'snapshot' && s.outcome === 'ok') ? j : null;
      },
      30_000,
    );
    expect(held!.evidence).toContain(`br-tun cookies before the restart: ${OLD}`);
    // a negative, so an observation window (not a synchronisation): the worker checks four times a
    // second, and for 3 s on the two-cookie snapshot every reading of the job is verifying without br_tun
    let readings = 0;
    for (const end = Date.now() + 3000; Date.now() < end; readings++) {
      const still = (await getToggleJob(worker.db, job!.id))!;
      expect(still.state, still.steps.map((s) => `${s.step}:${s.outcome}`).join(' ')).toBe('verifying');
      expect(still.steps.map((s) => s.step)).not.toContain('br_tun');
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`while br-tun held two cookies: ${readings} readings of the job, all verifying without br_tun`);
    // the old agent's flows cleaned: the NEW cookie alone
    await publish(nodeRoutingKey('snapshot', HOST), snapshot(flows('1-lab2-ports-active', NEW), seq++));
    const done = await waitFor(
      'job done',
      async () => {
        const j = await getToggleJob(worker.db, job!.id);
        return j && ['done', 'failed', 'rolled_back'].includes(j.state) ? j : null;
      },
      30_000,
    );
    console.log('done job:', done!.state, done!.steps.map((s) => `${s.step}:${s.outcome}`).join(' '), '\nevidence:\n  ' + done!.evidence.join('\n  '));
    expect(done!.state).toBe('done');
    expect(done!.steps.map((s) => `${s.step}:${s.outcome}`)).toEqual([
      'plan:ok',
      'apply:info',
      'set_mode:ok',
      'restart_agent:ok',
      'report_state:ok',
      'snapshot:ok',
      'br_tun:ok',
      'drift:ok',
      'verify:ok',
    ]);
    const line = done!.evidence.find((l) => l.startsWith('br_tun: snapshot'));
    expect(line).toMatch(
      new RegExp(`^br_tun: snapshot seq ${seq - 1} taken \\S+: br-tun holds one cookie, ${NEW} \\(\\d+ flows\\); before the restart ${OLD}$`),
    );
    expect(actions).toEqual(['plan', 'set_mode', 'restart_agent']);
  }, 120_000);
});
