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
import { L2POP_FANOUT_EXCHANGE, NEUTRON_EXCHANGE, decodeMessage, parseCapture } from '@l2scope/domain';
import { createTestVhost, waitFor } from '@l2scope/testkit';
import { fleetExchanges } from '../src';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const fleet = (...args: string[]) => promisify(execFile)('npx', ['tsx', 'apps/fleet/src/main.ts', ...args], { cwd: root });
const dir = mkdtempSync(path.join(tmpdir(), 'l2scope-fleet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run fleet', () => {
  it('--out writes a capture every line of which parses and decodes, the same bytes twice', async () => {
    const args = ['--hosts', '12', '--networks', '4', '--ports', '40', '--duration', '90', '--churn', '1', '--storm', '1', '--seed', '5'];
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
  });

  it('--once publishes the initial state (and the storm) on a real broker, then exits', async () => {
    const vhost = await createTestVhost();
    try {
      const conn = await amqp.connect(vhost.adminUrl);
      const ch = await conn.createChannel();
      for (const x of fleetExchanges()) await ch.assertExchange(x.name, x.type, { durable: x.durable, autoDelete: x.autoDelete });
      const q = (await ch.assertQueue('', { exclusive: true })).queue;
      await ch.bindQueue(q, L2POP_FANOUT_EXCHANGE, '');
      await ch.bindQueue(q, NEUTRON_EXCHANGE, '#');
      const { stdout } = await fleet('--hosts', '10', '--networks', '3', '--ports', '30', '--once', '--storm', '2', '--amqp', vhost.adminUrl);
      const published = Number(/published (\d+) messages/.exec(stdout)?.[1]);
      expect(published).toBeGreaterThan(100);
      expect(stdout).not.toContain(vhost.adminUrl); // the password stays off the terminal
      await waitFor('every message routed to the queue', async () => (await ch.checkQueue(q)).messageCount === published, 20_000);
      await conn.close();
    } finally {
      await vhost.cleanup();
    }
  });
});
