/**
 * BUM meter (DESIGN §1, §4 "flood lists"): what a node agent counts of the broadcast, multicast
 * and unknown-unicast frames (and, separately, ARP) crossing the underlay inside VXLAN, per VNI
 * and remote VTEP. Pure: pcap bytes in, counters and a versioned report out. The node agent runs
 * `tcpdump -i <underlay> -p -nn -U -s 160 -w - 'udp and dst port <port>'` (every VXLAN packet, sent
 * or received, has the VXLAN port as its UDP destination) and feeds its stdout to
 * {@link PcapStreamReader} and {@link BumMeter}.
 *
 * Decoding (per packet, {@link decodeVxlanPacket}):
 * - link layer: Ethernet (with any number of 802.1Q / 802.1ad tags on the underlay), Linux
 *   cooked capture v1/v2 (`-i any`), raw IPv4 / IPv6;
 * - outer IPv4 (options skipped; a non-first fragment is undecodable) or IPv6 when UDP follows the
 *   fixed header directly (extension headers: undecodable, `ipv6-ext`);
 * - UDP destination port in the meter's port set (default 8472, the Linux default, and 4789, IANA/OVS);
 * - VXLAN header (RFC 7348): the I flag (0x08) must be set, else `vxlan-flags`; the VNI is 24 bits;
 * - inner Ethernet: destination / source MAC, EtherType after any 802.1Q / 802.1ad / QinQ tags;
 *   ARP (0x0806) opcode 1 = request, 2 = reply.
 *
 * Classification (per decoded packet, {@link BumMeter}):
 * - inner destination `ff:ff:ff:ff:ff:ff` -> `broadcast`; group bit set -> `multicast`; otherwise
 *   unicast, which is `unknownUnicast` when it was flooded: the outer destination is a multicast
 *   group, or (sent, `tx`) the host's FDB for that VNI maps the MAC to no VTEP, or (received,
 *   `rx`) the host's FDB maps it to a VTEP other than this host's (the frame is for a MAC that
 *   lives elsewhere: the sender did not know where it was); else `unicast` (known, for context).
 *   So `broadcast + multicast + unknownUnicast + unicast = packets`.
 *   A snapshot lags the kernel, so on a VNI whose device learns (flood-and-learn, Lab1) the meter
 *   also learns like the kernel does: a MAC seen as the inner source of a frame received from a
 *   remote VTEP counts as known for `tx` during the kernel's ageing time (300 s).
 * - ARP frames are counted in `arp` (any opcode) and `arpRequest` / `arpReply` IN ADDITION to
 *   their destination class: an ARP request is also a `broadcast`, a reply usually a `unicast`.
 *   `arp` is how an operator sees ARP crossing the tunnel (Lab1, Lab2) or not (Lab3).
 * - direction: `tx` when the outer source is one of the host's addresses (remote VTEP = outer
 *   destination, possibly a multicast group), `rx` when the outer destination is one of them or a
 *   multicast group (remote VTEP = outer source). Anything else is undecodable (`foreign`).
 * - `packets` and `bytes` (outer frame length on the wire, tcpdump's `orig_len`) count every class.
 *
 * Sampling ({@link BumMeter}): when the previous window (1 s of capture time) held more packets
 * than the budget (default 20,000 pps), only every k-th packet is decoded (k = ceil(rate / budget))
 * and each decoded packet counts k times; within a window, each time the budget is used up again
 * k doubles (a burst never waits for the next window), and a 50 ms pause ends the sampling at once
 * (a lone ARP after a burst is counted exactly); `sampled` reports decoded / captured. Memory is
 * bounded: at most `maxFlows` (vni, remote VTEP, direction, outer multicast) flows, the rest go to
 * `other`.
 */
import { z } from 'zod';
import { isMulticastIp } from '../kernel';
import type { FullNodeSnapshot } from './snapshot';

// ------------------------------------------------------------------------------------ wire contract

// ------------------------------------------------------------------------------------ report schema

/** The schema tag of every BUM report of this version. */
export const BUM_REPORT_SCHEMA = 'l2scope.bum/1';

