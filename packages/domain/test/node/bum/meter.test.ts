/**
 * The BUM meter (and its FDB lookup) on real captures recorded on
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
  type PcapRecord,
  emptyBumCounters,
  macKey,
  mergeBumFlows,
  meterCapture,
  parseBumReport,
  readPcap,
  snapshotsFromBundle,
  writePcap,
} from '../../../src';
import { FIXTURES } from '../../fixtures';
import { BUM, bundleOf, vxlanFrame } from './frames';

const VTEP: Record<string, string> = { controller: '10.0.20.11', compute1: '10.0.20.12' };

function meterOver(lab: string, host: string, fdb?: BumFdb): { meter: BumMeter; records: PcapRecord[]; linktype: number } {
  const { header, records } = readPcap(readFileSync(path.join(BUM, lab, `${host}-ul0.pcap`)));
  const snap = snapshotsFromBundle(bundleOf(lab, host)).snapshots[0]!;
  const meter = new BumMeter({
    host,
    instance: 'fixture',
    vtep: VTEP[host]!,
    iface: 'ul0',
    udpPort: 8472,
    linktype: header.linktype,
    startMs: records[0]!.tsMs,
    fdb: fdb ?? BumFdb.fromSnapshot(snap),
  });
  for (const r of records) meter.offer(r);
  return { meter, records, linktype: header.linktype };
}

type Expect = [
  vni: number,
  remote: string,
  dir: 'tx' | 'rx',
  outerMulticast: boolean,
  packets: number,
  arp: number,
  arpRequest: number,
  arpReply: number,
  broadcast: number,
];
const flow = ([vni, remoteVtep, direction, outerMulticast, packets, arp, arpRequest, arpReply, broadcast]: Expect) => ({
  vni,
  remoteVtep,
  direction,
  outerMulticast,
  packets,
  arp,
  arpRequest,
  arpReply,
  broadcast,
  multicast: 0,
  unknownUnicast: 0,
  unicast: packets - broadcast,
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
        // the whole capture as one interval, as the demo and the tests' fixtures meter it
        const opts = { host, instance: 'fixture', vtep: VTEP[host]!, iface: 'ul0', udpPort: 8472 };
        const fdb = BumFdb.fromSnapshot(snapshotsFromBundle(bundleOf(lab, host)).snapshots[0]!);
        expect(meterCapture(readFileSync(path.join(BUM, lab, `${host}-ul0.pcap`)), { ...opts, fdb })).toEqual(r);
        expect(meterCapture(writePcap([]), { ...opts, fdb })).toBeNull();
      });
    }
  }

  it('Lab1: ARP requests go to the multicast group 224.0.0.1; Lab2: one unicast copy per remote VTEP; Lab3: no ARP at all', () => {
    const arpOf = (lab: string, host: string) =>
      meterOver(lab, host)
        .meter.report(Date.now())
        .flows.filter((f) => f.arp > 0);
    const lab1 = arpOf('lab1', 'compute1').filter((f) => f.direction === 'tx' && f.arpRequest > 0);
    expect(lab1).toMatchObject([{ remoteVtep: '224.0.0.1', outerMulticast: true, arpRequest: 2, broadcast: 2 }]);
    const lab2 = arpOf('lab2', 'compute1').filter((f) => f.direction === 'tx' && f.broadcast > 0);
    expect(lab2.map((f) => [f.remoteVtep, f.outerMulticast, f.broadcast])).toEqual([
      ['10.0.20.11', false, 2],
      ['10.0.20.13', false, 2],
    ]);
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
    expect(f).toMatchObject({
      vni: 649,
      remoteVtep: '10.0.0.2',
      direction: 'tx',
      outerMulticast: false,
      broadcast: 1,
      unicast: 1,
      unknownUnicast: 0,
      multicast: 0,
      arp: 2,
      arpRequest: 1,
      arpReply: 1,
      packets: 2,
    });
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
    feed(
      m,
      [1, 2, 3, 4, 5].map((i) => vxlanFrame({ dst: `10.0.1.${i}` })),
    );
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
