/**
 * A small fleet published on a test vhost of the real RabbitMQ to a real worker (least-privilege
 * tap, real database): the worker's model ends with exactly the fleet's hosts (name, VTEP, agent
 * type) and, per network and VTEP, exactly the ports the simulated server announced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp from 'amqplib';
import { NETWORK_DELETE_TOPIC, fanoutExchange } from '@l2scope/domain';
import { readModelSnapshot } from '@l2scope/db';
import { TAP_LEAST_PRIVILEGE, type TestDatabase, type TestVhost, createTestDatabase, createTestVhost, waitFor } from '@l2scope/testkit';
import { type WorkerHandle, startWorker } from '@l2scope/worker';
import { NeutronSimulation, fleetExchanges, fleetSchedule, generateFleet, loadTemplates, publishFleet } from '../src';

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
