/**
 * The BUM meter's pure parts: the pcap stream reader and VXLAN decoder on real captures recorded on
 * the project's lab (fixtures/bum: tcpdump on a host's underlay `ul0`, exactly the agent's capture,
 * during `lab ping` after the VMs' ARP caches were flushed) and on hand-built frames for the edges.
 * Expected numbers of the real captures come from tcpdump's own decoding of the same files
 * (`tcpdump -e -nn -T vxlan -r`), see fixtures/bum/README.md.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUM_LIMITS,
  BumFdb,
  type BumFlow,
  BumMeter,
  LINKTYPE,
  NODE_AGENT_WIRE,
  PcapFormatError,
  PcapStreamReader,
  type PcapRecord,
  VXLAN_PORTS,
  decodeVxlanPacket,
  emptyBumCounters,
  ipv6Text,
  macKey,
  macText,
  mergeBumFlows,
  parseBumReport,
  parseTcpdumpStats,
  readPcap,
  snapshotsFromBundle,
  unavailableBumReport,
  writePcap,
} from '../../src';
import { FIXTURES } from '../fixtures';

const BUM = path.join(FIXTURES, 'bum');
const VTEP: Record<string, string> = { controller: '10.0.20.11', compute1: '10.0.20.12' };

function bundleOf(lab: string, host: string): Record<string, string> {
  const dir = path.join(BUM, lab);
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (f.startsWith(`${host}-`) && !f.endsWith('.pcap')) out[f] = readFileSync(path.join(dir, f), 'utf8');
  return out;
}

function meterOver(lab: string, host: string, fdb?: BumFdb): { meter: BumMeter; records: PcapRecord[]; linktype: number } {
  const { header, records } = readPcap(readFileSync(path.join(BUM, lab, `${host}-ul0.pcap`)));
  const snap = snapshotsFromBundle(bundleOf(lab, host)).snapshots[0]!;
  const meter = new BumMeter({ host, instance: 'fixture', vtep: VTEP[host]!, iface: 'ul0', udpPort: 8472, linktype: header.linktype, startMs: records[0]!.tsMs, fdb: fdb ?? BumFdb.fromSnapshot(snap) });
  for (const r of records) meter.offer(r);
  return { meter, records, linktype: header.linktype };
}

type Expect = [vni: number, remote: string, dir: 'tx' | 'rx', outerMulticast: boolean, packets: number, arp: number, arpRequest: number, arpReply: number, broadcast: number];
const flow = ([vni, remoteVtep, direction, outerMulticast, packets, arp, arpRequest, arpReply, broadcast]: Expect) => ({
  vni, remoteVtep, direction, outerMulticast, packets, arp, arpRequest, arpReply, broadcast, multicast: 0, unknownUnicast: 0, unicast: packets - broadcast,
});

// from `tcpdump -e -nn -T vxlan -r fixtures/bum/<lab>/<host>-ul0.pcap`
const EXPECTED: Record<string, Record<string, Expect[]>> = {
  lab1: {
    controller: [
      [649, '10.0.20.12', 'tx', false, 8, 2, 1, 1, 0],
      [649, '10.0.20.12', 'rx', false, 7, 1, 0, 1, 0],
      [649, '10.0.20.12', 'rx', true, 2, 2, 2, 0, 2],
      [649, '10.0.20.13', 'tx', false, 8, 2, 1, 1, 0],
      [649, '10.0.20.13', 'rx', false, 7, 1, 0, 1, 0],
      [649, '10.0.20.13', 'rx', true, 1, 1, 1, 0, 1],
    ],
    compute1: [
      [649, '10.0.20.11', 'tx', false, 7, 1, 0, 1, 0],
      [649, '10.0.20.11', 'rx', false, 8, 2, 1, 1, 0],
      [649, '10.0.20.13', 'tx', false, 7, 1, 0, 1, 0],
      [649, '10.0.20.13', 'rx', false, 8, 2, 1, 1, 0],
      [649, '10.0.20.13', 'rx', true, 1, 1, 1, 0, 1],
      [649, '224.0.0.1', 'tx', true, 2, 2, 2, 0, 2],
    ],
  },
  lab2: {
    controller: [
      [649, '10.0.20.12', 'tx', false, 8, 2, 1, 1, 0],
      [649, '10.0.20.12', 'rx', false, 9, 3, 2, 1, 2],
      [649, '10.0.20.13', 'tx', false, 8, 2, 1, 1, 0],
      [649, '10.0.20.13', 'rx', false, 8, 2, 1, 1, 1],
    ],
    compute1: [
      [649, '10.0.20.11', 'tx', false, 9, 3, 2, 1, 2],
      [649, '10.0.20.11', 'rx', false, 8, 2, 1, 1, 0],
      [649, '10.0.20.13', 'tx', false, 9, 3, 2, 1, 2],
      [649, '10.0.20.13', 'rx', false, 9, 3, 2, 1, 1],
    ],
  },
  lab3: {
    controller: [
      [649, '10.0.20.12', 'tx', false, 6, 0, 0, 0, 0],
      [649, '10.0.20.12', 'rx', false, 6, 0, 0, 0, 0],
      [649, '10.0.20.13', 'tx', false, 6, 0, 0, 0, 0],
      [649, '10.0.20.13', 'rx', false, 6, 0, 0, 0, 0],
    ],
    compute1: [
      [649, '10.0.20.11', 'tx', false, 6, 0, 0, 0, 0],
      [649, '10.0.20.11', 'rx', false, 6, 0, 0, 0, 0],
      [649, '10.0.20.13', 'tx', false, 6, 0, 0, 0, 0],
      [649, '10.0.20.13', 'rx', false, 6, 0, 0, 0, 0],
    ],
  },
};

describe('BUM meter on real lab captures (fixtures/bum)', () => {
  for (const lab of ['lab1', 'lab2', 'lab3']) {
    for (const host of ['controller', 'compute1']) {
      it(`${lab} ${host}: per VNI / remote VTEP / direction, as tcpdump decodes the same file`, () => {
        const { meter, records, linktype } = meterOver(lab, host);
        expect(linktype).toBe(LINKTYPE.ETHERNET);
        const r = parseBumReport(meter.report(records.at(-1)!.tsMs + 1));
        expect(r.captured).toBe(records.length);
        expect(r.undecodable).toBe(0);
        expect(r.sampled).toBe(1);
        expect(r.flows.map(({ bytes: _b, ...f }) => f)).toEqual(EXPECTED[lab]![host]!.map(flow));
        for (const f of r.flows) expect(f.bytes).toBeGreaterThanOrEqual(f.packets * 92);
      });
    }
  }

  it('Lab1: ARP requests go to the multicast group 224.0.0.1; Lab2: one unicast copy per remote VTEP; Lab3: no ARP at all', () => {
    const arpOf = (lab: string, host: string) => meterOver(lab, host).meter.report(Date.now()).flows.filter((f) => f.arp > 0);
    const lab1 = arpOf('lab1', 'compute1').filter((f) => f.direction === 'tx' && f.arpRequest > 0);
    expect(lab1).toMatchObject([{ remoteVtep: '224.0.0.1', outerMulticast: true, arpRequest: 2, broadcast: 2 }]);
    const lab2 = arpOf('lab2', 'compute1').filter((f) => f.direction === 'tx' && f.broadcast > 0);
    expect(lab2.map((f) => [f.remoteVtep, f.outerMulticast, f.broadcast])).toEqual([['10.0.20.11', false, 2], ['10.0.20.13', false, 2]]);
    expect(arpOf('lab3', 'compute1')).toEqual([]);
    expect(arpOf('lab3', 'controller')).toEqual([]);
  });

  it('Lab1 before any learning: the meter learns remote MACs from received frames like the kernel (no false unknown unicast)', () => {
    const learningOnly = new BumFdb();
    learningOnly.learning.add(649);
    const learned = meterOver('lab1', 'compute1', learningOnly).meter.report(Date.now());
    expect(learned.flows.reduce((n, f) => n + f.unknownUnicast, 0)).toBe(0);
    // without the FDB and without learning, every unicast sent counts as unknown: the lookup matters
    const blind = meterOver('lab1', 'compute1', new BumFdb()).meter.report(Date.now());
    const txUnicast = blind.flows.filter((f) => f.direction === 'tx' && !f.outerMulticast);
    expect(txUnicast.reduce((n, f) => n + f.unknownUnicast, 0)).toBe(14);
    expect(txUnicast.reduce((n, f) => n + f.unicast, 0)).toBe(0);
  });

  it('the FDB lookup of a real snapshot: l2pop rows per VNI (Linux bridge) and br-tun table 20 (OVS)', () => {
    const lb = BumFdb.fromSnapshot(snapshotsFromBundle(bundleOf('lab2', 'controller')).snapshots[0]!);
    expect(lb.size).toBe(2); // the two remote VMs' MACs; flood entries are not MACs
    // the Linux bridge agent leaves `learning` on in every mode (l2pop's permanent rows win over learned ones)
    expect(lb.learning.has(649)).toBe(true);
    const dir = path.join(FIXTURES, 'ovs-node', '2-lab2-after-ping');
    const files: Record<string, string> = {};
    for (const f of readdirSync(dir)) if (f.startsWith('ovs1-')) files[f] = readFileSync(path.join(dir, f), 'utf8');
    const ovsSnap = snapshotsFromBundle(files).snapshots[0]!;
    const ovs = BumFdb.fromSnapshot(ovsSnap);
    const rows = ovsSnap.openvswitch!.brTun!.unicast.filter((u) => u.ofport !== null);
    expect(rows.length).toBeGreaterThan(0);
    expect(ovs.size).toBe(new Set(rows.map((u) => u.mac)).size);
    const remote = new Map(ovsSnap.openvswitch!.tunnelPorts.map((p) => [p.ofport, p.remoteIp]));
    for (const u of rows) expect(ovs.lookup(u.vni ?? 649, macKey(u.mac)!)).toBe(remote.get(u.ofport));
  });
});

describe('pcap stream reader', () => {
  const bytes = readFileSync(path.join(BUM, 'lab2', 'compute1-ul0.pcap'));
  const whole = readPcap(bytes);

  it('reads tcpdump\'s file: header, every record, nothing left over', () => {
    expect(whole.header).toMatchObject({ littleEndian: true, nanos: false, versionMajor: 2, versionMinor: 4, snaplen: 160, linktype: 1 });
    expect(whole.records).toHaveLength(35);
    expect(whole.trailingBytes).toBe(0);
    for (const r of whole.records) expect(r.capLen).toBeLessThanOrEqual(160);
  });

  it('gives the same records whatever the chunking (byte by byte, odd sizes)', () => {
    for (const size of [1, 7, 16, 23, 24, 25, 161, 4096]) {
      const reader = new PcapStreamReader();
      const got: { tsMs: number; origLen: number; hex: string }[] = [];
      for (let i = 0; i < bytes.length; i += size) reader.push(bytes.subarray(i, i + size), (r) => got.push({ tsMs: r.tsMs, origLen: r.origLen, hex: Buffer.from(r.data).toString('hex') }));
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

const mac = (s: string) => Uint8Array.from(s.split(':').map((x) => Number.parseInt(x, 16)));
const ip4 = (s: string) => Uint8Array.from(s.split('.').map(Number));
const cat = (...parts: (Uint8Array | number[])[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const be16 = (v: number) => [(v >> 8) & 255, v & 255];

interface FrameOpts {
  src?: string;
  dst?: string;
  port?: number;
  flags?: number;
  vni?: number;
  innerDst?: string;
  innerSrc?: string;
  innerTags?: number[];
  innerType?: number;
  arpOp?: number;
  outerTags?: number[];
  ipv6?: { src: number[]; dst: number[]; next?: number };
  proto?: number;
  frag?: number;
}

/** An Ethernet / IPv4|IPv6 / UDP / VXLAN / inner Ethernet frame. */
function vxlanFrame(o: FrameOpts = {}): Uint8Array {
  const innerPayload = o.innerType === 0x0806 || o.innerType === undefined ? cat([0, 1, 8, 0, 6, 4], be16(o.arpOp ?? 1), new Uint8Array(20)) : new Uint8Array(28);
  const inner = cat(mac(o.innerDst ?? 'ff:ff:ff:ff:ff:ff'), mac(o.innerSrc ?? 'fa:16:3e:00:00:01'), ...(o.innerTags ?? []).flatMap((t, i) => [be16(t), be16(100 + i)]), be16(o.innerType ?? 0x0806), innerPayload);
  const vx = cat([o.flags ?? 0x08, 0, 0, 0], [((o.vni ?? 649) >> 16) & 255, ((o.vni ?? 649) >> 8) & 255, (o.vni ?? 649) & 255, 0], inner);
  const udp = cat(be16(40000), be16(o.port ?? 8472), be16(8 + vx.length), [0, 0], vx);
  let l3: Uint8Array;
  let type: number;
  if (o.ipv6) {
    l3 = cat([0x60, 0, 0, 0], be16(udp.length), [o.ipv6.next ?? 17, 64], o.ipv6.src, o.ipv6.dst, udp);
    type = 0x86dd;
  } else {
    l3 = cat([0x45, 0], be16(20 + udp.length), [0, 0], be16(o.frag ?? 0), [64, o.proto ?? 17, 0, 0], ip4(o.src ?? '10.0.0.1'), ip4(o.dst ?? '10.0.0.2'), udp);
    type = 0x0800;
  }
  return cat(mac('02:00:00:00:00:02'), mac('02:00:00:00:00:01'), ...(o.outerTags ?? []).flatMap((t) => [be16(t), be16(7)]), be16(type), l3);
}

