/**
 * The command line as a user runs it (`npm run fleet -- ...`, tsx): --out writes a capture the
 * domain parses and decodes, the same twice; --once publishes the initial state and a storm on a
 * real broker vhost and exits, every message routed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { L2POP_FANOUT_EXCHANGE, NEUTRON_EXCHANGE, NODE_EXCHANGE, decodeMessage, parseBumReport, parseCapture, parseNodeSnapshot } from '@l2scope/domain';
import { createTestVhost, waitFor } from '@l2scope/testkit';
import { deleteNodeAgentUsers, fleetExchanges } from '../src';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fleet = (...args: string[]) => promisify(execFile)('npx', ['tsx', 'apps/fleet/src/main.ts', ...args], { cwd: root });
const dir = mkdtempSync(path.join(tmpdir(), 'l2scope-fleet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run fleet', () => {
  it('--out writes a capture every line of which parses and decodes, the same bytes twice', async () => {
    const args = ['--hosts', '12', '--networks', '4', '--ports', '40', '--duration', '90', '--churn', '1', '--storm', '1', '--seed', '5'];
    args.push('--nodes', '--drift', '1', '--half-switched', '1', '--bum-interval', '30');
    const a = path.join(dir, 'a.jsonl');
    const b = path.join(dir, 'b.jsonl');
    const { stdout } = await fleet(...args, '--out', a);
    await fleet(...args, '--out', b);
    const text = readFileSync(a, 'utf8');
    expect(readFileSync(b, 'utf8')).toBe(text);
    const { records, errors } = parseCapture(text);
    expect(errors).toEqual([]);
    expect(stdout).toContain(`wrote ${records.length} messages`);
    expect(records.every((r) => decodeMessage(r).ok)).toBe(true);
    expect(records[0]!.ts.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(records.at(-1)!.ts.getTime()).toBeGreaterThan(Date.parse('2026-12-01T00:01:00Z'));
    // the node messages, apart: the same bytes twice, every one a snapshot or BUM report of its own host's user
    const nodes = readFileSync(path.join(dir, 'a.nodes.jsonl'), 'utf8');
    expect(readFileSync(path.join(dir, 'b.nodes.jsonl'), 'utf8')).toBe(nodes);
    const node = parseCapture(nodes);
    expect(node.errors).toEqual([]);
    expect(stdout).toContain(`and ${node.records.length} node messages`);
    expect(node.records.filter((r) => r.routingKey.startsWith('snapshot.'))).toHaveLength(12 * 3);
    for (const r of node.records) {
      const body = JSON.parse(new TextDecoder().decode(r.body)) as unknown;
      const host = r.routingKey.startsWith('snapshot.') ? parseNodeSnapshot(body).host : parseBumReport(body).host;
      expect(r.routingKey.endsWith(`.${host}`)).toBe(true);
      expect(r.properties.userId).toBe(`l2scope-agent-${host}`);
    }
    expect(stdout).toMatch(/faults: drift compute-\d+ \(missing_flood\); half-switched compute-\d+; dead none/);
  });

  it('--once publishes the initial state (and the storm) on a real broker, then exits; --nodes over each host user', async () => {
    const vhost = await createTestVhost();
    const prefix = `c${randomBytes(3).toString('hex')}-`; // node agent users are broker-wide: names no other run uses
    try {
      const conn = await amqp.connect(vhost.adminUrl);
      const ch = await conn.createChannel();
      for (const x of [...fleetExchanges(), NODE_EXCHANGE]) await ch.assertExchange(x.name, x.type, { durable: x.durable, autoDelete: x.autoDelete });
      const q = (await ch.assertQueue('', { exclusive: true })).queue;
      await ch.bindQueue(q, L2POP_FANOUT_EXCHANGE, '');
      await ch.bindQueue(q, NEUTRON_EXCHANGE, '#');
      const nq = (await ch.assertQueue('', { exclusive: true })).queue;
      await ch.bindQueue(nq, NODE_EXCHANGE.name, '#');
      const { stdout } = await fleet(
        ...['--hosts', '10', '--networks', '3', '--ports', '30', '--once', '--storm', '2', '--amqp', vhost.adminUrl],
        ...['--nodes', '--create-node-users', '--host-prefix', prefix, '--node-password', randomBytes(8).toString('hex')],
      );
      const published = Number(/published (\d+) messages/.exec(stdout)?.[1]);
      expect(published).toBeGreaterThan(100);
      expect(stdout).not.toContain(vhost.adminUrl); // the password stays off the terminal
      // --once: every host's first snapshot and BUM report, right after the initial state and the storm
      expect(stdout).toContain('fleet: 10 node snapshots, 10 BUM reports');
      await waitFor(
        'every message routed to the queues',
        async () => (await ch.checkQueue(q)).messageCount === published - 20 && (await ch.checkQueue(nq)).messageCount === 20,
        20_000,
      );
      const users = new Set<string>();
      for (let m = await ch.get(nq, { noAck: true }); m; m = await ch.get(nq, { noAck: true })) users.add(`${m.fields.routingKey} ${m.properties.userId}`);
      expect(users.size).toBe(20);
      for (const u of users) expect(u).toMatch(new RegExp(`^(snapshot|bum)\\.(${prefix}\\d) l2scope-agent-\\2$`));
      await conn.close();
    } finally {
      await deleteNodeAgentUsers(Array.from({ length: 10 }, (_, i) => `${prefix}${i}`));
      await vhost.cleanup();
    }
  });
});
