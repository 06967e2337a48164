/**
 * An open finding follows the latest analysis in the database (issue 11, item 3). The in-place
 * switch of fixtures/switch-noclean (Lab1 -> `mode all --l2pop on --arp-responder on --in-place`,
 * `vxlan-649` kept) arrives host by host on the real broker: node snapshots of step
 * `3-inplace-switched` one host at a time, and the capture's real report_state / l2pop casts
 * between the two steps. `half_switched_vxlan` opens on compute1 alone, grows to compute2, to
 * controller (l2_population on in report_state: another reason), changes its detail when
 * controller's kernel state arrives, and resolves on the clean switch (`5-clean-lab3`). At every
 * step the worker's live view (`GET /api/nodes`) and the stored view (packages/db's
 * `readNodesOverview` and `readNodeHost`, what tRPC `nodes.overview` and `nodes.host` return)
 * hold the same findings: ids, hosts, detail, evidence and times. One row for the whole life.
 * Runs on SQLite, and on PostgreSQL with DATABASE_URL=postgresql://....
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNodeHost, readNodesOverview } from '@l2scope/db';
import {
  type FindingView,
  type FullNodeSnapshot,
  NODE_EXCHANGE,
  findingKey,
  nodeAgentTopicPattern,
  nodeRoutingKey,
  parseCapture,
  snapshotsFromBundle,
  toCaptureLine,
} from '@l2scope/domain';
import { NODE_AGENT_PRIVILEGE, type TestVhost, createWorkerToken, waitFor, workerAuthHeaders } from '@l2scope/testkit';
import { type NodesStatus, type WorkerHandle, replayToBroker, startWorker } from '../src';
import { type WorkerEnv, createWorkerEnv } from './helpers/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fx = (...p: string[]) => path.join(root, 'fixtures', 'switch-noclean', ...p);
const records = parseCapture(readFileSync(path.join(root, 'fixtures', 'switch-noclean.jsonl'), 'utf8')).records;
const stepAt = (step: string) => {
  const line = readFileSync(fx('events.tsv'), 'utf8')
    .split('\n')
    .find((l) => l.endsWith(`snapshot ${step}`))!;
  return Math.round(Number.parseFloat(line.split('\t')[0]!) * 1000);
};
const HOSTS = ['compute1', 'compute2', 'controller'];
const NETWORK = 'cf50a57d-024d-4c09-8b5d-9d36ef38fc68';
const KEY = `half_switched_vxlan/${NETWORK}`;

/** A step's snapshot of `host`, as its node agent (instance `test-<host>`) sends it with sequence number `seq`. */
function snapshotOf(step: string, host: string, seq: number): FullNodeSnapshot {
  const dir = fx(step);
  const files = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  const s = snapshotsFromBundle(files, { takenAt: Date.now() }).snapshots.find((x) => x.host === host)!;
  return { ...s, instance: `test-${host}`, seq };
}

/** A capture file with the records captured in [from, to). */
function slice(from: number, to: number): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'l2scope-slice-')), 'slice.jsonl');
  writeFileSync(
    file,
    records
      .filter((r) => r.ts.getTime() >= from && r.ts.getTime() < to)
      .map(toCaptureLine)
      .join('\n'),
  );
  return file;
}

let env: WorkerEnv;
let vhost: TestVhost;
let worker: WorkerHandle;
const token = createWorkerToken();
const agents = new Map<string, { user: string; conn: amqp.ChannelModel; ch: amqp.ConfirmChannel }>();

async function publishNode(s: FullNodeSnapshot): Promise<void> {
  const a = agents.get(s.host)!;
  a.ch.publish(NODE_EXCHANGE.name, nodeRoutingKey('snapshot', s.host), Buffer.from(JSON.stringify(s)), { contentType: 'application/json', userId: a.user });
  await a.ch.waitForConfirms();
}

async function live(): Promise<NodesStatus> {
  const r = await fetch(`http://127.0.0.1:${worker.port}/api/nodes`, { headers: workerAuthHeaders(token) });
  return (await r.json()) as NodesStatus;
}

const byKey = (fs: readonly FindingView[]) => [...fs].sort((a, b) => findingKey(a).localeCompare(findingKey(b)));
const stored = (fs: readonly (FindingView & { resolvedAt: string | null })[]) => byKey(fs.map(({ resolvedAt: _open, ...f }) => f));

/**
 * Wait until the live view's `half_switched_vxlan` names `hosts` and says `detail` (a pattern),
 * then until the stored view (overview, compute1's host page) holds exactly the live findings.
 * @returns the live finding
 */
async function agreeOn(hosts: string[], detail: RegExp): Promise<FindingView> {
  await waitFor(
    `live ${KEY} on ${hosts.join(', ')}`,
    async () => {
      const x = (await live()).findings.find((y) => findingKey(y) === KEY);
      return x && x.hosts.join() === hosts.join() && detail.test(x.detail) ? x : null;
    },
    30_000,
  );
  // bounded poll: the write follows the analysis; on timeout, the last difference is shown
  let last: { live: FindingView[]; overview: FindingView[]; host: FindingView[] } | null = null;
  const same = await waitFor(
    'the stored view = the live view',
    async () => {
      const [l, o, h] = await Promise.all([live(), readNodesOverview(worker.db), readNodeHost(worker.db, 'compute1')]);
      last = { live: byKey(l.findings), overview: stored(o.findings), host: stored(h!.findings) };
      return (
        isDeepStrictEqual(last.overview, last.live) &&
        isDeepStrictEqual(
          last.host,
          last.live.filter((x) => x.hosts.includes('compute1')),
        )
      );
    },
    30_000,
  ).catch(() => false);
  if (!same) {
    const l = last!;
    expect(l.overview).toEqual(l.live);
    expect(l.host).toEqual(l.live.filter((x) => x.hosts.includes('compute1')));
  }
  // the live finding as it was when both views agreed (its row id written)
  const f = last!.live.find((x) => findingKey(x) === KEY)!;
  expect(f.hosts).toEqual(hosts);
  expect(f.detail).toMatch(detail);
  return f;
}