/** Bounds of a report. */
export const BUM_LIMITS = {
  /** Flows kept per report; the rest are summed into `other`. */
  flows: 4096,
  /** Distinct undecodable reasons kept. */
  reasons: 32,
} as const;

const count = z.number().nonnegative().finite();
const ipText = z.string().min(1).max(64);

/** The counters of one flow (or of `other`). Estimates (scaled) when `sampled` < 1. */
export const bumCountersSchema = z.object({
  /** Inner destination ff:ff:ff:ff:ff:ff (ARP requests included). */
  broadcast: count,
  /** Inner destination with the group bit set, other than broadcast (IPv4/IPv6 multicast, LLDP, STP...). */
  multicast: count,
  /** Inner unicast that was flooded (see the module comment). */
  unknownUnicast: count,
  /** ARP frames (EtherType 0x0806), any opcode; also counted in their destination class. */
  arp: count,
  arpRequest: count,
  arpReply: count,
  /** Inner unicast to a MAC the FDB knows: not BUM, for context. */
  unicast: count,
  /** All packets of the flow. */
  packets: count,
  /** Outer frame bytes on the wire (pcap `orig_len`). */
  bytes: count,
});

export const bumFlowSchema = bumCountersSchema.extend({
  vni: z.number().int().min(0).max(0xffffff),
  /** Remote VTEP address, or the multicast group a `tx` flow was sent to. */
  remoteVtep: ipText,
  direction: z.enum(['tx', 'rx']),
  /** The outer destination was a multicast group (flood-and-learn multicast mode, Lab1). */
  outerMulticast: z.boolean(),
});

export const bumReportSchema = z.object({
  schema: z.literal(BUM_REPORT_SCHEMA),
  /** Neutron host name of the node (same as its snapshots'). */
  host: z.string().min(1).max(255),
  /** Node agent process id (same as its snapshots' `instance`). */
  instance: z.string().min(1).max(64),
  /** Local VTEP address (`local_ip`), null when unknown. */
  vtep: ipText.nullable(),
  /** Interface captured on. */
  iface: z.string().min(1).max(64),
  /** VXLAN UDP destination port captured. */
  udpPort: z.number().int().min(1).max(65535),
  /** Interval covered (ISO-8601). Rates are counts / `seconds`, computed by the consumer. */
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  seconds: z.number().nonnegative().finite(),
  /** Fraction of the captured packets that were decoded (1 = all); counts are scaled estimates below 1. */
  sampled: z.number().min(0).max(1),
  /** Packets the kernel dropped before tcpdump got them during the interval ("dropped by kernel"); null when unknown. */
  captureDropped: z.number().int().nonnegative().nullable(),
  /** Packets captured in the interval (all, decoded or not). */
  captured: z.number().int().nonnegative(),
  /** Captured packets that were not VXLAN the meter could read (scaled), by reason. */
  undecodable: count,
  undecodableReasons: z.record(z.string().max(32), count),
  flows: z.array(bumFlowSchema).max(BUM_LIMITS.flows),
  /** Flows beyond {@link BUM_LIMITS.flows}, summed; null when none. */
  other: bumCountersSchema.nullable(),
  /** Why the meter does not run (e.g. `tcpdump missing`); null when it does. Counts are then zero. */
  unavailable: z.string().max(512).nullable(),
});

export type BumCounters = z.infer<typeof bumCountersSchema>;
export type BumFlow = z.infer<typeof bumFlowSchema>;
export type BumReport = z.infer<typeof bumReportSchema>;

/**
 * Validate a BUM report received from a node agent.
 * @throws ZodError naming the first bad field
 */
export function parseBumReport(json: unknown): BumReport {
  return bumReportSchema.parse(json);
}

/** All-zero counters. */
export function emptyBumCounters(): BumCounters {
  return { broadcast: 0, multicast: 0, unknownUnicast: 0, arp: 0, arpRequest: 0, arpReply: 0, unicast: 0, packets: 0, bytes: 0 };
}

