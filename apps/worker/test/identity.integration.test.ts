/**
 * Host identity of node agents on the real broker (docs/rabbitmq.md): real RabbitMQ users, one per
 * hypervisor, publish-only with a topic permission on their own routing keys, created with
 * rabbitmqctl and removed after. A snapshot forged for host B by agent A's user is refused by the
 * broker (topic permission); on a misconfigured broker (no topic permission) by the worker, counted
 * `host_mismatch`; an older snapshot is refused `stale`, an oversize one `oversize` without being
 * parsed; honest snapshots are taken as before. The worker declares `l2scope.node` (agents may not)
 * and declares and binds it again when it is deleted under it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNodeRefusals } from '@l2scope/db';
import {
  type FullNodeSnapshot,
  NODE_EXCHANGE,
  type NodeRefusals,
  nodeAgentTopicPattern,
  nodeAgentUser,
  nodeRoutingKey,
  snapshotsFromBundle,
} from '@l2scope/domain';
import { NODE_AGENT_PRIVILEGE, type TestVhost, createWorkerToken, waitFor, workerAuthHeaders } from '@l2scope/testkit';
import { type NodesStatus, type WorkerHandle, startWorker } from '../src';
import { type WorkerEnv, createWorkerEnv } from './helpers/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const id = randomBytes(3).toString('hex');
/** Hosts unique to this run (RabbitMQ users are broker-wide). */
const A = `hv-a-${id}.l2scope.test`;
const B = `hv-b-${id}.l2scope.test`;
/** A host whose agent's user was given no topic permission: the misconfigured broker. */
const X = `hv-x-${id}.l2scope.test`;

/** lab3's real step-1 kernel snapshot of compute1, renamed to `host`. */
function snapshotOf(host: string, seq: number, instance = `test-${host}`): FullNodeSnapshot {
  const dir = path.join(root, 'fixtures/lab3/1-ports-active');
  const files = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  const s = snapshotsFromBundle(files, { takenAt: Date.now() }).snapshots.find((x) => x.host === 'compute1')!;
  return { ...s, host, instance, seq } as FullNodeSnapshot;
}

interface Agent {
  user: string;
  conn: amqp.ChannelModel;
  ch: amqp.ConfirmChannel;
}

let env: WorkerEnv;
let vhost: TestVhost;
let worker: WorkerHandle;
const token = createWorkerToken();
let admin: amqp.ChannelModel;
const agents = new Map<string, Agent>();
const logs: string[] = [];

async function agentOf(host: string, topic: boolean): Promise<Agent> {
  const topics = topic ? [{ exchange: NODE_EXCHANGE.name, write: nodeAgentTopicPattern(host), read: '^$' }] : [];
  const u = await vhost.addUser(NODE_AGENT_PRIVILEGE, { name: nodeAgentUser(host), topics });
  const conn = await amqp.connect(u.url);
  const a = { user: u.user, conn, ch: await conn.createConfirmChannel() };
  a.ch.on('error', () => {});
  agents.set(host, a);
  return a;
}

/** Publish as `host`'s agent (user_id = its user) with the routing key of `keyHost`; resolves true when the broker confirmed it. */
async function publish(host: string, keyHost: string, body: Buffer | object): Promise<boolean> {
  const a = agents.get(host)!;
  const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  return new Promise<boolean>((resolve) => {
    a.ch.once('close', () => resolve(false));
    a.ch.publish(NODE_EXCHANGE.name, nodeRoutingKey('snapshot', keyHost), content, { contentType: 'application/json', userId: a.user }, (err) => resolve(!err));
  });
}

const refused = (): NodeRefusals => ({ ...worker.nodes.counters.refused });

beforeAll(async () => {
  env = await createWorkerEnv('l2scope-identity');
  vhost = env.vhost;
  // the worker (least privilege) declares l2scope.node itself; Neutron's exchanges stay missing here
  worker = await startWorker({ amqpUrl: env.tapUrl, databaseUrl: env.db.url, port: 0, token, nodePollSeconds: 1, log: (l) => logs.push(l) });
  admin = await amqp.connect(vhost.adminUrl);
  await agentOf(A, true);
  await agentOf(B, true);
  await agentOf(X, false);
});
afterAll(async () => {
  await worker?.stop();
  for (const a of agents.values()) await a.conn.close().catch(() => {});
  await admin?.close().catch(() => {});
  await env?.cleanup(); // deletes the users too
});