const ok = (d: ReturnType<typeof decodeVxlanPacket>) => {
  if (!d.ok) throw new Error(`undecodable: ${d.reason}`);
  return d;
};

describe('VXLAN decoding of hand-built frames', () => {
  it('reads outer addresses, port, VNI, inner MACs and ARP opcode', () => {
    const d = ok(decodeVxlanPacket(vxlanFrame({ vni: 0xabcdef, arpOp: 2, innerDst: 'fa:16:3e:00:00:02' }), LINKTYPE.ETHERNET));
    expect(d).toMatchObject({ outerSrc: '10.0.0.1', outerDst: '10.0.0.2', outerMulticast: false, udpDstPort: 8472, vni: 0xabcdef, innerEthertype: 0x0806, innerTags: 0, arp: 2 });
    expect(macText(d.innerDst)).toBe('fa:16:3e:00:00:02');
    expect(macText(d.innerSrc)).toBe('fa:16:3e:00:00:01');
  });

  it('skips 802.1Q / QinQ tags inside the tunnel and on the underlay', () => {
    const q = ok(decodeVxlanPacket(vxlanFrame({ innerTags: [0x8100] }), LINKTYPE.ETHERNET));
    expect(q).toMatchObject({ innerTags: 1, innerEthertype: 0x0806, arp: 1 });
    const qinq = ok(decodeVxlanPacket(vxlanFrame({ innerTags: [0x88a8, 0x8100], outerTags: [0x8100] }), LINKTYPE.ETHERNET));
    expect(qinq).toMatchObject({ innerTags: 2, arp: 1, vni: 649 });
  });

  it('accepts 8472 and 4789 by default, other ports only when asked', () => {
    expect([...VXLAN_PORTS]).toEqual([8472, 4789]);
    expect(ok(decodeVxlanPacket(vxlanFrame({ port: 4789 }), LINKTYPE.ETHERNET)).udpDstPort).toBe(4789);
    expect(decodeVxlanPacket(vxlanFrame({ port: 5000 }), LINKTYPE.ETHERNET)).toEqual({ ok: false, reason: 'port' });
    expect(ok(decodeVxlanPacket(vxlanFrame({ port: 5000 }), LINKTYPE.ETHERNET, new Set([5000]))).udpDstPort).toBe(5000);
  });

  it('validates the VXLAN I flag', () => {
    expect(decodeVxlanPacket(vxlanFrame({ flags: 0x00 }), LINKTYPE.ETHERNET)).toEqual({ ok: false, reason: 'vxlan-flags' });
    expect(ok(decodeVxlanPacket(vxlanFrame({ flags: 0x0c }), LINKTYPE.ETHERNET)).vni).toBe(649); // other bits are ignored
  });

  it('decodes an IPv6 underlay; extension headers are counted as undecodable', () => {
    const src = [0xfd, 0, ...new Array(13).fill(0), 1];
    const dst = [0xff, 0x05, ...new Array(13).fill(0), 0x42];
    const d = ok(decodeVxlanPacket(vxlanFrame({ ipv6: { src, dst } }), LINKTYPE.ETHERNET));
    expect(d).toMatchObject({ outerSrc: 'fd00::1', outerDst: 'ff05::42', outerMulticast: true, vni: 649 });
    expect(decodeVxlanPacket(vxlanFrame({ ipv6: { src, dst, next: 0 } }), LINKTYPE.ETHERNET)).toEqual({ ok: false, reason: 'ipv6-ext' });
    expect(decodeVxlanPacket(vxlanFrame({ ipv6: { src, dst, next: 6 } }), LINKTYPE.ETHERNET)).toEqual({ ok: false, reason: 'not-udp' });
  });

  it('names why other packets are not counted', () => {
    const f = vxlanFrame();
    expect(decodeVxlanPacket(f.subarray(0, 60), LINKTYPE.ETHERNET)).toEqual({ ok: false, reason: 'truncated' });
    expect(decodeVxlanPacket(vxlanFrame({ frag: 185 }), LINKTYPE.ETHERNET)).toEqual({ ok: false, reason: 'fragment' });
    expect(ok(decodeVxlanPacket(vxlanFrame({ frag: 0x2000 }), LINKTYPE.ETHERNET)).vni).toBe(649); // first fragment (MF set)
    expect(decodeVxlanPacket(vxlanFrame({ proto: 6 }), LINKTYPE.ETHERNET)).toEqual({ ok: false, reason: 'not-udp' });
    const arpOuter = cat(mac('ff:ff:ff:ff:ff:ff'), mac('02:00:00:00:00:01'), be16(0x0806), new Uint8Array(28));
    expect(decodeVxlanPacket(arpOuter, LINKTYPE.ETHERNET)).toEqual({ ok: false, reason: 'not-ip' });
    expect(decodeVxlanPacket(f, 147)).toEqual({ ok: false, reason: 'linktype' });
  });

  it('reads Linux cooked captures (v1, v2) and raw IP', () => {
    const f = vxlanFrame();
    const ipPart = f.subarray(14);
    const sll = cat(be16(4), be16(1), be16(6), mac('02:00:00:00:00:01'), [0, 0], be16(0x0800), ipPart);
    expect(ok(decodeVxlanPacket(sll, LINKTYPE.LINUX_SLL)).vni).toBe(649);
    const sll2 = cat(be16(0x0800), [0, 0], [0, 0, 0, 2], be16(1), [4, 6], mac('02:00:00:00:00:01'), [0, 0], ipPart);
    expect(ok(decodeVxlanPacket(sll2, LINKTYPE.LINUX_SLL2)).vni).toBe(649);
    expect(ok(decodeVxlanPacket(ipPart, LINKTYPE.RAW)).vni).toBe(649);
  });

  it('formats MACs and IPv6 addresses', () => {
    expect(macText(macKey('FA:16:3E:0A:0B:0C')!)).toBe('fa:16:3e:0a:0b:0c');
    expect(macKey('not a mac')).toBeNull();
    expect(macText(macKey('ff:ff:ff:ff:ff:ff')!)).toBe('ff:ff:ff:ff:ff:ff');
    const v6 = (groups: number[]) => ipv6Text(Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 255])));
    expect(v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])).toBe('2001:db8::1');
    expect(v6([0x2001, 0xdb8, 0, 1, 0, 0, 0, 1])).toBe('2001:db8:0:1::1');
    expect(v6([0, 0, 0, 0, 0, 0, 0, 0])).toBe('::');
    expect(v6([1, 2, 3, 4, 5, 6, 7, 8])).toBe('1:2:3:4:5:6:7:8');
  });
});

