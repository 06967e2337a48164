/**
 * The worker's Neutron API poller over real HTTP, against the replay server (the lab's recorded
 * responses, Neutron's pagination), with the real broker and database:
 * - noauth (`--neutron-api URL`): names reach the database and `/api/neutron`; with no l2pop cast
 *   on the tap the ports that went ACTIVE while it watched open `port_without_l2pop`; agents
 *   Neutron counts alive open `agent_silent_on_tap` until their real report_state arrives;
 * - Keystone v3 (the replay server playing keystone): token, catalog, project names, re-login on 401;
 * - failures back off and are shown in the status; a recovery clears them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNeutronApi } from '@l2scope/db';
import { type NeutronApiView, REPORTS_TOPIC, decodeMessage, parseCapture } from '@l2scope/domain';
import { type TestDatabase, createWorkerToken, waitFor, workerAuthHeaders } from '@l2scope/testkit';
import { type WorkerHandle, startWorker } from '../../src';
import { type WorkerEnv, createWorkerEnv, migratedTestDatabase } from '../helpers/worker';
import { type ReplayServer, startReplayServer } from './replay-server';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const VM_PORT = { id: '3755e6a1-cac5-42b5-a2a6-ed7862f715ca', mac: 'fa:16:3e:0b:8a:d5', device: '3bb84282-a8dd-4557-a8ff-73a7818e0453' };
const NET = 'e4a56552-cd9e-4811-8d60-567a343a2550';

describe('noauth endpoint, live tap', () => {
  let env: WorkerEnv;
  let api: ReplayServer;
  let worker: WorkerHandle;
  let conn: amqp.ChannelModel;
  const token = createWorkerToken();

  beforeAll(async () => {
    env = await createWorkerEnv('l2scope-neutron-api', ['neutron']);
    // the ports go ACTIVE once the worker's tap listens (startWorker resolves after the tap
    // started): on the next whole second (Neutron's `updated_at` has 1 s resolution); before
    // that they carry an old time, which the checks do not judge
    let activeAt: Date | null = null;
    api = await startReplayServer({ portsUpdatedAt: () => activeAt ?? new Date(0) });
    conn = await amqp.connect(env.vhost.adminUrl);
    worker = await startWorker({
      amqpUrl: env.tapUrl,
      databaseUrl: env.db.url,
      port: 0,
      token,
      log: () => {},
      agentDownTimeMs: 1500,
      neutronApi: { kind: 'endpoint', url: api.url },
      neutronApiIntervalMs: 300,
      neutronApiCastGraceMs: 0,
    });
    activeAt = new Date(Math.ceil((Date.now() + 1) / 1000) * 1000);
  });
  afterAll(async () => {
    await worker?.stop();
    await conn?.close().catch(() => {});
    await api?.close();
    await env?.cleanup();
  });

  it('stores the names of every port and network, read page by page with GET only', async () => {
    const view = await waitFor('names in the database', async () => (await readNeutronApi(worker.db))?.names ?? null);
    const port = view.ports.find((p) => p.mac === VM_PORT.mac)!;
    expect(port).toMatchObject({
      portId: VM_PORT.id,
      deviceId: VM_PORT.device,
      deviceOwner: 'compute:nova',
      networkName: 'l2lab-selfservice',
      host: 'ovs1',
      announced: false,
    });
    expect(view.ports).toHaveLength(4);
    expect(view.networks.map((n) => n.name)).toEqual(['l2lab-selfservice']);
    expect(view.agents.map((a) => [a.host, a.alive])).toEqual([
      ['compute1', true],
      ['compute2', true],
      ['controller', true],
      ['ovs1', true],
    ]);
    expect(api.requests.every((r) => r.method === 'GET')).toBe(true);
    // 4 ports at 1,000 a page: one page; the fields asked for include the binding
    const portReq = api.requests.find((r) => r.path === '/v2.0/ports')!;
    expect(portReq.query.get('limit')).toBe('1000');
    expect(portReq.query.getAll('fields')).toContain('binding:host_id');

    const res = await fetch(`http://127.0.0.1:${worker.port}/api/neutron`, { headers: workerAuthHeaders(token) });
    const live = (await res.json()) as NeutronApiView;
    expect(live.status).toMatchObject({ endpoint: api.url, auth: 'noauth', consecutiveFailures: 0, counts: { ports: 4, networks: 1, agents: 4, skipped: 0 } });
    expect(live.names?.ports).toHaveLength(4);
  });

  it('opens port_without_l2pop for ports that went ACTIVE while the tap heard no cast for them', async () => {
    const f = await waitFor('port_without_l2pop', () => worker.nodes.findings().find((x) => x.kind === 'port_without_l2pop'), 20_000);
    expect(f).toMatchObject({ network: NET, vni: 649, hosts: ['compute1', 'compute2', 'controller', 'ovs1'] });
    expect(f.evidence.map((e) => e.source)).toEqual(['neutron_api', 'neutron_api', 'neutron_api', 'neutron_api']);
    const stored = await worker.db.finding.findMany({ where: { kind: 'port_without_l2pop', resolvedAt: null } });
    expect(stored.length).toBe(1);
  });

  it('opens agent_silent_on_tap for agents Neutron counts alive without report_state on the tap, closes it when they report', async () => {
    const silent = () =>
      worker.nodes
        .findings()
        .filter((x) => x.kind === 'agent_silent_on_tap')
        .map((x) => x.hosts[0]);
    await waitFor('four silent agents', () => silent().length === 4, 20_000);
    expect(silent().sort()).toEqual(['compute1', 'compute2', 'controller', 'ovs1']);
    // the real report_state of the ovs-node capture's Linux bridge hosts (compute1, compute2, controller: the lab's names)
    const ch = await conn.createConfirmChannel();
    const sent = new Set<string>();
    const records = parseCapture(readFileSync(path.join(root, 'fixtures/ovs-node.jsonl'), 'utf8')).records;
    const publish = async () => {
      for (const r of records) {
        if (r.routingKey !== REPORTS_TOPIC) continue;
        const d = decodeMessage(r);
        if (!d.ok || d.message.kind !== 'report_state' || d.message.agent.host === 'ovs1') continue;
        sent.add(d.message.agent.host);
        ch.publish('neutron', REPORTS_TOPIC, Buffer.from(r.body), { contentType: 'application/json', contentEncoding: 'utf-8' });
      }
      await ch.waitForConfirms();
    };
    await waitFor(
      'only ovs1 silent',
      async () => {
        await publish();
        return silent().join() === 'ovs1';
      },
      20_000,
      300,
    );
    // compute3 reports too, but Neutron's API does not list it: no finding either way
    expect([...sent].sort()).toEqual(['compute1', 'compute2', 'compute3', 'controller']);
    await ch.close();
  });
});

describe('Keystone v3, backoff', () => {
  let db: TestDatabase;
  let api: ReplayServer;
  let worker: WorkerHandle;
  const ks = { username: 'l2scope-reader', password: 's3cret-pw', token: 'gAAAA-token', projects: [{ id: 'fake_project_id', name: 'lab-project' }] };

  beforeAll(async () => {
    db = await migratedTestDatabase();
    api = await startReplayServer({ keystone: ks });
    worker = await startWorker({
      replayFile: path.join(root, 'fixtures/lab3.jsonl'),
      speed: 0,
      databaseUrl: db.url,
      port: 0,
      log: () => {},
      neutronApi: {
        kind: 'keystone',
        authUrl: `${api.url}/v3`,
        auth: { type: 'password', username: ks.username, password: ks.password, userDomainName: 'Default', projectName: 'lab', projectDomainName: 'Default' },
        interface: 'public',
        region: 'RegionOne',
      },
      neutronApiIntervalMs: 200,
      neutronApiBackoffMs: 100,
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await db?.drop();
  });

  it('logs in, reads through the public network endpoint of the catalog with the token, and names projects', async () => {
    const names = await waitFor('names', async () => (await readNeutronApi(worker.db))?.names ?? null);
    expect(names.ports.find((p) => p.mac === VM_PORT.mac)).toMatchObject({ projectId: 'fake_project_id', projectName: 'lab-project', portId: VM_PORT.id });
    expect(names.networks[0]).toMatchObject({ name: 'l2lab-selfservice', projectName: 'lab-project' });
    const posts = api.requests.filter((r) => r.method !== 'GET');
    expect(posts.map((r) => r.path)).toEqual(['/v3/auth/tokens']);
    expect(api.requests.filter((r) => r.path.startsWith('/v2.0/')).every((r) => r.token === 'gAAAA-token-1')).toBe(true);
    expect(worker.neutronApi!.status()).toMatchObject({ endpoint: api.url, auth: 'password' });
    // the password is nowhere in what l2scope publishes
    expect(JSON.stringify(await readNeutronApi(worker.db))).not.toContain(ks.password);
  });

  it('logs in again when the API refuses the token', async () => {
    api.revokeToken();
    await waitFor('a second token', () => api.requests.some((r) => r.token === 'gAAAA-token-2'), 10_000);
    expect(api.requests.filter((r) => r.path === '/v3/auth/tokens')).toHaveLength(2);
  });

  it('backs off on failures, shows the last error, and recovers', async () => {
    const p = worker.neutronApi!;
    await waitFor('a success first', () => p.status().lastSuccessAt);
    api.failNext(3, 503);
    const failing = await waitFor('three failures', () => (p.status().consecutiveFailures >= 3 ? p.status() : null), 10_000);
    expect(failing.lastError).toMatch(/\/v2\.0\/ports: HTTP 503$/);
    // 100 ms, 200 ms, 400 ms: the next poll is further out than the healthy 200 ms
    expect(Date.parse(failing.nextPollAt!) - Date.parse(failing.lastErrorAt!)).toBeGreaterThanOrEqual(350);
    await waitFor('recovered', () => p.status().consecutiveFailures === 0, 10_000);
    const st = (await readNeutronApi(worker.db))!.status;
    expect(st.lastError).toMatch(/HTTP 503/);
  });
});