beforeAll(async () => {
  env = await createWorkerEnv('l2scope-findings', [NODE_EXCHANGE, ...records.map((r) => r.exchange)]);
  vhost = env.vhost;
  const users: Record<string, string> = {};
  for (const host of HOSTS) {
    const u = await vhost.addUser(NODE_AGENT_PRIVILEGE, { topics: [{ exchange: NODE_EXCHANGE.name, write: nodeAgentTopicPattern(host), read: '^$' }] });
    users[u.user] = host;
    const c = await amqp.connect(u.url);
    agents.set(host, { user: u.user, conn: c, ch: await c.createConfirmChannel() });
  }
  worker = await startWorker({ amqpUrl: env.tapUrl, databaseUrl: env.db.url, port: 0, token, log: () => {}, nodeAgentUsers: users });
});
afterAll(async () => {
  await worker?.stop();
  for (const a of agents.values()) await a.conn.close().catch(() => {});
  await env?.cleanup();
});

describe('an open finding follows the latest analysis, live and stored', () => {
  it('grows from one host to three, changes its detail, resolves: one row, the live and the stored view agree at every step', async () => {
    const t2 = stepAt('2-lab1-after-ping');
    const t3 = stepAt('3-inplace-switched');
    const t5 = stepAt('5-clean-lab3');
    // Lab1 (l2_population off everywhere): no finding
    await replayToBroker({ file: slice(0, t2), url: vhost.adminUrl, speed: 0 });
    await waitFor('the Lab1 casts folded', () => worker.pipeline.model.snapshot().vteps.length === 3, 20_000);
    for (const h of HOSTS) await publishNode(snapshotOf('2-lab1-after-ping', h, 1));
    await waitFor('the Lab1 snapshots analysed', () => HOSTS.every((h) => worker.nodes.latest()?.hosts[h]?.snapshot?.seq === 1), 20_000);
    expect((await live()).findings).toEqual([]);

    // compute1's kernel after the in-place switch: vxlan-649 keeps its group, gains l2pop entries
    await publishNode(snapshotOf('3-inplace-switched', 'compute1', 2));
    const first = await agreeOn(['compute1'], /^compute1: vxlan-649 still floods to multicast 224\.0\.0\.1 and also holds 2 l2pop flood entries/);
    expect(first.id).toBeGreaterThan(0);

    await publishNode(snapshotOf('3-inplace-switched', 'compute2', 2));
    const second = await agreeOn(['compute1', 'compute2'], /^compute1, compute2: vxlan-649 still floods/);
    expect(second.evidence.map((e) => e.host)).toContain('compute2');

    // the agents' restart in the capture: report_state says l2_population on for controller too
    await replayToBroker({ file: slice(t2, t3), url: vhost.adminUrl, speed: 0 });
    const third = await agreeOn(
      ['compute1', 'compute2', 'controller'],
      /^compute1, compute2: vxlan-649 still floods.*\. controller: l2_population is on but vxlan-649 still has multicast group 224\.0\.0\.1\./,
    );

    // controller's kernel arrives: same hosts, one reason for all three
    await publishNode(snapshotOf('3-inplace-switched', 'controller', 2));
    const fourth = await agreeOn(['compute1', 'compute2', 'controller'], /^compute1, compute2, controller: vxlan-649 still floods/);
    expect(fourth.detail).not.toBe(third.detail);

    for (const f of [second, third, fourth]) expect({ id: f.id, firstSeenAt: f.firstSeenAt }).toEqual({ id: first.id, firstSeenAt: first.firstSeenAt });

    // the clean switch (vxlan-649 recreated): resolved, in memory and in the database
    await replayToBroker({ file: slice(t3, t5), url: vhost.adminUrl, speed: 0 });
    for (const h of HOSTS) await publishNode(snapshotOf('5-clean-lab3', h, 3));
    await waitFor('resolved live', async () => !(await live()).findings.some((f) => findingKey(f) === KEY), 30_000);
    const rows = await waitFor(
      'resolved stored',
      async () => {
        const r = await worker.db.finding.findMany({ where: { key: KEY } });
        return r.length === 1 && r[0]!.resolvedAt !== null ? r : null;
      },
      30_000,
    );
    expect(rows[0]).toMatchObject({ id: first.id, hosts: ['compute1', 'compute2', 'controller'], detail: fourth.detail });
    expect(rows[0]!.firstSeenAt.toISOString()).toBe(first.firstSeenAt);
    const o = await readNodesOverview(worker.db);
    expect(o.resolvedFindings.find((f) => findingKey(f) === KEY)).toMatchObject({ id: first.id, hosts: ['compute1', 'compute2', 'controller'] });
  });
});