describe('classification and counting', () => {
  const start = 1_700_000_000_000;
  const meter = (fdb?: BumFdb, extra: Partial<ConstructorParameters<typeof BumMeter>[0]> = {}) =>
    new BumMeter({ host: 'h', instance: 'i', vtep: '10.0.0.1', iface: 'ul0', udpPort: 8472, startMs: start, fdb, ...extra });
  const feed = (m: BumMeter, frames: Uint8Array[], t = start) => frames.forEach((data, i) => m.offer({ tsMs: t + i, data, origLen: data.length }));
  const only = (flows: BumFlow[]) => {
    expect(flows).toHaveLength(1);
    return flows[0]!;
  };

  it('an ARP request is counted as broadcast AND as ARP; a reply as unicast AND ARP', () => {
    const fdb = new BumFdb();
    fdb.add(649, 'fa:16:3e:00:00:02', '10.0.0.2');
    const m = meter(fdb);
    feed(m, [vxlanFrame({ arpOp: 1 }), vxlanFrame({ arpOp: 2, innerDst: 'fa:16:3e:00:00:02' })]);
    const f = only(m.report(start + 1000).flows);
    expect(f).toMatchObject({ vni: 649, remoteVtep: '10.0.0.2', direction: 'tx', outerMulticast: false, broadcast: 1, unicast: 1, unknownUnicast: 0, multicast: 0, arp: 2, arpRequest: 1, arpReply: 1, packets: 2 });
  });

  it('inner multicast (IPv4 01:00:5e, IPv6 33:33) is multicast, not broadcast', () => {
    const m = meter();
    feed(m, [vxlanFrame({ innerDst: '01:00:5e:00:00:fb', innerType: 0x0800 }), vxlanFrame({ innerDst: '33:33:00:00:00:01', innerType: 0x86dd })]);
    expect(only(m.report(start + 1000).flows)).toMatchObject({ multicast: 2, broadcast: 0, arp: 0 });
  });

  it('unknown unicast: tx to a MAC the FDB does not map, anything to a multicast group, rx for a MAC living behind another VTEP', () => {
    const fdb = new BumFdb();
    fdb.add(649, 'fa:16:3e:00:00:02', '10.0.0.2');
    fdb.add(649, 'fa:16:3e:00:00:03', '10.0.0.3');
    const m = meter(fdb);
    feed(m, [
      vxlanFrame({ innerDst: 'fa:16:3e:00:00:02', innerType: 0x0800 }), // tx known
      vxlanFrame({ innerDst: 'fa:16:3e:00:00:09', innerType: 0x0800 }), // tx unknown: no row
      vxlanFrame({ dst: '239.1.1.1', innerDst: 'fa:16:3e:00:00:02', innerType: 0x0800 }), // tx to a group: flooded
      vxlanFrame({ src: '10.0.0.2', dst: '10.0.0.1', innerDst: 'fa:16:3e:00:00:01', innerType: 0x0800 }), // rx for us: known
      vxlanFrame({ src: '10.0.0.2', dst: '10.0.0.1', innerDst: 'fa:16:3e:00:00:03', innerType: 0x0800 }), // rx for 10.0.0.3's MAC: flooded to us
      vxlanFrame({ src: '10.0.0.4', dst: '10.0.0.5' }), // neither ours
    ]);
    const r = m.report(start + 1000);
    const by = (remote: string, dir: string) => r.flows.find((f) => f.remoteVtep === remote && f.direction === dir)!;
    expect(by('10.0.0.2', 'tx')).toMatchObject({ unicast: 1, unknownUnicast: 1 });
    expect(by('239.1.1.1', 'tx')).toMatchObject({ outerMulticast: true, unknownUnicast: 1, unicast: 0 });
    expect(by('10.0.0.2', 'rx')).toMatchObject({ unicast: 1, unknownUnicast: 1 });
    expect(r.undecodable).toBe(1);
    expect(r.undecodableReasons).toEqual({ foreign: 1 });
    expect(r.captured).toBe(6);
  });

  it('samples above the budget: decodes every k-th packet, scales the counts, says so; exact below it', () => {
    const m = meter(undefined, { budgetPps: 20_000 });
    const frame = vxlanFrame();
    // 3 s at 50,000 pps. First window (no rate known yet): 20,000 decoded, then the budget is used
    // up and every 2nd packet is decoded (15,000 more); then every 3rd (k = ceil(50k / 20k))
    const n = 150_000;
    for (let i = 0; i < n; i++) m.offer({ tsMs: start + i * 0.02, data: frame, origLen: 92 });
    expect(m.step).toBe(3);
    const r = m.report(start + 3000);
    expect(r.captured).toBe(n);
    expect(r.sampled).toBeCloseTo((20_000 + 15_000 + 100_000 / 3) / n, 3);
    const f = only(r.flows);
    expect(Math.abs(f.packets - n) / n).toBeLessThan(0.001);
    expect(f.broadcast).toBe(f.packets);
    expect(f.arpRequest).toBe(f.packets);
    expect(f.bytes).toBe(f.packets * 92);
    // the burst stops; a lone ARP request 100 ms later is counted exactly, not scaled
    m.offer({ tsMs: start + 3100, data: frame, origLen: 92 });
    expect(m.step).toBe(1);
    expect(only(m.report(start + 3200).flows)).toMatchObject({ packets: 1, arp: 1, broadcast: 1 });
    // back under the budget: exact again
    for (let i = 0; i < 100; i++) m.offer({ tsMs: start + 10_000 + i * 10, data: frame, origLen: 92 });
    expect(m.step).toBe(1);
    const calm = m.report(start + 12_000);
    expect(calm.sampled).toBe(1);
    expect(only(calm.flows).packets).toBe(100);
  });

  it('bounds memory: flows over the cap go to `other`', () => {
    const m = meter(undefined, { maxFlows: 3 });
    feed(m, [1, 2, 3, 4, 5].map((i) => vxlanFrame({ dst: `10.0.1.${i}` })));
    const r = parseBumReport(m.report(start + 1000));
    expect(r.flows.map((f) => f.remoteVtep)).toEqual(['10.0.1.1', '10.0.1.2', '10.0.1.3']);
    expect(r.other).toEqual({ ...emptyBumCounters(), broadcast: 2, arp: 2, arpRequest: 2, packets: 2, bytes: 2 * vxlanFrame().length });
    expect(BUM_LIMITS.flows).toBe(4096);
  });

  it('reports consecutive intervals: from = previous to, counters restart', () => {
    const m = meter();
    feed(m, [vxlanFrame()]);
    const a = m.report(start + 5000);
    const b = m.report(start + 10_000);
    expect([a.from, a.to, a.seconds]).toEqual([new Date(start).toISOString(), new Date(start + 5000).toISOString(), 5]);
    expect([b.from, b.seconds, b.captured, b.flows]).toEqual([a.to, 5, 0, []]);
    expect(mergeBumFlows([a, b, a])[0]!.packets).toBe(2);
  });
});

