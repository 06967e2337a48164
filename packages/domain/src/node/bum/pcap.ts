/**
 * Classic pcap (pcap-savefile(5)) reading and writing, and tcpdump's statistics line: the node
 * agent runs `tcpdump -i <underlay> -p -nn -U -s 160 -w - 'udp and dst port <port>'` and feeds its
 * stdout to {@link PcapStreamReader}. Pure: bytes in, records out.
 */

/** pcap link types (tcpdump.org/linktypes.html) the decoder reads. */
export const LINKTYPE = { ETHERNET: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;

/** A pcap file's global header. */
export interface PcapHeader {
  littleEndian: boolean;
  /** Nanosecond timestamps (magic 0xa1b23c4d) instead of microseconds. */
  nanos: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linktype: number;
}

/** One captured packet. `data` may be a view into the reader's buffer: use it before the next push. */
export interface PcapRecord {
  /** Capture time, epoch milliseconds (fractional). */
  tsMs: number;
  /** Bytes captured (`incl_len`, at most the snap length). */
  capLen: number;
  /** Bytes on the wire (`orig_len`). */
  origLen: number;
  data: Uint8Array;
}

/** The stream is not a classic pcap stream (bad magic, impossible record length). */
export class PcapFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PcapFormatError';
  }
}

const MAX_RECORD = 262_144;

function parseGlobalHeader(b: Uint8Array): PcapHeader {
  const dv = new DataView(b.buffer, b.byteOffset, 24);
  const magicLE = dv.getUint32(0, true);
  let littleEndian: boolean;
  let nanos: boolean;
  if (magicLE === 0xa1b2c3d4) [littleEndian, nanos] = [true, false];
  else if (magicLE === 0xa1b23c4d) [littleEndian, nanos] = [true, true];
  else if (magicLE === 0xd4c3b2a1) [littleEndian, nanos] = [false, false];
  else if (magicLE === 0x4d3cb2a1) [littleEndian, nanos] = [false, true];
  else if (magicLE === 0x0a0d0d0a) throw new PcapFormatError('pcapng is not supported: capture with tcpdump -w (classic pcap)');
  else throw new PcapFormatError(`not a pcap stream (magic 0x${magicLE.toString(16).padStart(8, '0')})`);
  return {
    littleEndian,
    nanos,
    versionMajor: dv.getUint16(4, littleEndian),
    versionMinor: dv.getUint16(6, littleEndian),
    snaplen: dv.getUint32(16, littleEndian),
    // the upper bits of the link type field carry FCS information (pcap-savefile(5))
    linktype: dv.getUint32(20, littleEndian) & 0x0fffffff,
  };
}

/**
 * Incremental reader of a classic pcap stream (tcpdump `-w -`): push chunks as they come, records
 * are delivered as soon as they are complete. Both byte orders, micro- and nanosecond magic.
 * Memory: at most one partial record is kept between pushes.
 */
export class PcapStreamReader {
  header: PcapHeader | null = null;
  private rest: Uint8Array = new Uint8Array(0);
  /** Records delivered so far. */
  records = 0;

  /**
   * Feed the next bytes of the stream.
   * @param onRecord called for each complete record, in order (its `data` is valid during the call and after)
   * @throws PcapFormatError on a bad magic number or an impossible record length (the stream is then unusable)
   */
  push(chunk: Uint8Array, onRecord: (r: PcapRecord) => void): void {
    let buf: Uint8Array;
    if (this.rest.length === 0) buf = chunk;
    else {
      buf = new Uint8Array(this.rest.length + chunk.length);
      buf.set(this.rest, 0);
      buf.set(chunk, this.rest.length);
    }
    let off = 0;
    if (!this.header) {
      if (buf.length < 24) {
        this.rest = buf.slice();
        return;
      }
      this.header = parseGlobalHeader(buf.subarray(0, 24));
      off = 24;
    }
    const h = this.header;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const le = h.littleEndian;
    const fracDiv = h.nanos ? 1e6 : 1e3;
    const maxLen = Math.max(h.snaplen, MAX_RECORD);
    while (buf.length - off >= 16) {
      const capLen = dv.getUint32(off + 8, le);
      if (capLen > maxLen) throw new PcapFormatError(`record of ${capLen} bytes exceeds the snap length ${h.snaplen}`);
      if (buf.length - off - 16 < capLen) break;
      const tsMs = dv.getUint32(off, le) * 1000 + dv.getUint32(off + 4, le) / fracDiv;
      const origLen = dv.getUint32(off + 12, le);
      const data = buf.subarray(off + 16, off + 16 + capLen);
      off += 16 + capLen;
      this.records++;
      onRecord({ tsMs, capLen, origLen, data });
    }
    // copy the tail so the caller's chunk can be reused / collected
    this.rest = off >= buf.length ? new Uint8Array(0) : buf.slice(off);
  }

  /** Bytes held waiting for the rest of a record. */
  get pendingBytes(): number {
    return this.rest.length;
  }
}

/**
 * Read a whole pcap file.
 * @throws PcapFormatError when it is not a classic pcap file
 */
export function readPcap(bytes: Uint8Array): { header: PcapHeader; records: PcapRecord[]; trailingBytes: number } {
  const r = new PcapStreamReader();
  const records: PcapRecord[] = [];
  r.push(bytes, (rec) => records.push(rec));
  if (!r.header) throw new PcapFormatError('shorter than a pcap global header');
  return { header: r.header, records, trailingBytes: r.pendingBytes };
}

/**
 * Write a classic pcap file (little-endian, microseconds): for tests, fixtures and trimming captures.
 * @param records `data` is written as captured; `origLen` defaults to its length
 */
export function writePcap(
  records: { tsMs: number; data: Uint8Array; origLen?: number }[],
  linktype: number = LINKTYPE.ETHERNET,
  snaplen = 262_144,
): Uint8Array {
  const size = 24 + records.reduce((n, r) => n + 16 + r.data.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, linktype, true);
  let off = 24;
  for (const r of records) {
    const sec = Math.floor(r.tsMs / 1000);
    dv.setUint32(off, sec, true);
    dv.setUint32(off + 4, Math.round((r.tsMs - sec * 1000) * 1000), true);
    dv.setUint32(off + 8, r.data.length, true);
    dv.setUint32(off + 12, r.origLen ?? r.data.length, true);
    out.set(r.data, off + 16);
    off += 16 + r.data.length;
  }
  return out;
}

/**
 * tcpdump's statistics line (printed on exit and on SIGUSR1):
 * `N packets captured, M packets received by filter, K packets dropped by kernel`, on one line or
 * three. @returns the counters found in `text` (the last of each), or null when none
 */
export function parseTcpdumpStats(text: string): { captured: number | null; received: number | null; dropped: number | null } | null {
  const last = (re: RegExp): number | null => {
    let v: number | null = null;
    for (const m of text.matchAll(re)) v = Number(m[1]);
    return v;
  };
  const captured = last(/(\d+) packets? captured/g);
  const received = last(/(\d+) packets? received by filter/g);
  const dropped = last(/(\d+) packets? dropped by kernel/g);
  return captured === null && received === null && dropped === null ? null : { captured, received, dropped };
}
