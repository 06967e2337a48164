/**
 * A small fleet published on a test vhost of the real RabbitMQ to a real worker (least-privilege
 * tap, real database): the worker's model ends with exactly the fleet's hosts (name, VTEP, agent
 * type) and, per network and VTEP, exactly the ports the simulated server announced. Then a fleet
 * with node agents (each host's own user, made by one import_definitions): the worker admits every
 * snapshot and BUM report, and its analysis shows exactly the injected drift and half-switched hosts.
 * Last, the same kind of fleet written as a capture (`--out`: casts and `<out>.nodes.jsonl`) and
 * replayed in-process by a worker of its own: the node side is admitted and analysed the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { NETWORK_DELETE_TOPIC, fanoutExchange } from '@l2scope/domain';
import { readModelSnapshot } from '@l2scope/db';
import { TAP_LEAST_PRIVILEGE, type TestDatabase, type TestVhost, createTestDatabase, createTestVhost, waitFor } from '@l2scope/testkit';
import { type WorkerHandle, startWorker } from '@l2scope/worker';
import {
  NeutronSimulation,
  NodeSimulation,
  createNodeAgentUsers,
  deleteNodeAgentUsers,
  fleetExchanges,
  fleetSchedule,
  generateFleet,
  loadTemplates,
  nodeAgentUrl,
  publishFleet,
  staleMacOf,
  vhostOf,
  writeCapture,
} from '../src';

let vhost: TestVhost;
let db: TestDatabase;
let worker: WorkerHandle;

beforeAll(async () => {
  vhost = await createTestVhost();
  db = await createTestDatabase();
  // neutron-server declares its exchanges before the tap binds to them
  const conn = await amqp.connect(vhost.adminUrl);
  const ch = await conn.createChannel();
  for (const x of [...fleetExchanges(), fanoutExchange(NETWORK_DELETE_TOPIC)])
    await ch.assertExchange(x.name, x.type, { durable: x.durable, autoDelete: x.autoDelete });
  await conn.close();
  const tap = await vhost.addUser(TAP_LEAST_PRIVILEGE);
  worker = await startWorker({ amqpUrl: tap.url, databaseUrl: db.url, port: 0, log: () => {} });
});

afterAll(async () => {
  await worker?.stop();
  await vhost?.cleanup();
  await db?.drop();
});

describe('fleet -> real broker -> real worker', () => {
  it("ends with exactly the fleet's hosts and ports in the worker's model", async () => {
    expect(worker.stats()).toMatchObject({ connected: true, missingExchanges: [] });
    const fleet = generateFleet({ seed: 20, hosts: 20, networks: 6, ports: 80 });
    const templates = loadTemplates();
    const startMs = Date.now();
    const sim = new NeutronSimulation(fleet, templates, 20, startMs);
    // the initial state, an OVS restart storm and a minute of churn (removes, chg_ip)
    const schedule = fleetSchedule(fleet, templates, { seed: 20, startMs, durationS: 60, churnPerS: 2, storm: 2, stormAtS: 10, reportIntervalS: 30 }, sim);
    const published = await publishFleet(schedule, { url: vhost.adminUrl, window: 100 });
    expect(published).toBeGreaterThan(500);
    await waitFor('every message stored', async () => (await worker.db.message.count()) === published, 60_000);
    await waitFor('the model folded every message', async () => (await readModelSnapshot(worker.db)).seq >= published, 60_000);

    expect(await worker.db.message.count({ where: { ok: false } })).toBe(0);
    const model = await readModelSnapshot(worker.db);
    expect(model.hosts.map((h) => `${h.id} ${h.vtep} ${h.agentType}`)).toEqual(
      fleet.hosts.map((h) => `${h.name} ${h.vtep} ${h.agent === 'openvswitch' ? 'Open vSwitch agent' : 'Linux bridge agent'}`).sort(),
    );
    const told = sim.told();
    expect(told.length).toBeGreaterThan(40);
    expect(
      model.vteps.filter((v) => v.flood || v.macs.length > 0).map((v) => ({ network: v.network, vtep: v.vtep, flood: v.flood, macs: v.macs, neigh: v.neigh })),
    ).toEqual(told.map((t) => ({ ...t, flood: true })));
  });
});

describe('fleet with node agents -> real broker -> real worker', () => {
  const prefix = `f${randomBytes(3).toString('hex')}-`; // users are broker-wide: names no other run uses
  // apart from the first fleet's VTEPs and VNIs: the worker's model holds both
  const fleet = generateFleet({ seed: 21, hosts: 10, networks: 3, ports: 40, hostPrefix: prefix, vtepBase: 1000, vniBase: 5000 });
  const hosts = fleet.hosts.map((h) => h.name);
  afterAll(() => deleteNodeAgentUsers(hosts));

  it("admits every host's snapshots and BUM reports; the analysis shows exactly the injected faults", async () => {
    const password = randomBytes(8).toString('hex');
    await createNodeAgentUsers(hosts, vhostOf(vhost.adminUrl), password);
    const templates = loadTemplates();
    const startMs = Date.now();
    const sim = new NeutronSimulation(fleet, templates, 21, startMs);
    const node = new NodeSimulation(sim, 21);
    const schedule = fleetSchedule(
      fleet,
      templates,
      { seed: 21, startMs, durationS: 30, nodes: { intervalS: 30, bumIntervalS: 10, drift: 2, halfSwitched: 1 }, dead: 1 },
      sim,
      node,
    );
    const messages = [...schedule];
    const snapshots = messages.filter((m) => m.kind === 'snapshot').length;
    const bums = messages.filter((m) => m.kind === 'bum').length;
    expect([snapshots, bums]).toEqual([10, 10 * 3 - 2]); // the dead host's node agent: one snapshot, one report
    const before = { ...worker.nodes.counters };
    await publishFleet(messages, { url: vhost.adminUrl, window: 100, nodeUrl: (h) => nodeAgentUrl(vhost.adminUrl, h, password), nodeConnections: 4 });
    await waitFor(
      'every node message admitted',
      () => {
        const c = worker.nodes.counters;
        return c.snapshots - before.snapshots === snapshots && c.bumReports - before.bumReports === bums;
      },
      30_000,
    );
    expect(worker.nodes.counters.refused).toEqual(before.refused);

    const name = (h: number) => fleet.hosts[h]!.name;
    const drift = node.faults.drift
      .map((d) => {
        const held = node.held(d.host).find((n) => n.missingFlood || n.stale)!;
        return `${name(d.host)} ${d.kind} ${d.kind === 'missing_flood' ? held.missingFlood : staleMacOf(d.host)}`;
      })
      .sort();
    const half = [...node.faults.halfSwitched].map(name);
    const halfNets = new Set([...node.faults.halfSwitched].flatMap((h) => node.sim.networksOf(h).map((n) => fleet.networks[n]!.id)));
    let last: unknown = null;
    const a = await waitFor(
      'the analysis of every host against the whole model',
      () => {
        const l = worker.nodes.latest();
        if (!l || !hosts.every((h) => l.hosts[h]?.snapshot)) return null;
        const got = Object.entries(l.hosts)
          .filter(([h]) => hosts.includes(h))
          .flatMap(([h, x]) => x.drift.map((d) => `${h} ${d.class} ${d.class === 'missing_flood' ? d.vtep : d.mac}`))
          .sort();
        last = { got, drift, hosts: Object.keys(l.hosts), snaps: hosts.map((h) => l.hosts[h]?.snapshot?.seq) };
        return JSON.stringify(got) === JSON.stringify(drift) ? l : null;
      },
      30_000,
    ).catch((e: unknown) => {
      console.log(JSON.stringify(last));
      throw e;
    });
    expect(drift).toHaveLength(2);
    const findings = a.findings.filter((f) => f.hosts.some((h) => hosts.includes(h)));
    expect(new Set(findings.filter((f) => f.kind === 'half_switched_vxlan').map((f) => f.network))).toEqual(halfNets);
    for (const f of findings) {
      expect(['half_switched_vxlan', 'mixed_arp_responder']).toContain(f.kind);
      expect(halfNets.has(f.network)).toBe(true);
      if (f.kind === 'half_switched_vxlan') expect(f.hosts).toEqual(half);
    }
  });
});

describe('fleet capture with node agents -> in-process replay -> real worker', () => {
  it('replays the node capture beside the casts: the analysis shows exactly the injected faults', async () => {
    const fleet = generateFleet({ seed: 22, hosts: 8, networks: 3, ports: 30 });
    const templates = loadTemplates();
    const startMs = Date.now();
    const sim = new NeutronSimulation(fleet, templates, 22, startMs);
    const node = new NodeSimulation(sim, 22);
    const schedule = fleetSchedule(
      fleet,
      templates,
      { seed: 22, startMs, durationS: 30, nodes: { intervalS: 30, bumIntervalS: 10, drift: 2, halfSwitched: 1 } },
      sim,
      node,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'l2scope-fleet-replay-'));
    const file = path.join(dir, 'fleet.jsonl');
    const replayDb = await createTestDatabase();
    let replayWorker: WorkerHandle | undefined;
    try {
      // the node side goes to fleet.nodes.jsonl, which the worker finds beside fleet.jsonl
      const messages = [...schedule];
      expect(await writeCapture(messages, file, path.join(dir, 'fleet.nodes.jsonl'))).toBe(messages.length);
      const logs: string[] = [];
      replayWorker = await startWorker({ replayFile: file, speed: 0, databaseUrl: replayDb.url, port: 0, log: (l) => logs.push(l) });
      expect(await replayWorker.replayDone).toBe(messages.length);
      expect(logs.find((l) => l.startsWith('worker: replaying'))).toContain("with the node agents' " + path.join(dir, 'fleet.nodes.jsonl'));
      expect(replayWorker.nodes.counters).toMatchObject({
        snapshots: messages.filter((m) => m.kind === 'snapshot').length,
        bumReports: messages.filter((m) => m.kind === 'bum').length,
      });
      expect(Object.values(replayWorker.nodes.counters.refused).reduce((a, b) => a + b, 0)).toBe(0);

      const name = (h: number) => fleet.hosts[h]!.name;
      const drift = node.faults.drift
        .map((d) => {
          const held = node.held(d.host).find((n) => n.missingFlood || n.stale)!;
          return `${name(d.host)} ${d.kind} ${d.kind === 'missing_flood' ? held.missingFlood : staleMacOf(d.host)}`;
        })
        .sort();
      expect(drift).toHaveLength(2);
      const w = replayWorker;
      const a = await waitFor(
        'the analysis of every host',
        () => {
          const l = w.nodes.latest();
          return l && fleet.hosts.every((h) => l.hosts[h.name]?.snapshot) ? l : null;
        },
        30_000,
      );
      const got = Object.entries(a.hosts)
        .flatMap(([h, x]) => x.drift.map((d) => `${h} ${d.class} ${d.class === 'missing_flood' ? d.vtep : d.mac}`))
        .sort();
      expect(got).toEqual(drift);
      const half = [...node.faults.halfSwitched].map(name);
      expect(new Set(a.findings.filter((f) => f.kind === 'half_switched_vxlan').flatMap((f) => f.hosts))).toEqual(new Set(half));
    } finally {
      await replayWorker?.stop();
      await replayDb.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
