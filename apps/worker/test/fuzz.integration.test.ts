/**
 * Poison input, fuzzed on the real broker (docs/wire-format.md#poison-input): 20,000 messages
 * from the testkit's seeded `Fuzzer` around the real captures (the captures unchanged, mutations of
 * them, deep nesting, huge arrays, oversize bodies, invalid UTF-8, random bytes, generated valid
 * casts) through a worker tapping a fresh vhost. Nothing crashes, the tap never reconnects, every
 * message is stored in order (the undecodable ones with their raw bytes), the real messages decode
 * exactly as they do alone, and the worker's memory stays bounded. `npm run fuzz` runs any size.
 */
import { describe, expect, it } from 'vitest';
import { runFuzz } from './fuzz-run';

const COUNT = 20_000;

describe('fuzz: 20,000 hostile messages around the real captures', () => {
  it('0 crashes, 0 reconnects, every message stored, the real ones decoded as alone, RSS bounded', async () => {
    let stored = -1;
    let undecodableWithoutRaw = -1;
    const r = await runFuzz({
      count: COUNT,
      seed: 20261205,
      inspect: async (db, firstId) => {
        stored = await db.message.count({ where: { id: { gte: BigInt(firstId) } } });
        undecodableWithoutRaw = await db.message.count({
          where: { id: { gte: BigInt(firstId) }, ok: false, size: { gt: 0 }, raw: { equals: new Uint8Array(0) } },
        });
      },
    });
    console.log(`fuzz ${COUNT}: ${JSON.stringify(r)}`);
    expect(r).toMatchObject({ messages: COUNT, committed: COUNT, crashes: 0, reconnects: 0, gaps: 0, outOfOrder: 0, capturesMismatched: 0, rawMismatched: 0 });
    expect(stored).toBe(COUNT);
    expect(undecodableWithoutRaw).toBe(0);
    expect(r.capturesChecked).toBe(COUNT / 5);
    // every cap and failure mode was hit
    for (const reason of ['too_large', 'too_deep', 'too_many_entries', 'invalid_utf8', 'invalid_json', 'invalid_args'])
      expect(r.reasons[reason] ?? 0).toBeGreaterThan(0);
    expect(r.reasons.processing_failed ?? 0).toBe(0);
    expect(r.peakRssMb).toBeLessThan(1536);
  }, 300_000);
});
