/**
 * Node agents' data through the real broker into the worker: full snapshots and deltas built from
 * real lab3 kernel captures are published on `l2scope.node` while lab3's real l2pop casts are
 * republished on Neutron's exchanges. The analysis says zero drift, a fault injected in a delta is
 * flagged with its class and cleared when undone, convergence lags are measured, bad bodies are
 * counted and skipped.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FullNodeSnapshot,
  NODE_EXCHANGE,
  diffNodeSnapshots,
  nodeAgentTopicPattern,
  nodeRoutingKey,
  parseCapture,
  snapshotsFromBundle,
  toCaptureLine,
} from '@l2scope/domain';
import { lagFiguresByHost } from '@l2scope/db';
import { NODE_AGENT_PRIVILEGE, TAP_LEAST_PRIVILEGE, type TestDatabase, type TestVhost, createTestVhost, waitFor } from '@l2scope/testkit';
import { type WorkerHandle, exchangeFor, replayToBroker, startWorker } from '../src';
import { migratedTestDatabase } from './helpers/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fx = (...p: string[]) => path.join(root, 'fixtures', ...p);
const records = parseCapture(readFileSync(fx('lab3.jsonl'), 'utf8')).records;
const stepAt = (step: string) => {
  const line = readFileSync(fx('lab3', 'events.tsv'), 'utf8')
    .split('\n')
    .find((l) => l.endsWith(`snapshot ${step}`))!;
  return Math.round(Number.parseFloat(line.split('\t')[0]!) * 1000);
};
const HOSTS = ['compute1', 'compute2', 'controller'];

function bundle(step: string): FullNodeSnapshot[] {
  const dir = fx('lab3', step);
  const files = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  return snapshotsFromBundle(files, { takenAt: Date.now() }).snapshots.map((s, i) => ({ ...s, instance: `test-${s.host}`, seq: 1 + i * 0 }));
}

/** A capture file with the records captured in [from, to). */
function slice(from: number, to: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'l2scope-slice-'));
  const file = path.join(dir, 'slice.jsonl');
  writeFileSync(
    file,
    records
      .filter((r) => r.ts.getTime() >= from && r.ts.getTime() < to)
      .map(toCaptureLine)
      .join('\n'),
  );
  return file;
}

let vhost: TestVhost;
let db: TestDatabase;
let worker: WorkerHandle;
let ch: amqp.ConfirmChannel;
let conn: amqp.ChannelModel;
const quiet = () => {};

/** Each host's node agent: its own publish-only user (named by the worker's user map), a confirm channel. */
const agents = new Map<string, { user: string; conn: amqp.ChannelModel; ch: amqp.ConfirmChannel }>();

async function publishNode(s: FullNodeSnapshot | object, host: string, body?: Buffer): Promise<void> {
  const a = agents.get(host)!;
  a.ch.publish(NODE_EXCHANGE.name, nodeRoutingKey('snapshot', host), body ?? Buffer.from(JSON.stringify(s)), {
    contentType: 'application/json',
    userId: a.user,
  });
  await a.ch.waitForConfirms();
}

beforeAll(async () => {
  vhost = await createTestVhost();
  db = await migratedTestDatabase();
  conn = await amqp.connect(vhost.adminUrl);
  ch = await conn.createConfirmChannel();
  // the worker declares l2scope's exchange (an admin may too, as here: the agents' users cannot); neutron-server its own
  await ch.assertExchange(NODE_EXCHANGE.name, NODE_EXCHANGE.type, { durable: NODE_EXCHANGE.durable, autoDelete: NODE_EXCHANGE.autoDelete });
  for (const name of new Set(records.map((r) => r.exchange))) {
    const spec = exchangeFor(name);
    await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  }
  const tap = await vhost.addUser(TAP_LEAST_PRIVILEGE);
  const users: Record<string, string> = {};
  for (const host of HOSTS) {
    const topics = [{ exchange: NODE_EXCHANGE.name, write: nodeAgentTopicPattern(host), read: '^$' }];
    const u = await vhost.addUser(NODE_AGENT_PRIVILEGE, { topics });
    users[u.user] = host;
    const c = await amqp.connect(u.url);
    agents.set(host, { user: u.user, conn: c, ch: await c.createConfirmChannel() });
  }
  worker = await startWorker({ amqpUrl: tap.url, databaseUrl: db.url, port: 0, log: quiet, nodeAgentUsers: users });
  expect(worker.stats().deniedExchanges).toEqual([]);
});
afterAll(async () => {
  await worker?.stop();
  for (const a of agents.values()) await a.conn.close().catch(() => {});
  await conn?.close();
  await vhost?.cleanup();
  await db?.drop();
});