describe('node agent identity on the real broker', () => {
  it('the worker declared l2scope.node; an agent user may not declare it', async () => {
    const ch = await admin.createChannel();
    await ch.checkExchange(NODE_EXCHANGE.name);
    await ch.close();
    const a = agents.get(A)!;
    const scratch = await a.conn.createChannel();
    scratch.on('error', () => {});
    await expect(scratch.assertExchange('l2scope.node.other', 'topic', { durable: true })).rejects.toThrow(/ACCESS_REFUSED|403/);
  });

  it('takes honest snapshots exactly as before', async () => {
    const sa = snapshotOf(A, 1);
    const sb = snapshotOf(B, 1);
    expect(await publish(A, A, sa)).toBe(true);
    expect(await publish(B, B, sb)).toBe(true);
    await waitFor('both hosts', () => worker.nodes.hosts().includes(A) && worker.nodes.hosts().includes(B));
    expect(worker.nodes.snapshotOf(A)).toEqual(sa);
    expect(worker.nodes.snapshotOf(B)).toEqual(sb);
    expect(refused()).toEqual({ host_mismatch: 0, stale: 0, oversize: 0, invalid: 0 });
  });

  it("refuses at the broker a snapshot for B published by A's user (topic permission)", async () => {
    const forged = { ...snapshotOf(B, 99), linuxbridge: null };
    expect(await publish(A, B, forged)).toBe(false);
    // the channel is closed with ACCESS_REFUSED: reopen it for the next tests
    const a = agents.get(A)!;
    a.ch = await a.conn.createConfirmChannel();
    a.ch.on('error', () => {});
    expect(worker.nodes.snapshotOf(B)?.seq).toBe(1);
  });

  it('refuses in the worker, as host_mismatch, what a misconfigured broker lets through', async () => {
    const before = refused();
    // X's user has no topic permission: the broker takes snapshot.<B> from it
    expect(await publish(X, B, snapshotOf(B, 50))).toBe(true);
    // A's own routing key, B's name in the body
    expect(await publish(A, A, snapshotOf(B, 51))).toBe(true);
    // no user_id at all (the admin, as a pre-identity agent would)
    const ch = await admin.createConfirmChannel();
    ch.publish(NODE_EXCHANGE.name, nodeRoutingKey('snapshot', B), Buffer.from(JSON.stringify(snapshotOf(B, 52))), {});
    await ch.waitForConfirms();
    await ch.close();
    await waitFor('three host_mismatch refusals', () => worker.nodes.counters.refused.host_mismatch - before.host_mismatch === 3);
    expect(worker.nodes.snapshotOf(B)?.seq).toBe(1);
    expect(worker.nodes.hosts()).not.toContain(X);
    expect(logs.filter((l) => l.startsWith('nodes: refused host_mismatch')).length).toBe(1); // once per reason per minute
  });

  it('refuses an older snapshot (stale) and takes a newer one, also from a restarted agent', async () => {
    const before = refused();
    expect(await publish(A, A, snapshotOf(A, 3))).toBe(true);
    await waitFor('seq 3', () => worker.nodes.snapshotOf(A)?.seq === 3);
    expect(await publish(A, A, snapshotOf(A, 2))).toBe(true);
    await waitFor('one stale refusal', () => worker.nodes.counters.refused.stale - before.stale === 1);
    expect(worker.nodes.snapshotOf(A)?.seq).toBe(3);
    // a restarted agent: another instance, seq 1 again, taken later
    expect(await publish(A, A, snapshotOf(A, 1, 'restarted'))).toBe(true);
    await waitFor('the restarted agent taken', () => worker.nodes.snapshotOf(A)?.instance === 'restarted');
    expect(worker.nodes.counters.refused.stale - before.stale).toBe(1);
  });

  it('refuses an oversize body without parsing it', async () => {
    const before = refused();
    // 9 MiB that are not JSON: parsed, it would count as invalid
    expect(await publish(A, A, Buffer.alloc(9 * 1024 * 1024, 'x'))).toBe(true);
    await waitFor('one oversize refusal', () => worker.nodes.counters.refused.oversize - before.oversize === 1, 20_000);
    expect(worker.nodes.counters.refused.invalid).toBe(before.invalid);
    expect(worker.nodes.snapshotOf(A)?.instance).toBe('restarted');
  });

  it('shows the refusals on /api/nodes and stores them', async () => {
    const want = refused();
    expect(want).toMatchObject({ host_mismatch: 3, stale: 1, oversize: 1, invalid: 0 });
    const status = (await (await fetch(`http://127.0.0.1:${worker.port}/api/nodes`, { headers: workerAuthHeaders(token) })).json()) as NodesStatus;
    expect(status.counters.refused).toEqual(want);
    await waitFor('stored', async () => JSON.stringify(await readNodeRefusals(worker.db)) === JSON.stringify(want));
  });

  it('declares and binds l2scope.node again when it is deleted under the worker', async () => {
    const ch = await admin.createChannel();
    await ch.deleteExchange(NODE_EXCHANGE.name);
    await ch.close();
    await waitFor('the worker bound it again', () => logs.some((l) => l.startsWith(`tap: bound ${NODE_EXCHANGE.name} again`)), 20_000);
    expect(logs.some((l) => l.includes(`exchange(s) ${NODE_EXCHANGE.name} deleted under the tap`))).toBe(true);
    expect(await publish(B, B, snapshotOf(B, 2))).toBe(true);
    await waitFor('B seq 2 through the new binding', () => worker.nodes.snapshotOf(B)?.seq === 2);
  });
});
