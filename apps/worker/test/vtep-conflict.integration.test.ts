/**
 * `vtep_conflict` on the real broker: lab3's real `report_state` casts of compute1 and compute2 are
 * published on Neutron's exchange (`q-reports-plugin`), then compute2's report with its
 * `tunneling_ip` replaced by compute1's. The model keeps the VTEP on compute1 (alive), the worker
 * opens a `vtep_conflict` finding naming both hosts and the IP (stored), and resolves it when
 * compute2 reports its own IP again. No node agent takes part: the finding comes from the model.
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

/** lab3's real report_state bodies and tunneling_ip per host. */
const reports = new Map(
  parseCapture(readFileSync(path.join(root, 'fixtures/lab3.jsonl'), 'utf8'))
    .records.filter((r) => r.routingKey === REPORTS_TOPIC)
    .map((r) => {
      const d = decodeMessage(r);
      if (!d.ok || d.message.kind !== 'report_state') throw new Error('not a report_state');
      return [d.message.agent.host, { body: Buffer.from(r.body).toString('utf8'), ip: d.message.agent.tunnelingIp! }] as const;
    }),
);

let vhost: TestVhost;
let db: TestDatabase;
let worker: WorkerHandle;
let conn: amqp.ChannelModel;
let ch: amqp.ConfirmChannel;

async function report(body: string): Promise<void> {
  ch.publish('neutron', REPORTS_TOPIC, Buffer.from(body), { contentType: 'application/json', contentEncoding: 'utf-8' });
  await ch.waitForConfirms();
}

beforeAll(async () => {
  vhost = await createTestVhost('l2scope-vtep');
  db = await migratedTestDatabase();
  conn = await amqp.connect(vhost.adminUrl);
  ch = await conn.createConfirmChannel();
  const spec = exchangeFor('neutron');
  await ch.assertExchange(spec.name, spec.type, { durable: spec.durable, autoDelete: spec.autoDelete });
  const tap = await vhost.addUser(TAP_LEAST_PRIVILEGE);
  worker = await startWorker({ amqpUrl: tap.url, databaseUrl: db.url, port: 0, log: () => {} });
});
afterAll(async () => {
  await worker?.stop();
  await conn?.close().catch(() => {});
  await vhost?.cleanup();
  await db?.drop();
});

describe('vtep_conflict from real report_state messages', () => {
  it("opens a finding instead of handing a live host's VTEP over, and resolves it", async () => {
    const c1 = reports.get('compute1')!;
    const c2 = reports.get('compute2')!;
    await report(c1.body);
    await report(c2.body);
    const model = worker.pipeline.model;
    await waitFor('both hosts with their VTEPs', () => model.host('compute1')?.vtep === c1.ip && model.host('compute2')?.vtep === c2.ip);

    await report(c2.body.split(c2.ip).join(c1.ip));
    const f = await waitFor('the vtep_conflict finding', () => worker.nodes.findings().find((x) => x.kind === 'vtep_conflict'));
    expect(f).toMatchObject({ kind: 'vtep_conflict', network: `vtep:${c1.ip}`, vni: null, hosts: ['compute1', 'compute2'] });
    expect(f.evidence.map((e) => `${e.host} ${e.source} ${e.text.split(' (')[0]}`)).toEqual([
      `compute1 report_state tunneling_ip ${c1.ip}`,
      `compute2 report_state tunneling_ip ${c1.ip}`,
    ]);
    expect(model.hostOfVtep(c1.ip)).toBe('compute1');
    expect(model.host('compute1')!.vtep).toBe(c1.ip);
    await waitFor('stored open', async () => (await worker.db.finding.findFirst({ where: { kind: 'vtep_conflict', resolvedAt: null } })) !== null);

    await report(c2.body);
    await waitFor('resolved', () => !worker.nodes.findings().some((x) => x.kind === 'vtep_conflict'));
    expect(model.host('compute2')!.vtep).toBe(c2.ip);
    await waitFor('stored resolved', async () => (await worker.db.finding.findFirst({ where: { kind: 'vtep_conflict', resolvedAt: { not: null } } })) !== null);
  });
});