/** Sum of the BUM classes of counters: broadcast + multicast + unknown unicast. */
export function bumTotal(c: BumCounters): number {
  return c.broadcast + c.multicast + c.unknownUnicast;
}

// ------------------------------------------------------------------------------------ pcap

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
export function writePcap(records: { tsMs: number; data: Uint8Array; origLen?: number }[], linktype: number = LINKTYPE.ETHERNET, snaplen = 262_144): Uint8Array {
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

// ------------------------------------------------------------------------------------ decoding

/** Default VXLAN UDP ports: the Linux kernel default (Linux bridge agent) and IANA's (OVS). */
export const VXLAN_PORTS = [8472, 4789] as const;

/** Why a captured packet was not counted as VXLAN. */
export type UndecodableReason =
  | 'linktype'
  | 'truncated'
  | 'not-ip'
  | 'fragment'
  | 'ipv6-ext'
  | 'not-udp'
  | 'port'
  | 'vxlan-flags'
  | 'foreign';

/** What {@link decodeVxlanPacket} reads of one VXLAN packet. */
export interface VxlanPacket {
  outerSrc: string;
  outerDst: string;
  /** The outer destination is a multicast group. */
  outerMulticast: boolean;
  udpDstPort: number;
  vni: number;
  /** Inner destination MAC as a 48-bit number (see {@link macKey}). */
  innerDst: number;
  innerSrc: number;
  /** Inner EtherType after any VLAN tags; -1 when the frame is too short to tell. */
  innerEthertype: number;
  /** Inner 802.1Q / 802.1ad tags skipped. */
  innerTags: number;
  /** 0 not ARP, 1 request, 2 reply, 3 other opcode or unreadable. */
  arp: 0 | 1 | 2 | 3;
}

export type VxlanDecodeResult = ({ ok: true } & VxlanPacket) | { ok: false; reason: UndecodableReason };

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_ARP = 0x0806;
const isVlanTpid = (t: number) => t === 0x8100 || t === 0x88a8 || t === 0x9100;

const ipv4Cache = new Map<number, string>();
function ipv4Text(b: Uint8Array, o: number): string {
  const n = ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
  let s = ipv4Cache.get(n);
  if (s === undefined) {
    s = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
    if (ipv4Cache.size > 65_536) ipv4Cache.clear();
    ipv4Cache.set(n, s);
  }
  return s;
}

/** IPv6 address text in RFC 5952 form (lower case, longest run of zero groups as `::`). */
export function ipv6Text(b: Uint8Array, o = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

/** A MAC address as a 48-bit number (exact in a double), from 6 bytes at `o`. */
export function macKeyAt(b: Uint8Array, o: number): number {
  return ((b[o]! << 8) | b[o + 1]!) * 0x1_0000_0000 + (((b[o + 2]! << 24) >>> 0) + (b[o + 3]! << 16) + (b[o + 4]! << 8) + b[o + 5]!);
}

/** `aa:bb:cc:dd:ee:ff` (any case, `-` accepted) as a 48-bit number; null when not a MAC. */
export function macKey(mac: string): number | null {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(mac.trim());
  if (!m) return null;
  const bytes = Uint8Array.from(m.slice(1, 7).map((x) => Number.parseInt(x, 16)));
  return macKeyAt(bytes, 0);
}

/** A 48-bit MAC number as `aa:bb:cc:dd:ee:ff`. */
export function macText(key: number): string {
  return key.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}

const BROADCAST_KEY = 0xffff_ffff_ffff;
/** The group (I/G) bit of a MAC key: the low bit of its first byte. */
const isGroupMac = (key: number) => Math.floor(key / 0x100_0000_0000) % 2 === 1;

/**
 * Decode one captured packet as VXLAN (see the module comment).
 * @param ports UDP destination ports that carry VXLAN
 */
export function decodeVxlanPacket(data: Uint8Array, linktype: number, ports: ReadonlySet<number> = DEFAULT_PORT_SET): VxlanDecodeResult {
  const n = data.length;
  let o: number;
  let ethertype: number;
  switch (linktype) {
    case LINKTYPE.ETHERNET:
      if (n < 14) return { ok: false, reason: 'truncated' };
      o = 12;
      ethertype = (data[o]! << 8) | data[o + 1]!;
      o += 2;
      while (isVlanTpid(ethertype)) {
        if (n < o + 4) return { ok: false, reason: 'truncated' };
        ethertype = (data[o + 2]! << 8) | data[o + 3]!;
        o += 4;
      }
      break;
    case LINKTYPE.LINUX_SLL:
      if (n < 16) return { ok: false, reason: 'truncated' };
      ethertype = (data[14]! << 8) | data[15]!;
      o = 16;
      break;
    case LINKTYPE.LINUX_SLL2:
      if (n < 20) return { ok: false, reason: 'truncated' };
      ethertype = (data[0]! << 8) | data[1]!;
      o = 20;
      break;
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      if (n < 1) return { ok: false, reason: 'truncated' };
      o = 0;
      ethertype = data[0]! >> 4 === 6 ? ETH_IPV6 : data[0]! >> 4 === 4 ? ETH_IPV4 : -1;
      break;
    default:
      return { ok: false, reason: 'linktype' };
  }

  let outerSrc: string;
  let outerDst: string;
  let outerMulticast: boolean;
  let udp: number;
  if (ethertype === ETH_IPV4) {
    if (n < o + 20) return { ok: false, reason: 'truncated' };
    if (data[o]! >> 4 !== 4) return { ok: false, reason: 'not-ip' };
    const ihl = (data[o]! & 0x0f) * 4;
    if (ihl < 20) return { ok: false, reason: 'not-ip' };
    const frag = ((data[o + 6]! & 0x1f) << 8) | data[o + 7]!;
    if (frag !== 0) return { ok: false, reason: 'fragment' };
    if (data[o + 9] !== 17) return { ok: false, reason: 'not-udp' };
    outerSrc = ipv4Text(data, o + 12);
    outerDst = ipv4Text(data, o + 16);
    outerMulticast = data[o + 16]! >= 224 && data[o + 16]! <= 239;
    udp = o + ihl;
  } else if (ethertype === ETH_IPV6) {
    if (n < o + 40) return { ok: false, reason: 'truncated' };
    if (data[o]! >> 4 !== 6) return { ok: false, reason: 'not-ip' };
    const next = data[o + 6];
    if (next !== 17) return { ok: false, reason: next === 0 || next === 43 || next === 44 || next === 60 ? 'ipv6-ext' : 'not-udp' };
    outerSrc = ipv6Text(data, o + 8);
    outerDst = ipv6Text(data, o + 24);
    outerMulticast = data[o + 24] === 0xff;
    udp = o + 40;
  } else {
    return { ok: false, reason: 'not-ip' };
  }
  if (n < udp + 8) return { ok: false, reason: 'truncated' };
  const udpDstPort = (data[udp + 2]! << 8) | data[udp + 3]!;
  if (!ports.has(udpDstPort)) return { ok: false, reason: 'port' };
  const vx = udp + 8;
  if (n < vx + 8) return { ok: false, reason: 'truncated' };
  if ((data[vx]! & 0x08) === 0) return { ok: false, reason: 'vxlan-flags' };
  const vni = (data[vx + 4]! << 16) | (data[vx + 5]! << 8) | data[vx + 6]!;
  const inner = vx + 8;
  if (n < inner + 12) return { ok: false, reason: 'truncated' };
  const innerDst = macKeyAt(data, inner);
  const innerSrc = macKeyAt(data, inner + 6);
  let p = inner + 12;
  let innerEthertype = -1;
  let innerTags = 0;
  while (n >= p + 2) {
    const t = (data[p]! << 8) | data[p + 1]!;
    if (isVlanTpid(t) && innerTags < 8) {
      innerTags++;
      p += 4;
      continue;
    }
    innerEthertype = t;
    p += 2;
    break;
  }
  let arp: VxlanPacket['arp'] = 0;
  if (innerEthertype === ETH_ARP) {
    if (n >= p + 8) {
      const op = (data[p + 6]! << 8) | data[p + 7]!;
      arp = op === 1 ? 1 : op === 2 ? 2 : 3;
    } else arp = 3;
  }
  return { ok: true, outerSrc, outerDst, outerMulticast, udpDstPort, vni, innerDst, innerSrc, innerEthertype, innerTags, arp };
}

const DEFAULT_PORT_SET: ReadonlySet<number> = new Set(VXLAN_PORTS);

// ------------------------------------------------------------------------------------ FDB lookup

/** Which VTEP the host's FDB sends a MAC of a VNI to, at capture time. */
export class BumFdb {
  private readonly byVni = new Map<number, Map<number, string>>();
  private rows = 0;
  /** VNIs whose VXLAN device learns remote MACs from received frames (flood-and-learn, Lab1; OVS table 10). */
  readonly learning = new Set<number>();

  /** Add a `(vni, mac) -> vtep` row (a later row for the same pair wins). Zero / group MACs are ignored. */
  add(vni: number, mac: string, vtep: string): void {
    const k = macKey(mac);
    if (k === null || k === 0 || isGroupMac(k)) return;
    let m = this.byVni.get(vni);
    if (!m) {
      m = new Map();
      this.byVni.set(vni, m);
    }
    if (!m.has(k)) this.rows++;
    m.set(k, vtep);
  }

  /** The VTEP the MAC (a {@link macKey}) of `vni` is sent to, or undefined. */
  lookup(vni: number, mac: number): string | undefined {
    return this.byVni.get(vni)?.get(mac);
  }

  get size(): number {
    return this.rows;
  }

  /**
   * The lookup a node snapshot gives (DESIGN §3). Linux bridge: `bridge fdb` rows on `vxlan-<VNI>`
   * devices (VNI from the device) with a unicast `dst` (l2pop's permanent rows and learned ones:
   * the kernel knows where the MAC is either way). Open vSwitch: br-tun table 20 unicast flows,
   * VNI from the flow (or the local VLAN's), VTEP from the tunnel port's `remote_ip`.
   * `learning`: Linux bridge VNIs whose device has `learning` on; every OVS VNI (table 10).
   */
  static fromSnapshot(s: Pick<FullNodeSnapshot, 'linuxbridge' | 'openvswitch'>): BumFdb {
    const fdb = new BumFdb();
    if (s.linuxbridge) {
      const vniOf = new Map<string, number>();
      for (const d of s.linuxbridge.vxlan) {
        if (d.vni === null) continue;
        vniOf.set(d.name, d.vni);
        if (d.learning === true) fdb.learning.add(d.vni);
      }
      for (const r of s.linuxbridge.fdb) {
        const vni = vniOf.get(r.dev) ?? vniFromName(r.dev);
        if (vni === null || r.dst === null || isMulticastIp(r.dst)) continue;
        fdb.add(vni, r.mac, r.dst);
      }
    }
    if (s.openvswitch?.brTun) {
      const remoteOf = new Map<number, string>();
      for (const p of s.openvswitch.tunnelPorts) if (p.ofport !== null) remoteOf.set(p.ofport, p.remoteIp);
      const vniOfLvid = new Map<number, number>();
      for (const lv of s.openvswitch.brTun.localVlans) {
        vniOfLvid.set(lv.lvid, lv.vni);
        // br-tun table 10 learns every remote MAC into table 20 (hard_timeout 300)
        fdb.learning.add(lv.vni);
      }
      for (const u of s.openvswitch.brTun.unicast) {
        const vni = u.vni ?? vniOfLvid.get(u.lvid) ?? null;
        const vtep = u.ofport !== null ? remoteOf.get(u.ofport) : undefined;
        if (vni === null || vtep === undefined) continue;
        fdb.add(vni, u.mac, vtep);
      }
    }
    return fdb;
  }
}

function vniFromName(dev: string): number | null {
  const m = /^vxlan-(\d+)$/.exec(dev);
  return m ? Number(m[1]) : null;
}

// ------------------------------------------------------------------------------------ meter

/** Options of a {@link BumMeter}. */
export interface BumMeterOptions {
  host: string;
  instance: string;
  /** Local VTEP address for the report; null when unknown. */
  vtep: string | null;
  /** Every address of the host on the capture interface (decides tx / rx); defaults to [vtep]. */
  localAddresses?: string[];
  iface: string;
  udpPort: number;
  /** UDP ports decoded as VXLAN (default: udpPort, 8472 and 4789). */
  ports?: number[];
  /** pcap link type of the capture (default Ethernet). */
  linktype?: number;
  /** Packets per second decoded in full; above it, every k-th (default 20,000). */
  budgetPps?: number;
  /** Sampling window in ms of capture time (default 1000). */
  windowMs?: number;
  /** Flow cap (default {@link BUM_LIMITS.flows}). */
  maxFlows?: number;
  fdb?: BumFdb;
  /** Epoch ms the first interval starts. */
  startMs: number;
}

/** The kernel's default FDB ageing time (vxlan `ageing 300`, OVS learn `hard_timeout=300`). */
const LEARN_AGEING_MS = 300_000;
const MAX_LEARNED = 65_536;
/** A pause this long (capture time) ends a burst: sampling stops at once. */
const QUIET_GAP_MS = 50;

interface FlowAcc extends BumCounters {
  vni: number;
  remoteVtep: string;
  direction: 'tx' | 'rx';
  outerMulticast: boolean;
}

/**
 * Counts VXLAN BUM traffic per (VNI, remote VTEP, direction, outer multicast) from captured packets
 * and turns each interval into a {@link BumReport}. Pure: the caller passes packets and times.
 */
export class BumMeter {
  private readonly o: Required<Omit<BumMeterOptions, 'fdb' | 'localAddresses' | 'ports'>>;
  private local: Set<string>;
  private ports: Set<number>;
  private fdb: BumFdb;
  private flows = new Map<string, FlowAcc>();
  private other: BumCounters | null = null;
  private from: number;
  private captured = 0;
  private decoded = 0;
  private undecodable = 0;
  private reasons: Record<string, number> = {};
  /** MACs learned from received frames on learning VNIs: `vni|mac` -> capture time (ms). */
  private learned = new Map<string, number>();
  // sampling
  private windowStart = -Infinity;
  private windowCount = 0;
  private windowDecoded = 0;
  private k = 1;
  private skip = 0;
  private lastTs = 0;
  private lastSeen = -Infinity;

  constructor(opts: BumMeterOptions) {
    this.o = {
      host: opts.host,
      instance: opts.instance,
      vtep: opts.vtep,
      iface: opts.iface,
      udpPort: opts.udpPort,
      linktype: opts.linktype ?? LINKTYPE.ETHERNET,
      budgetPps: opts.budgetPps ?? 20_000,
      windowMs: opts.windowMs ?? 1000,
      maxFlows: Math.min(opts.maxFlows ?? BUM_LIMITS.flows, BUM_LIMITS.flows),
      startMs: opts.startMs,
    };
    this.local = new Set(opts.localAddresses ?? (opts.vtep ? [opts.vtep] : []));
    if (opts.vtep) this.local.add(opts.vtep);
    this.ports = new Set(opts.ports ?? [opts.udpPort, ...VXLAN_PORTS]);
    this.fdb = opts.fdb ?? new BumFdb();
    this.from = opts.startMs;
  }

  /** Replace the FDB lookup (after each node snapshot). */
  setFdb(fdb: BumFdb): void {
    this.fdb = fdb;
  }

  /** Replace the host's addresses / VTEP (they may change). */
  setLocal(vtep: string | null, addresses: string[]): void {
    this.o.vtep = vtep;
    this.local = new Set(addresses);
    if (vtep) this.local.add(vtep);
  }

  /** Set the link type (from the pcap header). */
  setLinktype(linktype: number): void {
    this.o.linktype = linktype;
  }

  /** The current sampling step (1 = every packet decoded). */
  get step(): number {
    return this.k;
  }

  /** Count one captured packet (sampling decides whether it is decoded). */
  offer(rec: Pick<PcapRecord, 'tsMs' | 'data' | 'origLen'>): void {
    this.captured++;
    const t = rec.tsMs;
    const gap = t - this.lastSeen;
    this.lastSeen = t;
    if (t >= this.windowStart + this.o.windowMs || t < this.windowStart || gap > QUIET_GAP_MS) {
      // a new window: the previous one's rate sets the step for this one, unless the traffic paused
      // (no packet for 50 ms, or a whole window): the burst is over, decode everything again
      const budget = (this.o.budgetPps * this.o.windowMs) / 1000;
      const quiet = t < this.windowStart || this.windowStart === -Infinity || gap > QUIET_GAP_MS || t - this.windowStart >= 2 * this.o.windowMs;
      this.k = !quiet && this.windowCount > budget ? Math.ceil(this.windowCount / budget) : 1;
      if (this.skip >= this.k) this.skip = 0;
      this.windowStart = t;
      this.windowCount = 0;
      this.windowDecoded = 0;
    }
    this.windowCount++;
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    // a burst within the window: each time the budget is used up again, decode half as often
    // (so a window never decodes more than budget x log2(rate / budget) packets)
    if (this.windowDecoded >= (this.o.budgetPps * this.o.windowMs) / 1000 && this.windowDecoded % Math.max(1, Math.floor((this.o.budgetPps * this.o.windowMs) / 1000)) === 0) this.k *= 2;
    this.windowDecoded++;
    this.skip = this.k - 1;
    this.decoded++;
    this.lastTs = t;
    this.count(rec.data, rec.origLen, this.k);
  }

  private count(data: Uint8Array, wireLen: number, weight: number): void {
    const d = decodeVxlanPacket(data, this.o.linktype, this.ports);
    if (!d.ok) return this.bad(d.reason, weight);
    let direction: 'tx' | 'rx';
    let remote: string;
    if (this.local.has(d.outerSrc)) {
      direction = 'tx';
      remote = d.outerDst;
    } else if (this.local.has(d.outerDst) || d.outerMulticast) {
      direction = 'rx';
      remote = d.outerSrc;
    } else return this.bad('foreign', weight);
    const key = `${d.vni}|${remote}|${direction}|${d.outerMulticast ? 1 : 0}`;
    if (direction === 'rx' && this.fdb.learning.has(d.vni) && !isGroupMac(d.innerSrc)) {
      if (this.learned.size >= MAX_LEARNED) this.learned.clear();
      this.learned.set(`${d.vni}|${d.innerSrc}`, this.lastTs);
    }
    let c: BumCounters | undefined = this.flows.get(key);
    if (!c) {
      if (this.flows.size >= this.o.maxFlows) c = this.other ??= emptyBumCounters();
      else {
        const f: FlowAcc = { vni: d.vni, remoteVtep: remote, direction, outerMulticast: d.outerMulticast, ...emptyBumCounters() };
        this.flows.set(key, f);
        c = f;
      }
    }
    c.packets += weight;
    c.bytes += wireLen * weight;
    if (d.innerDst === BROADCAST_KEY) c.broadcast += weight;
    else if (isGroupMac(d.innerDst)) c.multicast += weight;
    else {
      let unknown = d.outerMulticast;
      if (!unknown) {
        const vtep = this.fdb.lookup(d.vni, d.innerDst);
        if (direction === 'rx') unknown = vtep !== undefined && !this.local.has(vtep);
        else if (vtep === undefined) {
          const seen = this.fdb.learning.has(d.vni) ? this.learned.get(`${d.vni}|${d.innerDst}`) : undefined;
          unknown = seen === undefined || this.lastTs - seen > LEARN_AGEING_MS;
        } else unknown = false;
      }
      if (unknown) c.unknownUnicast += weight;
      else c.unicast += weight;
    }
    if (d.arp !== 0) {
      c.arp += weight;
      if (d.arp === 1) c.arpRequest += weight;
      else if (d.arp === 2) c.arpReply += weight;
    }
  }

  private bad(reason: UndecodableReason, weight: number): void {
    this.undecodable += weight;
    if (reason in this.reasons || Object.keys(this.reasons).length < BUM_LIMITS.reasons) this.reasons[reason] = (this.reasons[reason] ?? 0) + weight;
  }

  /** Flows counted so far in this interval (for tests and logs). */
  get flowCount(): number {
    return this.flows.size;
  }

  /**
   * Close the interval at `toMs` and return its report; counters restart from zero.
   * @param captureDropped packets the kernel dropped during the interval, when known
   */
  report(toMs: number, captureDropped: number | null = null): BumReport {
    const flows = [...this.flows.values()].sort(compareFlows);
    const r: BumReport = {
      schema: BUM_REPORT_SCHEMA,
      host: this.o.host,
      instance: this.o.instance,
      vtep: this.o.vtep,
      iface: this.o.iface,
      udpPort: this.o.udpPort,
      from: new Date(this.from).toISOString(),
      to: new Date(Math.max(toMs, this.from)).toISOString(),
      seconds: Math.max(0, toMs - this.from) / 1000,
      sampled: this.captured === 0 ? 1 : this.decoded / this.captured,
      captureDropped,
      captured: this.captured,
      undecodable: this.undecodable,
      undecodableReasons: this.reasons,
      flows: flows.map((f) => ({ ...f })),
      other: this.other,
      unavailable: null,
    };
    this.flows = new Map();
    this.other = null;
    this.captured = 0;
    this.decoded = 0;
    this.undecodable = 0;
    this.reasons = {};
    this.from = Math.max(toMs, this.from);
    return r;
  }
}

/** A report for a meter that cannot run (`reason`, e.g. `tcpdump missing`): no counts. */
export function unavailableBumReport(o: { host: string; instance: string; vtep: string | null; iface: string; udpPort: number; fromMs: number; toMs: number; reason: string }): BumReport {
  return {
    schema: BUM_REPORT_SCHEMA,
    host: o.host,
    instance: o.instance,
    vtep: o.vtep,
    iface: o.iface || '-',
    udpPort: o.udpPort,
    from: new Date(o.fromMs).toISOString(),
    to: new Date(Math.max(o.toMs, o.fromMs)).toISOString(),
    seconds: Math.max(0, o.toMs - o.fromMs) / 1000,
    sampled: 1,
    captureDropped: null,
    captured: 0,
    undecodable: 0,
    undecodableReasons: {},
    flows: [],
    other: null,
    unavailable: o.reason.slice(0, 512),
  };
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

/** Sum of reports' flows per (vni, remote, direction, outer multicast): for tests and summaries. */
export function mergeBumFlows(reports: Pick<BumReport, 'flows'>[]): BumFlow[] {
  const acc = new Map<string, BumFlow>();
  for (const r of reports) {
    for (const f of r.flows) {
      const key = `${f.vni}|${f.remoteVtep}|${f.direction}|${f.outerMulticast}`;
      const a = acc.get(key);
      if (!a) {
        acc.set(key, { ...f });
        continue;
      }
      for (const k of Object.keys(emptyBumCounters()) as (keyof BumCounters)[]) a[k] += f[k];
    }
  }
  return [...acc.values()].sort(compareFlows);
}

/** Flow order in reports: VNI, remote VTEP (numerically), tx before rx, unicast outer before multicast. */
function compareFlows(a: Omit<BumFlow, keyof BumCounters>, b: Omit<BumFlow, keyof BumCounters>): number {
  return a.vni - b.vni || compareIp(a.remoteVtep, b.remoteVtep) || (a.direction === b.direction ? 0 : a.direction === 'tx' ? -1 : 1) || Number(a.outerMulticast) - Number(b.outerMulticast);
}

function compareIp(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  if (pa.length === 4 && pb.length === 4) {
    for (let i = 0; i < 4; i++) {
      const d = Number(pa[i]) - Number(pb[i]);
      if (d) return d;
    }
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
