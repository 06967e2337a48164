/**
 * `npx tsx apps/agent/bench/bum-meter.ts`: CPU cost of the BUM meter's pure path (pcap stream
 * parsing + VXLAN decoding + classification), without tcpdump. A synthetic capture of VXLAN
 * frames (ARP requests, known and unknown unicast, multicast; 8 VNIs x 64 remote VTEPs) is pushed
 * in 64 KiB chunks like tcpdump's pipe delivers it. Prints packets/s of one core:
 * - every packet decoded (budget above the rate),
 * - sampling (packets arrive at 200,000 pps, budget 20,000 pps: every 10th decoded),
 * and the flow cap under 100,000 distinct (VNI, VTEP) pairs.
 */
import { BumFdb, BumMeter, PcapStreamReader, writePcap } from '@l2scope/domain';

const be16 = (v: number) => [(v >> 8) & 255, v & 255];
function frame(i: number): Uint8Array {
  const vni = 600 + (i % 8);
  const remote = [10, 0, 1 + ((i >> 3) % 64), 2];
  const kind = i % 10; // 0-2 ARP broadcast, 3 multicast, 4-5 unknown unicast, 6-9 known unicast
  const dst =
    kind <= 2
      ? [255, 255, 255, 255, 255, 255]
      : kind === 3
        ? [1, 0, 0x5e, 0, 0, 0xfb]
        : kind <= 5
          ? [0xfa, 0x16, 0x3e, 9, 9, i & 255]
          : [0xfa, 0x16, 0x3e, 0, 0, (i >> 3) % 64];
  const inner = [
    ...dst,
    0xfa,
    0x16,
    0x3e,
    1,
    1,
    1,
    ...be16(kind <= 2 ? 0x0806 : 0x0800),
    ...(kind <= 2 ? [0, 1, 8, 0, 6, 4, 0, 1] : new Array(8).fill(0)),
    ...new Array(20).fill(0),
  ];
  const vx = [8, 0, 0, 0, (vni >> 16) & 255, (vni >> 8) & 255, vni & 255, 0, ...inner];
  const udp = [...be16(40000), ...be16(8472), ...be16(8 + vx.length), 0, 0, ...vx];
  const ip = [0x45, 0, ...be16(20 + udp.length), 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, ...remote, ...udp];
  return Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, ...ip]);
}

function capture(n: number, pps: number): Uint8Array {
  const recs = [];
  for (let i = 0; i < n; i++) {
    const data = frame(i);
    recs.push({ tsMs: 1_700_000_000_000 + (i * 1000) / pps, data, origLen: data.length + 50 });
  }
  return writePcap(recs, 1, 160);
}

function fdb(): BumFdb {
  const f = new BumFdb();
  for (let v = 0; v < 8; v++) for (let r = 0; r < 64; r++) f.add(600 + v, `fa:16:3e:00:00:${r.toString(16).padStart(2, '0')}`, `10.0.${1 + r}.2`);
  return f;
}

function run(label: string, bytes: Uint8Array, n: number, budgetPps: number, maxFlows?: number): void {
  const meter = new BumMeter({
    host: 'bench',
    instance: 'b',
    vtep: '10.0.0.1',
    iface: 'ul0',
    udpPort: 8472,
    budgetPps,
    startMs: 0,
    fdb: fdb(),
    ...(maxFlows ? { maxFlows } : {}),
  });
  const reader = new PcapStreamReader();
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (let o = 0; o < bytes.length; o += 65_536) reader.push(bytes.subarray(o, o + 65_536), (r) => meter.offer(r));
  const r = meter.report(1_700_000_100_000);
  const ns = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 1048576;
  const pps = n / (ns / 1e9);
  console.log(
    `${label.padEnd(44)} ${String(n).padStart(8)} packets in ${(ns / 1e6).toFixed(0).padStart(5)} ms (cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms): ${(pps / 1000).toFixed(0).padStart(5)} k packets/s, ${(ns / n).toFixed(0)} ns/packet; sampled ${r.sampled.toFixed(3)}, flows ${r.flows.length}${r.other ? ` + other ${r.other.packets}` : ''}, heap +${heapMb.toFixed(1)} MB`,
  );
}

const N = 1_000_000;
console.log('building the synthetic capture...');
const bytes = capture(N, 200_000);
console.log(`${(bytes.length / 1048576).toFixed(1)} MiB pcap, ${N} VXLAN packets (8 VNIs x 64 VTEPs), node ${process.version}`);
for (let round = 0; round < 2; round++) {
  run('every packet decoded (budget 10M pps)', bytes, N, 10_000_000);
  run('sampling (200k pps offered, budget 20k pps)', bytes, N, 20_000);
}
run('flow cap (8 VNIs x 64 VTEPs, cap 100 flows)', bytes, N, 10_000_000, 100);
