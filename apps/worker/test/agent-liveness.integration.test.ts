/**
 * `agent_down` on the real broker: the ovs-node capture's real `report_state` casts of compute1,
 * compute2 and controller are published on Neutron's exchange (`q-reports-plugin`); then compute2
 * stops reporting (as after a SIGKILL) while the others go on, which advances the model's clock
 * (receive times). With `agent_down_time` set to 5 s (the option the worker takes as
 * `--agent-down-time`), the worker opens an `agent_down` finding for compute2 (stored) once the
 * clock passes its last report + 5 s, shows `agent.alive: false` in its analysis, and closes the
 * finding when compute2 reports again. No node agent takes part: liveness comes from the model.
 *
 * On a quiet bus (nobody reports any more: a small cloud, or every agent dead) the clock must still
 * move: a second worker, which ticks its model's clock with the wall clock while its tap is connected
 * and drained (`liveClockTickMs`), opens `agent_down` for every silent host without any further
 * message; the first worker does not tick (`liveClockTickMs: 0`), so only messages move its clock.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORTS_TOPIC, decodeMessage, parseCapture } from '@l2scope/domain';
import { TAP_LEAST_PRIVILEGE, type TestDatabase, type TestVhost, createTestVhost, waitFor } from '@l2scope/testkit';
import { type WorkerHandle, exchangeFor, startWorker } from '../src';
import { migratedTestDatabase } from './helpers/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// long enough that a busy machine's gaps between two reports of a live host never reach it
const DOWN_MS = 5000;

/** ovs-node's real report_state bodies, the first one per host. */
const reports = new Map<string, string>();
for (const r of parseCapture(readFileSync(path.join(root, 'fixtures/ovs-node.jsonl'), 'utf8')).records) {
  if (r.routingKey !== REPORTS_TOPIC) continue;
  const d = decodeMessage(r);
  if (!d.ok || d.message.kind !== 'report_state') continue;
  if (!reports.has(d.message.agent.host)) reports.set(d.message.agent.host, Buffer.from(r.body).toString('utf8'));
}

let vhost: TestVhost;
let db: TestDatabase;
let worker: WorkerHandle;
let conn: amqp.ChannelModel;
let ch: amqp.ConfirmChannel;

async function report(host: string): Promise<void> {
  ch.publish('neutron', REPORTS_TOPIC, Buffer.from(reports.get(host)!), { contentType: 'application/json', contentEncoding: 'utf-8' });
  await ch.waitForConfirms();
}

beforeAll(async () => {
  vhost = await createTestVhost('l2scope-liveness');
  db = await migratedTestDatabase();
  conn = await amqp.connect(vhost.adminUrl);
  ch = await conn.createConfirmChannel();
  const spec = exchangeFor('neutron');
  await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  const tap = await vhost.addUser(TAP_LEAST_PRIVILEGE);
  worker = await startWorker({
    amqpUrl: tap.url,
    databaseUrl: db.url,
    port: 0,
    log: () => {},
    agentDownTimeMs: DOWN_MS,
    reportIntervalMs: 500,
    liveClockTickMs: 0,
  });
});
afterAll(async () => {
  await worker?.stop();
  await conn?.close().catch(() => {});
  await vhost?.cleanup();
  await db?.drop();
});

describe('agent_down from real report_state messages', () => {
  it('opens when a host stops reporting for longer than agent_down_time, and closes when it reports again', async () => {
    for (const h of ['compute1', 'compute2', 'controller']) await report(h);
    const model = worker.pipeline.model;
    await waitFor('three reporting hosts', () => ['compute1', 'compute2', 'controller'].every((h) => model.host(h)?.lastReportAt));
    const last = model.host('compute2')!.lastReportAt!;
    expect(worker.nodes.findings().some((f) => f.kind === 'agent_down')).toBe(false);

    // compute2 is silent; the others keep reporting, which moves the model's clock on
    const f = await waitFor(
      'the agent_down finding',
      async () => {
        await report('controller');
        await report('compute1');
        return worker.nodes.findings().find((x) => x.kind === 'agent_down' && x.network === 'agent:compute2');
      },
      90_000,
      200,
    );
    expect(f).toMatchObject({ kind: 'agent_down', network: 'agent:compute2', vni: null, hosts: ['compute2'] });
    expect(model.clock - last).toBeGreaterThan(DOWN_MS);
    expect(f.detail).toContain(new Date(last).toISOString());
    expect(f.detail).toContain('agent_down_time (5 s)');
    expect(f.evidence).toEqual([
      {
        host: 'compute2',
        source: 'report_state',
        file: null,
        text: `last report_state ${new Date(last).toISOString()}; agent_down_time 5 s; down since ${new Date(last + DOWN_MS).toISOString()}`,
      },
    ]);
    const agent = worker.nodes.latest()!.hosts.compute2!.agent;
    expect(agent).toEqual({ alive: false, lastReportAt: new Date(last).toISOString(), downSince: new Date(last + DOWN_MS).toISOString() });
    expect(worker.nodes.latest()!.hosts.compute1!.agent!.alive).toBe(true);
    await waitFor(
      'stored open',
      async () => (await worker.db.finding.findFirst({ where: { kind: 'agent_down', network: 'agent:compute2', resolvedAt: null } })) !== null,
    );

    await report('compute2');
    await waitFor('closed', () => !worker.nodes.findings().some((x) => x.kind === 'agent_down' && x.network === 'agent:compute2'));
    expect(worker.nodes.latest()!.hosts.compute2!.agent!.alive).toBe(true);
    await waitFor(
      'stored resolved',
      async () => (await worker.db.finding.findFirst({ where: { kind: 'agent_down', network: 'agent:compute2', resolvedAt: { not: null } } })) !== null,
    );
  });
});

