/** Hand-built VXLAN frames and the BUM fixtures' paths, shared by the BUM tests. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { decodeVxlanPacket } from '../../../src';
import { FIXTURES } from '../../fixtures';

export const BUM = path.join(FIXTURES, 'bum');

/** A host's snapshot files of one BUM lab capture (fixtures/bum/<lab>/<host>-*), pcap excluded. */
export function bundleOf(lab: string, host: string): Record<string, string> {
  const dir = path.join(BUM, lab);
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (f.startsWith(`${host}-`) && !f.endsWith('.pcap')) out[f] = readFileSync(path.join(dir, f), 'utf8');
  return out;
}

export const mac = (s: string) => Uint8Array.from(s.split(':').map((x) => Number.parseInt(x, 16)));
export const ip4 = (s: string) => Uint8Array.from(s.split('.').map(Number));
export const cat = (...parts: (Uint8Array | number[])[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
export const be16 = (v: number) => [(v >> 8) & 255, v & 255];

export interface FrameOpts {
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
export function vxlanFrame(o: FrameOpts = {}): Uint8Array {
  const innerPayload =
    o.innerType === 0x0806 || o.innerType === undefined ? cat([0, 1, 8, 0, 6, 4], be16(o.arpOp ?? 1), new Uint8Array(20)) : new Uint8Array(28);
  const inner = cat(
    mac(o.innerDst ?? 'ff:ff:ff:ff:ff:ff'),
    mac(o.innerSrc ?? 'fa:16:3e:00:00:01'),
    ...(o.innerTags ?? []).flatMap((t, i) => [be16(t), be16(100 + i)]),
    be16(o.innerType ?? 0x0806),
    innerPayload,
  );
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

export const ok = (d: ReturnType<typeof decodeVxlanPacket>) => {
  if (!d.ok) throw new Error(`undecodable: ${d.reason}`);
  return d;
};
