/**
 * The node capture beside a replayed one: records merged by capture time, node records handed to
 * the node monitor after the casts before them, and a looping replay's later passes sent as a
 * restarted node agent would (a fresh `instance`), so the worker does not refuse them as old.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toCaptureLine } from '@l2scope/domain';
import type { Delivery } from '../src/delivery';
import { replayInProcess, siblingNodeCapture } from '../src/replay';

const dir = mkdtempSync(path.join(tmpdir(), 'l2scope-replay-nodes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (ts: number, exchange: string, routingKey: string, body: object) =>
  toCaptureLine({ ts: new Date(ts), exchange, routingKey, properties: { contentType: 'application/json' }, body: Buffer.from(JSON.stringify(body)) });

const file = path.join(dir, 'cap.jsonl');
writeFileSync(file, [line(1000, 'neutron', 'q-reports-plugin', { n: 1 }), line(3000, 'neutron', 'q-reports-plugin', { n: 3 })].join('\n') + '\n');
writeFileSync(
  path.join(dir, 'cap.nodes.jsonl'),
  [
    line(2000, 'l2scope.node', 'snapshot.h1', { host: 'h1', instance: 'i1', seq: 1 }),
    line(4000, 'l2scope.node', 'bum.h1', { host: 'h1', instance: 'i1' }),
  ].join('\n') + '\n',
);

describe('replayInProcess with a node capture', () => {
  it('finds the node capture beside the capture, and only when it exists', () => {
    expect(siblingNodeCapture(file)).toBe(path.join(dir, 'cap.nodes.jsonl'));
    expect(siblingNodeCapture(path.join(dir, 'other.jsonl'))).toBeUndefined();
  });

  it('merges by capture time; a looping pass re-sends snapshots under a fresh instance', async () => {
    const order: string[] = [];
    const abort = new AbortController();
    const text = (d: Delivery) => JSON.parse(Buffer.from(d.body).toString('utf8')) as { n?: number; instance?: string };
    let nodeMessages = 0;
    await replayInProcess({
      file,
      nodeFile: siblingNodeCapture(file),
      speed: 0,
      loop: true,
      loopPauseMs: 0,
      signal: abort.signal,
      pending: () => 0,
      submit: async (d) => void order.push(`cast ${text(d).n}`),
      node: async (d) => {
        order.push(`${d.routingKey} ${text(d).instance}`);
        if (++nodeMessages === 4) abort.abort();
      },
    });
    expect(order).toEqual(['cast 1', 'snapshot.h1 i1', 'cast 3', 'bum.h1 i1', 'cast 1', 'snapshot.h1 i1~2', 'cast 3', 'bum.h1 i1']);
  });

  it('skips node records without a node monitor', async () => {
    const logs: string[] = [];
    const casts: number[] = [];
    const n = await replayInProcess({
      file,
      nodeFile: siblingNodeCapture(file),
      speed: 0,
      pending: () => 0,
      submit: async () => void casts.push(1),
      log: (l) => logs.push(l),
    });
    expect([n, casts.length]).toEqual([2, 2]);
    expect(logs).toContain('replay: 2 node agent messages skipped (no node monitor)');
  });
});