describe('node agents through the broker', () => {
  it('measures convergence: casts before the step-1 snapshots, lag per host', async () => {
    const t0 = stepAt('0-agents-restarted');
    const t1 = stepAt('1-ports-active');
    await replayToBroker({ file: slice(0, t0), url: vhost.adminUrl, speed: 0 });
    for (const s of bundle('0-agents-restarted')) await publishNode(s, s.host);
    await waitFor('three node snapshots', () => worker.nodes.hosts().length === 3);
    await replayToBroker({ file: slice(t0, t1), url: vhost.adminUrl, speed: 0 });
    await waitFor('the casts folded', () => worker.pipeline.model.snapshot().vteps.length === 3, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    for (const s of bundle('1-ports-active')) await publishNode({ ...s, seq: 2 }, s.host);
    await waitFor('every host converged', () => {
      const c = worker.nodes.convergence();
      return c.length === 3 && c.every((h) => h.samples === 4 && h.pending === 0);
    });
    for (const h of worker.nodes.convergence()) {
      expect(h.p50Ms).toBeGreaterThanOrEqual(0);
      expect(h.maxMs).toBeLessThan(30_000);
    }
    await waitFor('samples stored', async () => (await worker.db.convergenceSample.count()) === 12);
  });

  it('analyses the real step-1 state as zero drift on every host', async () => {
    // the analysis of the step-1 snapshots (seq 2), not an earlier one
    const a = await waitFor('the analysis of the step-1 snapshots', () => {
      const l = worker.nodes.latest();
      return l && HOSTS.every((h) => l.hosts[h]?.snapshot?.seq === 2) ? l : null;
    });
    for (const h of HOSTS) {
      expect({ host: h, drift: a.hosts[h]!.drift }).toEqual({ host: h, drift: [] });
      expect(a.hosts[h]!.mode.l2pop).toBe('on');
      expect(a.hosts[h]!.mode.arpResponder).toBe('on');
    }
    expect(a.findings).toEqual([]);
    await waitFor('analyses stored', async () => (await worker.db.hostAnalysisState.count()) === 3);
  });

  it('flags a flood entry removed in a delta as missing_flood, and clears it when restored', async () => {
    const full = { ...bundle('1-ports-active').find((s) => s.host === 'compute1')!, seq: 2 };
    const faulty: FullNodeSnapshot = {
      ...full,
      seq: 3,
      takenAt: new Date().toISOString(),
      linuxbridge: { ...full.linuxbridge!, fdb: full.linuxbridge!.fdb.filter((r) => !(r.mac === '00:00:00:00:00:00' && r.dst === '10.0.20.11')) },
    };
    await publishNode(diffNodeSnapshots(full, faulty), 'compute1');
    const drift = await waitFor('missing_flood on compute1', () => worker.nodes.latest()?.hosts.compute1?.drift.find((d) => d.class === 'missing_flood'));
    expect(drift).toMatchObject({ class: 'missing_flood', vtep: '10.0.20.11' });
    await waitFor('stored', async () => (await worker.db.hostAnalysisState.findUnique({ where: { host: 'compute1' } }))?.driftCount === 1);

    const fixed = { ...full, seq: 4, takenAt: new Date().toISOString() };
    await publishNode(diffNodeSnapshots(faulty, fixed), 'compute1');
    await waitFor('drift cleared', () => worker.nodes.latest()?.hosts.compute1?.drift.length === 0);
  });

  it('counts and skips bodies that are not snapshots, and deltas without their base', async () => {
    const before = { ...worker.nodes.counters, refused: { ...worker.nodes.counters.refused } };
    await publishNode({}, 'compute1', Buffer.from('{not json'));
    await publishNode({ schema: 'l2scope.node-snapshot/1', kind: 'full' }, 'compute1');
    const c1 = bundle('1-ports-active').find((s) => s.host === 'compute1')!;
    const orphan = diffNodeSnapshots(c1, { ...c1, seq: 9 });
    await publishNode({ ...orphan, instance: 'x' }, 'compute1');
    await waitFor(
      'counted',
      () => worker.nodes.counters.refused.invalid - before.refused.invalid === 2 && worker.nodes.counters.deltaMismatches - before.deltaMismatches === 1,
    );
    expect(worker.nodes.hosts()).toEqual(HOSTS);
  });

  it("compute1's agent restart (lab3's casts up to step 3), every entry held already: nothing timed or pending, counted already held, and stored as the worker has it", async () => {
    const before = worker.nodes.convergence();
    const restartedAt = worker.pipeline.model.host('compute1')!.startedAt;
    await replayToBroker({ file: slice(stepAt('1-ports-active'), stepAt('3-after-agent-restart')), url: vhost.adminUrl, speed: 0 });
    await waitFor('the restart folded', () => worker.pipeline.model.host('compute1')!.startedAt !== restartedAt, 10_000);
    const after = await waitFor('the casts counted as already held', () => {
      const c = worker.nodes.convergence();
      return c.length === 3 && c.every((h) => (h.alreadyHeld ?? 0) >= 4) ? c : null;
    });
    console.log(`convergence after compute1's restart: ${JSON.stringify(after)}`);
    // the host-directed full FDB to compute1 and compute1's re-announced entries: nothing new in any kernel
    expect(after.map((h) => [h.host, h.samples, h.pending, h.timedOut])).toEqual(before.map((h) => [h.host, h.samples, 0, 0]));
    expect(after.find((h) => h.host === 'compute1')!.alreadyHeld).toBe(8);
    // the stored figures carry the tracker's counts (tRPC reads these)
    await waitFor(
      'stored figures equal the worker',
      async () => JSON.stringify(await lagFiguresByHost(worker.db, HOSTS)) === JSON.stringify(worker.nodes.convergence()),
    );
  });
});
