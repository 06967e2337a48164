/**
 * The pipeline's write policy with a sink that refuses one particular message (as a database
 * refuses a value it cannot store): the batch is split until the poison message is alone, it is
 * stored stripped as `unstorable`, everything else is stored normally, in order.
 */
import { describe, expect, it } from 'vitest';
import { ClusterModel } from '@l2scope/domain';
import { waitFor } from '@l2scope/testkit';
import { type BatchSink, type Counters, type IngestedMessage, IngestPipeline } from '../src/pipeline';

class RefusingSink implements BatchSink {
  stored: IngestedMessage[] = [];
  probes = 0;
  down = false;
  constructor(private readonly poison: (m: IngestedMessage) => boolean) {}
  async writeBatch(batch: IngestedMessage[], _c: Counters, _seq: number): Promise<void> {
    if (this.down) throw new Error('connection refused');
    if (batch.some(this.poison)) throw new Error('invalid byte sequence for encoding "UTF8": 0x00');
    this.stored.push(...batch);
  }
  async probe(): Promise<void> {
    this.probes++;
    if (this.down) throw new Error('connection refused');
  }
}

const delivery = (i: number) => ({
  receivedAt: 1000 + i,
  exchange: 'q-agent-notifier-l2population-update_fanout',
  routingKey: '',
  properties: {},
  body: new TextEncoder().encode(
    JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method: 'remove_fdb_entries', args: { fdb_entries: {} }, n: i }) }),
  ),
  source: 'replay' as const,
});

describe('IngestPipeline write policy', () => {
  it('isolates a message the database refuses and stores the rest', async () => {
    // the database refuses what message 7 decodes to; its stripped form (raw bytes only) is storable
    const sink = new RefusingSink((m) => m.id === 7 && m.result.ok);
    const p = new IngestPipeline({
      sink,
      model: new ClusterModel(),
      firstId: 1,
      counters: { received: 0, undecodable: 0, dropped: 0, expired: 0 },
      windowMs: 5,
    });
    await Promise.all(Array.from({ length: 12 }, (_, i) => p.submit(delivery(i))));
    const ids = sink.stored.map((m) => m.id).sort((a, b) => a - b);
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const seven = sink.stored.find((m) => m.id === 7)!;
    expect(seven.result).toMatchObject({ ok: false, error: { reason: 'unstorable' }, method: 'remove_fdb_entries' });
    expect(seven.raw.byteLength).toBeGreaterThan(0);
    expect(sink.probes).toBeGreaterThan(0);
    expect(p.counters.undecodable).toBe(1);
    expect(p.seq).toBe(12);
  }, 30_000);

  it('keeps retrying (does not strip) while the database is down, then stores the message whole', async () => {
    const sink = new RefusingSink(() => false);
    sink.down = true;
    const p = new IngestPipeline({
      sink,
      model: new ClusterModel(),
      firstId: 1,
      counters: { received: 0, undecodable: 0, dropped: 0, expired: 0 },
      windowMs: 5,
    });
    let attempts = 0;
    p.on('write_failed', (_err, attempt) => (attempts = attempt));
    const done = p.submit(delivery(0));
    // retrying: after three failed writes the probe found the database down, and a fourth write was tried
    await waitFor('a write after a failed probe', () => sink.probes >= 1 && attempts >= 4, 20_000);
    expect(sink.stored).toEqual([]);
    sink.down = false;
    await done;
    expect(sink.stored.map((m) => m.result.ok)).toEqual([true]);
  }, 30_000);

  it('never throws: a delivery whose processing throws is stored as processing_failed with its raw bytes, a throwing listener is reported', async () => {
    const sink = new RefusingSink(() => false);
    const p = new IngestPipeline({
      sink,
      model: new ClusterModel(),
      firstId: 1,
      counters: { received: 0, undecodable: 0, dropped: 0, expired: 0 },
      windowMs: 5,
    });
    const failures: [string, number][] = [];
    p.on('listener_failed', (event, _err, id) => failures.push([event, id]));
    p.on('applied', (_m, _at, id) => {
      if (id === 2) throw new RangeError('Maximum call stack size exceeded');
    });
    // a delivery no source should make: its exchange is not a string, so resolving the target throws
    const odd = { ...delivery(0), exchange: 42 as unknown as string };
    let submitted: Promise<void>[] = [];
    expect(() => {
      submitted = [p.submit(odd), p.submit(delivery(1)), p.submit(delivery(2))];
    }).not.toThrow();
    await Promise.all(submitted);
    const [one, two, three] = sink.stored;
    expect(one!.result).toMatchObject({ ok: false, error: { reason: 'processing_failed', message: expect.stringContaining('TypeError') } });
    expect(Buffer.from(one!.raw).equals(Buffer.from(odd.body))).toBe(true);
    // the listener threw on message 2: reported, the message stored decoded, the next one too
    expect(failures).toEqual([['applied', 2]]);
    expect([two!.result.ok, three!.result.ok]).toEqual([true, true]);
    expect(p.counters).toMatchObject({ received: 3, undecodable: 1 });
    expect(p.slowest).toMatchObject({ ms: expect.any(Number), id: expect.any(Number) });
  }, 30_000);
});
