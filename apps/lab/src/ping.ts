/**
 * The data-plane check: a full ping matrix between the lab's VMs, one result per ordered pair,
 * ARP caches flushed first (docs/lab.md#labs). Three probes per pair, success if any is answered
 * (userspace OVS drops the first packet to each VTEP while it resolves it, docs/lab.md#ovs-host).
 */
import { flushVmArp } from './vms';
import { nsRun } from './exec';
import type { VmState } from './state';

/** One ordered pair's result. */
export interface PingResult {
  from: string;
  to: string;
  toIp: string;
  ok: boolean;
  /** Echo replies received of `sent`. */
  received: number;
  sent: number;
  /** Average RTT in ms, null when none answered. */
  avgMs: number | null;
}

/** Parse iputils ping's summary: `3 packets transmitted, 3 received, ...` and `rtt min/avg/max/mdev = a/b/c/d ms`. */
export function parsePingSummary(text: string): { sent: number; received: number; avgMs: number | null } {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(text);
  const rtt = /= [\d.]+\/([\d.]+)\/[\d.]+\/[\d.]+ ms/.exec(text);
  return { sent: m ? Number(m[1]) : 0, received: m ? Number(m[2]) : 0, avgMs: rtt ? Number(rtt[1]) : null };
}

/**
 * Ping every other VM of the same network from every VM (sequentially, so ARP and FDB effects stay
 * readable). VMs of the VXLAN and the GRE network (docs/lab.md#gre) are paired only where `routed`
 * says a router joins them: on a DVR lab, VMs of OVS hosts (docs/lab.md#dvr); otherwise never.
 */
export async function pingMatrix(vms: VmState[], routed: (a: VmState, b: VmState) => boolean = () => false): Promise<PingResult[]> {
  await Promise.all(vms.map(flushVmArp));
  const out: PingResult[] = [];
  for (const a of vms) {
    for (const b of vms) {
      if (a === b || ((a.network ?? 'vxlan') !== (b.network ?? 'vxlan') && !routed(a, b))) continue;
      const r = await nsRun(a.ns, 'ping', ['-n', '-c', '3', '-i', '0.2', '-W', '1', '-w', '4', b.ip], { allowFail: true });
      const s = parsePingSummary(r.stdout);
      out.push({ from: a.name, to: b.name, toIp: b.ip, ok: s.received > 0, ...s });
    }
  }
  return out;
}
