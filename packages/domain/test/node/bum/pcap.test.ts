/** The pcap stream reader and writer on a real capture of the lab (fixtures/bum), and tcpdump's statistics line. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PcapFormatError, PcapStreamReader, parseTcpdumpStats, readPcap, writePcap } from '../../../src';
import { BUM } from './frames';

describe('pcap stream reader', () => {
  const bytes = readFileSync(path.join(BUM, 'lab2', 'compute1-ul0.pcap'));
  const whole = readPcap(bytes);

  it("reads tcpdump's file: header, every record, nothing left over", () => {
    expect(whole.header).toMatchObject({ littleEndian: true, nanos: false, versionMajor: 2, versionMinor: 4, snaplen: 160, linktype: 1 });
    expect(whole.records).toHaveLength(35);
    expect(whole.trailingBytes).toBe(0);
    for (const r of whole.records) expect(r.capLen).toBeLessThanOrEqual(160);
  });

  it('gives the same records whatever the chunking (byte by byte, odd sizes)', () => {
    for (const size of [1, 7, 16, 23, 24, 25, 161, 4096]) {
      const reader = new PcapStreamReader();
      const got: { tsMs: number; origLen: number; hex: string }[] = [];
      for (let i = 0; i < bytes.length; i += size)
        reader.push(bytes.subarray(i, i + size), (r) => got.push({ tsMs: r.tsMs, origLen: r.origLen, hex: Buffer.from(r.data).toString('hex') }));
      expect(got).toEqual(whole.records.map((r) => ({ tsMs: r.tsMs, origLen: r.origLen, hex: Buffer.from(r.data).toString('hex') })));
      expect(reader.pendingBytes).toBe(0);
    }
  });

  it('reads big-endian and nanosecond files', () => {
    const recs = [{ tsMs: 1_700_000_000_123.456, data: Uint8Array.from([1, 2, 3, 4]), origLen: 60 }];
    for (const bigEndian of [false, true]) {
      for (const nanos of [false, true]) {
        const b = Buffer.alloc(24 + 16 + 4);
        const w32 = (v: number, o: number) => (bigEndian ? b.writeUInt32BE(v, o) : b.writeUInt32LE(v, o));
        const w16 = (v: number, o: number) => (bigEndian ? b.writeUInt16BE(v, o) : b.writeUInt16LE(v, o));
        w32(nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
        w16(2, 4);
        w16(4, 6);
        w32(65535, 16);
        w32(113, 20);
        w32(1_700_000_000, 24);
        w32(nanos ? 123_456_000 : 123_456, 28);
        w32(4, 32);
        w32(60, 36);
        Buffer.from(recs[0]!.data).copy(b, 40);
        const p = readPcap(b);
        expect(p.header).toMatchObject({ littleEndian: !bigEndian, nanos, snaplen: 65535, linktype: 113 });
        expect(p.records).toHaveLength(1);
        expect(p.records[0]!.tsMs).toBeCloseTo(1_700_000_000_123.456, 3);
        expect(p.records[0]!.origLen).toBe(60);
        expect([...p.records[0]!.data]).toEqual([1, 2, 3, 4]);
      }
    }
  });

  it('refuses pcapng, other files and impossible record lengths', () => {
    expect(() => readPcap(Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff', 'hex'))).toThrow(/pcapng/);
    expect(() => readPcap(Buffer.from('this is not a capture file at all', 'utf8'))).toThrow(PcapFormatError);
    const bad = Buffer.from(writePcap([{ tsMs: 0, data: new Uint8Array(10) }]));
    bad.writeUInt32LE(1 << 30, 24 + 8);
    expect(() => readPcap(bad)).toThrow(/exceeds the snap length/);
    expect(() => readPcap(new Uint8Array(10))).toThrow(/shorter than a pcap global header/);
  });

  it('writePcap round-trips', () => {
    const p = readPcap(writePcap(whole.records.map((r) => ({ tsMs: r.tsMs, data: r.data, origLen: r.origLen }))));
    expect(p.records.map((r) => [r.tsMs, r.origLen, r.capLen])).toEqual(whole.records.map((r) => [r.tsMs, r.origLen, r.capLen]));
  });
});

// ------------------------------------------------------------------ hand-built frames

describe('tcpdump statistics', () => {
  it("reads tcpdump's statistics (SIGUSR1 one-liner and exit form)", () => {
    expect(parseTcpdumpStats('tcpdump: 12 packets captured, 40 packets received by filter, 3 packets dropped by kernel\n')).toEqual({
      captured: 12,
      received: 40,
      dropped: 3,
    });
    expect(parseTcpdumpStats('2 packets captured\n4 packets received by filter\n0 packets dropped by kernel\n')).toEqual({
      captured: 2,
      received: 4,
      dropped: 0,
    });
    expect(parseTcpdumpStats('tcpdump: listening on ul0, link-type EN10MB (Ethernet), snapshot length 160 bytes\n')).toBeNull();
  });
});
