/**
 * docker/rabbitmq: the tap's least-privilege permissions against the test kit's
 * TAP_LEAST_PRIVILEGE (the domain's WORKER_PERMISSIONS) and the README, the provisioning script
 * against a fake management API, and the demo publisher + least-privilege tap on the real local
 * RabbitMQ.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_AGENT_WIRE, NODE_EXCHANGE, WORKER_PERMISSIONS, nodeAgentTopicPattern, tapBindings } from '@l2scope/domain';
import { TAP_LEAST_PRIVILEGE, type TestVhost, createTestVhost, waitFor } from '@l2scope/testkit';
import { AmqpTap, DEFAULT_CAPTURE, exchangeFor, readCapture } from '@l2scope/worker';
import { read, DEFAULT_CAPTURE_REL, runNode } from './expectations';

describe('RabbitMQ least-privilege tap user', () => {
  const perms = JSON.parse(read('docker/rabbitmq/tap-permissions.json')) as Record<string, string>;

  it('docker/rabbitmq/tap-permissions.json equals the test kit TAP_LEAST_PRIVILEGE, which is the domain WORKER_PERMISSIONS', () => {
    expect({ configure: perms.configure, write: perms.write, read: perms.read }).toEqual(TAP_LEAST_PRIVILEGE);
    expect(TAP_LEAST_PRIVILEGE).toEqual(WORKER_PERMISSIONS);
  });

  it('provision.mjs and the README give exactly those regexes', async () => {
    const mod = (await import('../rabbitmq/provision.mjs')) as { TAP_PERMISSIONS: unknown; rabbitmqctlCommands: (u?: string, v?: string) => string[] };
    expect(mod.TAP_PERMISSIONS).toEqual(TAP_LEAST_PRIVILEGE);
    const all = [...mod.rabbitmqctlCommands(), ...read('docker/README.md').split('\n')].filter((l) => /rabbitmqctl set_permissions/.test(l));
    // the node agent's user has its own, narrower permissions (checked below)
    const lines = all.filter((l) => !l.includes("'l2scope-agent-"));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) {
      const quoted = [...l.matchAll(/'([^']*)'/g)].map((m) => m[1]);
      expect(quoted.slice(-3), l).toEqual([TAP_LEAST_PRIVILEGE.configure, TAP_LEAST_PRIVILEGE.write, TAP_LEAST_PRIVILEGE.read]);
    }
  });

  it("the README's node agent user gets exactly NODE_AGENT_WIRE.permissions", () => {
    const lines = read('docker/README.md')
      .split('\n')
      .filter((l) => /rabbitmqctl set_(topic_)?permissions/.test(l) && l.includes("'l2scope-agent-compute1'"));
    expect(lines).toHaveLength(2);
    const quoted = [...lines[0]!.matchAll(/'([^']*)'/g)].map((m) => m[1]);
    expect(quoted.slice(-3)).toEqual([NODE_AGENT_WIRE.permissions.configure, NODE_AGENT_WIRE.permissions.write, NODE_AGENT_WIRE.permissions.read]);
    // the topic permission: only its own host's routing keys
    expect([...lines[1]!.matchAll(/'([^']*)'/g)].map((m) => m[1]).slice(-3)).toEqual([NODE_EXCHANGE.name, nodeAgentTopicPattern('compute1'), '^$']);
  });

  it("cover the tap's own queues and every exchange it binds by default, and nothing of Neutron's beyond reading", () => {
    const configure = new RegExp(perms.configure!);
    const write = new RegExp(perms.write!);
    const readRe = new RegExp(perms.read!);
    const q = new AmqpTap({ url: 'amqp://unused', onDelivery: async () => {} }).queue;
    for (const name of [q, `${q}.dlx`, `${q}.dropped`]) {
      expect(configure.test(name), name).toBe(true);
      expect(write.test(name), name).toBe(true);
      expect(readRe.test(name), name).toBe(true);
    }
    const exchanges = new Set(tapBindings().map((b) => b.exchange.name));
    expect(exchanges.size).toBeGreaterThanOrEqual(2);
    for (const e of exchanges) expect(readRe.test(e), e).toBe(true);
    for (const e of new Set(tapBindings({ allRpc: true }).map((b) => b.exchange.name))) expect(configure.test(e) || write.test(e), e).toBe(false);
    for (const other of ['q-plugin', 'neutron-extra', 'reply_abc', 'l2scope.other']) expect(readRe.test(other), other).toBe(false);
  });

  // The default least-privilege user does not read the OVO push fanouts that `--all-rpc` also binds
  // (neutron-vo-<Resource>-<version>_fanout): the tap then binds the rest and reports those as
  // denied (apps/worker test "--all-rpc with the default least-privilege user"); docker/README.md
  // says which pattern to add for them.
  it('with --all-rpc, the default read regex leaves out exactly the OVO push fanouts', () => {
    const readRe = new RegExp(perms.read!);
    const unreadable = [...new Set(tapBindings({ allRpc: true }).map((b) => b.exchange.name))].filter((e) => !readRe.test(e));
    expect(unreadable.length).toBeGreaterThan(0);
    for (const e of unreadable) expect(e).toMatch(/^neutron-vo-[A-Za-z]+-\d+\.\d+_fanout$/);
  });
});

interface Recorded {
  method: string;
  url: string;
  auth: string;
  body: unknown;
}

/** A fake RabbitMQ management API that records requests. */
async function fakeManagementApi(opts: { password: string; notReadyFor?: number }) {
  const requests: Recorded[] = [];
  const perms = new Map<string, unknown>();
  let notReady = opts.notReadyFor ?? 0;
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const rec = { method: req.method!, url: req.url!, auth: req.headers.authorization ?? '', body: data ? JSON.parse(data) : undefined };
      requests.push(rec);
      if (rec.auth !== `Basic ${Buffer.from(`admin:${opts.password}`).toString('base64')}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"error":"not_authorized","reason":"Login failed"}');
      }
      if (rec.url === '/api/overview') {
        if (notReady-- > 0) {
          res.writeHead(503);
          return res.end('starting');
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"rabbitmq_version":"3.13.7"}');
      }
      if (rec.method === 'PUT') {
        if (rec.url.startsWith('/api/permissions/')) perms.set(rec.url, rec.body);
        res.writeHead(201);
        return res.end();
      }
      if (rec.method === 'GET' && perms.has(rec.url)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(perms.get(rec.url)));
      }
      res.writeHead(404);
      res.end('{"error":"Object Not Found"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { requests, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('docker/rabbitmq/provision.mjs (against a fake management API)', () => {
  const script = 'docker/rabbitmq/provision.mjs';

  it('creates the tap user without tags and sets the least-privilege permissions on /', async () => {
    const api = await fakeManagementApi({ password: 'adm1n', notReadyFor: 2 });
    try {
      const r = await runNode([script], { RABBITMQ_API_URL: api.url, RABBITMQ_ADMIN_PASSWORD: 'adm1n', L2SCOPE_TAP_PASSWORD: 't4p' });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const writes = api.requests.filter((q) => q.method === 'PUT');
      expect(writes.map((q) => q.url)).toEqual(['/api/users/l2scope', '/api/permissions/%2F/l2scope']);
      expect(writes[0]!.body).toEqual({ password: 't4p', tags: '' });
      expect(writes[1]!.body).toEqual(TAP_LEAST_PRIVILEGE);
      // waited for the API (two 503s) before writing
      expect(api.requests.filter((q) => q.url === '/api/overview').length).toBe(3);
      expect(r.stdout).toContain('user l2scope on vhost /');
    } finally {
      await api.close();
    }
  });

  it('creates a custom vhost first', async () => {
    const api = await fakeManagementApi({ password: 'adm1n' });
    try {
      const r = await runNode([script], {
        RABBITMQ_API_URL: api.url,
        RABBITMQ_ADMIN_PASSWORD: 'adm1n',
        L2SCOPE_TAP_PASSWORD: 't4p',
        L2SCOPE_TAP_USER: 'tap',
        L2SCOPE_AMQP_VHOST: 'open/stack',
      });
      expect(r.code).toBe(0);
      expect(api.requests.filter((q) => q.method === 'PUT').map((q) => q.url)).toEqual([
        '/api/vhosts/open%2Fstack',
        '/api/users/tap',
        '/api/permissions/open%2Fstack/tap',
      ]);
    } finally {
      await api.close();
    }
  });

  it('fails at once on wrong admin credentials, and without the passwords', async () => {
    const api = await fakeManagementApi({ password: 'adm1n' });
    try {
      const r = await runNode([script], { RABBITMQ_API_URL: api.url, RABBITMQ_ADMIN_PASSWORD: 'wrong', L2SCOPE_TAP_PASSWORD: 't4p' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('HTTP 401');
      expect(api.requests.filter((q) => q.method === 'PUT')).toEqual([]);
      const missing = await runNode([script], { RABBITMQ_API_URL: api.url, RABBITMQ_ADMIN_PASSWORD: 'adm1n' });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('L2SCOPE_TAP_PASSWORD is required');
    } finally {
      await api.close();
    }
  });

  it('gives up when the API never answers', async () => {
    const r = await runNode([script], {
      RABBITMQ_API_URL: 'http://127.0.0.1:1',
      RABBITMQ_ADMIN_PASSWORD: 'a',
      L2SCOPE_TAP_PASSWORD: 'b',
      RABBITMQ_WAIT_SECONDS: '1',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not answering after 1s');
  });
});

const rabbitmqctl = spawnSync('rabbitmqctl', ['-q', 'status'], { encoding: 'utf8', timeout: 30_000 });
const hasRabbit = !rabbitmqctl.error && rabbitmqctl.status === 0;
if (!hasRabbit) console.warn('rabbitmqctl / RabbitMQ not available: skipping the demo publisher + least-privilege tap test');

describe.skipIf(!hasRabbit)('demo profile on the real RabbitMQ: docker/demo/replay.ts as neutron-server, the tap as the least-privilege user', () => {
  let vhost: TestVhost;
  beforeAll(async () => {
    vhost = await createTestVhost('l2scope-docker');
  });
  afterAll(async () => {
    await vhost?.cleanup();
  });

  it('the tap user receives every l2pop and report_state message the simulator publishes, and may not publish to Neutron', async () => {
    const perms = JSON.parse(read('docker/rabbitmq/tap-permissions.json')) as { configure: string; write: string; read: string };
    const tapUser = await vhost.addUser(perms);

    // Neutron's exchanges exist before the tap starts (as in a running cloud)
    const admin = await amqp.connect(vhost.adminUrl);
    const ch = await admin.createChannel();
    const bindings = tapBindings();
    for (const name of new Set(bindings.map((b) => b.exchange.name))) {
      const e = exchangeFor(name);
      await ch.assertExchange(e.name, e.type, { durable: e.durable, autoDelete: e.autoDelete });
    }

    // what the tap must receive: records of the capture its bindings route (topic keys `x.#` or exact)
    const routed = (exchange: string, key: string) =>
      bindings.some(
        (b) =>
          b.exchange.name === exchange &&
          (b.exchange.type === 'fanout' ||
            b.routingKey === key ||
            (b.routingKey.endsWith('.#') && (key === b.routingKey.slice(0, -2) || key.startsWith(b.routingKey.slice(0, -1))))),
      );
    let expected = 0;
    let total = 0;
    for await (const r of readCapture(DEFAULT_CAPTURE)) {
      total++;
      if (routed(r.exchange, r.routingKey)) expected++;
    }
    expect(expected).toBeGreaterThan(10);
    expect(expected).toBeLessThan(total);

    const received: string[] = [];
    const tap = new AmqpTap({ url: tapUser.url, pollSeconds: 1, onDelivery: async (d) => void received.push(d.routingKey) });
    await tap.start();
    try {
      const r = await runNode(
        ['--import', 'tsx', 'docker/demo/replay.ts'],
        { NEUTRON_AMQP_URL: vhost.adminUrl, DEMO_SPEED: '0', DEMO_LOOP: '0', DEMO_CAPTURE: DEFAULT_CAPTURE_REL },
        60_000,
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`published ${total} messages`);
      await waitFor(`the tap to receive ${expected} messages`, () => received.length >= expected, 60_000);
      await new Promise((res) => setTimeout(res, 500)); // an observation window: a duplicate would arrive now
      expect(received.length).toBe(expected);

      // least privilege: the tap user cannot write to Neutron's exchange
      const tc = await amqp.connect(tapUser.url);
      try {
        const pub = await tc.createConfirmChannel();
        const closed = new Promise<string>((res) => pub.on('error', (e: Error) => res(e.message)));
        pub.publish('neutron', 'q-agent-notifier-l2population-update.evil', Buffer.from('{}'));
        expect(await closed).toMatch(/ACCESS_REFUSED/);
      } finally {
        await tc.close().catch(() => {});
      }
    } finally {
      await tap.close();
      await admin.close();
    }
  }, 120_000);
});
