/**
 * VXLAN frame decoder (RFC 7348) for the BUM meter: one captured packet -> outer addresses, UDP
 * port, VNI, inner MACs and EtherType, ARP opcode. Pure and allocation-light (the meter's hot path).
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
 */
import { LINKTYPE } from './pcap';

/** Default VXLAN UDP ports: the Linux kernel default (Linux bridge agent) and IANA's (OVS). */
export const VXLAN_PORTS = [8472, 4789] as const;

/** Why a captured packet was not counted as VXLAN. */
export type UndecodableReason = 'linktype' | 'truncated' | 'not-ip' | 'fragment' | 'ipv6-ext' | 'not-udp' | 'port' | 'vxlan-flags' | 'foreign';

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
  for (let i = 0; i < 8;) {
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
  return key
    .toString(16)
    .padStart(12, '0')
    .replace(/(..)(?!$)/g, '$1:');
}

/** `ff:ff:ff:ff:ff:ff` as a {@link macKey}. */
export const BROADCAST_KEY = 0xffff_ffff_ffff;
/** The group (I/G) bit of a MAC key: the low bit of its first byte. */
export const isGroupMac = (key: number) => Math.floor(key / 0x100_0000_0000) % 2 === 1;

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
