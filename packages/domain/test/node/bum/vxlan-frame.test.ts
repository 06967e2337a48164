/** The VXLAN frame decoder on hand-built frames: every link type, tag, underlay and reason a packet is not counted. */
import { describe, expect, it } from 'vitest';
import { LINKTYPE, VXLAN_PORTS, decodeVxlanPacket, ipv6Text, macKey, macText } from '../../../src';
import { be16, cat, mac, ok, vxlanFrame } from './frames';

describe('VXLAN decoding of hand-built frames', () => {
  it('reads outer addresses, port, VNI, inner MACs and ARP opcode', () => {
    const d = ok(decodeVxlanPacket(vxlanFrame({ vni: 0xabcdef, arpOp: 2, innerDst: 'fa:16:3e:00:00:02' }), LINKTYPE.ETHERNET));
    expect(d).toMatchObject({
      outerSrc: '10.0.0.1',
      outerDst: '10.0.0.2',
      outerMulticast: false,
      udpDstPort: 8472,
      vni: 0xabcdef,
      innerEthertype: 0x0806,
      innerTags: 0,
      arp: 2,
    });
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