describe('report schema and helpers', () => {
  it('validates reports, including the unavailable form', () => {
    const u = parseBumReport(unavailableBumReport({ host: 'compute1', instance: 'x', vtep: null, iface: 'ul0', udpPort: 8472, fromMs: 0, toMs: 5000, reason: 'tcpdump missing' }));
    expect(u).toMatchObject({ unavailable: 'tcpdump missing', flows: [], captured: 0, seconds: 5 });
    expect(() => parseBumReport({ ...u, schema: 'l2scope.bum/2' })).toThrow();
    expect(() => parseBumReport({ ...u, sampled: 1.5 })).toThrow();
    expect(() => parseBumReport({ ...u, flows: [{ vni: 1, remoteVtep: 'x', direction: 'up', outerMulticast: false, ...emptyBumCounters() }] })).toThrow();
  });

  it('reads tcpdump\'s statistics (SIGUSR1 one-liner and exit form)', () => {
    expect(parseTcpdumpStats('tcpdump: 12 packets captured, 40 packets received by filter, 3 packets dropped by kernel\n')).toEqual({ captured: 12, received: 40, dropped: 3 });
    expect(parseTcpdumpStats('2 packets captured\n4 packets received by filter\n0 packets dropped by kernel\n')).toEqual({ captured: 2, received: 4, dropped: 0 });
    expect(parseTcpdumpStats('tcpdump: listening on ul0, link-type EN10MB (Ethernet), snapshot length 160 bytes\n')).toBeNull();
  });

  it('the wire contract: own exchange, dotted hosts in routing keys, least privilege', () => {
    expect(NODE_AGENT_WIRE.exchange).toBe('l2scope.node');
    expect(NODE_AGENT_WIRE.snapshotKey('compute-1.example.org')).toBe('snapshot.compute-1.example.org');
    expect(NODE_AGENT_WIRE.bumKey('compute1')).toBe('bum.compute1');
    expect(new RegExp(NODE_AGENT_WIRE.permissions.write).test('l2scope.node')).toBe(true);
    expect(new RegExp(NODE_AGENT_WIRE.permissions.write).test('neutron')).toBe(false);
  });
});