/** After compute2 reports again, it must stay alive while the test looks (the wall clock ticks this worker's model). */
const QUIET_DOWN_MS = 8000;

describe('agent_down on a quiet bus', () => {
  let qVhost: TestVhost;
  let qDb: TestDatabase;
  let qWorker: WorkerHandle;
  let qConn: amqp.ChannelModel;
  let qCh: amqp.ConfirmChannel;
  const publish = async (host: string) => {
    qCh.publish('neutron', REPORTS_TOPIC, Buffer.from(reports.get(host)!), { contentType: 'application/json', contentEncoding: 'utf-8' });
    await qCh.waitForConfirms();
  };

  beforeAll(async () => {
    qVhost = await createTestVhost('l2scope-liveness-quiet');
    qDb = await migratedTestDatabase();
    qConn = await amqp.connect(qVhost.adminUrl);
    qCh = await qConn.createConfirmChannel();
    const spec = exchangeFor('neutron');
    await qCh.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
    const tap = await qVhost.addUser(TAP_LEAST_PRIVILEGE);
    qWorker = await startWorker({
      amqpUrl: tap.url,
      databaseUrl: qDb.url,
      port: 0,
      log: () => {},
      agentDownTimeMs: QUIET_DOWN_MS,
      reportIntervalMs: 500,
      liveClockTickMs: 100,
    });
  });
  afterAll(async () => {
    await qWorker?.stop();
    await qConn?.close().catch(() => {});
    await qVhost?.cleanup();
    await qDb?.drop();
  });

  it('the wall clock moves the model while the tap listens: silent hosts go down with no further message, and come back on a report', async () => {
    for (const h of ['compute1', 'compute2', 'controller']) await publish(h);
    const model = qWorker.pipeline.model;
    await waitFor('three reporting hosts', () => ['compute1', 'compute2', 'controller'].every((h) => model.host(h)?.lastReportAt));
    const received = qWorker.pipeline.counters.received;
    const lastReport = Math.max(...['compute1', 'compute2', 'controller'].map((h) => model.host(h)!.lastReportAt!));

    // nothing more is published: only the clock tick can open these
    const down = await waitFor(
      'agent_down for the three silent hosts',
      () => {
        const f = qWorker.nodes.findings().filter((x) => x.kind === 'agent_down');
        return f.length === 3 ? f : undefined;
      },
      90_000,
    );
    expect(down.map((f) => f.network).sort()).toEqual(['agent:compute1', 'agent:compute2', 'agent:controller']);
    expect(qWorker.pipeline.counters.received).toBe(received);
    expect(model.clock - lastReport).toBeGreaterThan(QUIET_DOWN_MS);
    expect(qWorker.nodes.latest()!.hosts.compute2!.agent!.alive).toBe(false);
    await waitFor('stored open', async () => (await qWorker.db.finding.count({ where: { kind: 'agent_down', resolvedAt: null } })) === 3);

    await publish('compute2');
    await waitFor('compute2 closed', () => !qWorker.nodes.findings().some((x) => x.network === 'agent:compute2'));
    expect(
      qWorker.nodes
        .findings()
        .filter((x) => x.kind === 'agent_down')
        .map((f) => f.network)
        .sort(),
    ).toEqual(['agent:compute1', 'agent:controller']);
  });
});
