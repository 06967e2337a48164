/**
 * The BUM meter checked against tcpdump on the lab's underlay. While `action` runs (e.g. pings
 * after flushing the VMs' ARP caches), the node agents' BUM reports are read off the broker
 * (`l2scope.node`, `bum.<host>`) and every VXLAN packet each host sends into the fabric is captured
 * by tcpdump on its fabric port (capture.ts). The inner ARP frames are counted by tcpdump's own
 * filter (`udp[28:2] = 0x0806`: UDP 8 + VXLAN 8 + inner MACs 12 bytes), not by l2scope's decoder,
 * and only those inside the intervals of the reports summed, so both sides count the same time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { execa } from 'execa';
import { type BumReport, NODE_EXCHANGE, parseBumReport } from '@l2scope/domain';
import { VXLAN_PORT } from '../src/paths';
import { type FabricCapture, startFabricCapture } from './capture';

/** Per host: ARP frames sent into the underlay in the window, by the agent's meter and by tcpdump. */
export interface BumCheck {
  host: string;
  /** Sum of the `tx` flows' `arp` of the agent's reports covering the window. */
  agentArp: number;
  /** Inner ARP frames tcpdump saw leaving the host within those reports' intervals. */
  tcpdumpArp: number;
  /**
   * What the agent may count, given that it bins a packet by when its tcpdump hands it over, up to
   * {@link AGENT_HANDOVER_MS} after capture: at least the ARP frames captured in
   * `[from, to - AGENT_HANDOVER_MS)`, at most those in `[from - AGENT_HANDOVER_MS, to)`.
   */
  tcpdumpArpMin: number;
  tcpdumpArpMax: number;
  /** The reports' `sampled` (1 = every packet decoded) and their span (ISO). */
  sampled: number;
  from: string;
  to: string;
  /**
   * No ARP frame left the host within {@link AGENT_HANDOVER_MS} before `from` or `to`: min == max ==
   * `tcpdumpArp`, the comparison is exact.
   */
  quietBoundaries: boolean;
  /** The reports summed and the ARP times tcpdump saw (for failure messages). */
  detail: string;
}

/**
 * Bound on how long after capture the agent's tcpdump hands a packet over (ms). The agent puts a
 * packet in the report open at hand-over (closing reports on its own clock), and its tcpdump runs
 * without `--immediate-mode`: libpcap delivers a block when its timer fires (tcpdump's 1000 ms;
 * 570-890 ms measured on a lab veth), plus scheduling on a busy machine. A packet captured less
 * than this before a report boundary may be counted in the next report.
 */
export const AGENT_HANDOVER_MS = 2000;

/** How long the fabric captures may take to catch up with the agents' last reports (ms). */
const CATCH_UP_MS = 10_000;

/**
 * Run `action` inside a metered window and compare. Waits for each host's first report that
 * starts at least {@link AGENT_HANDOVER_MS} after the captures started (so the fabric holds every
 * frame the agent may count in it), runs `action`, then waits `settleMs` and for each host's
 * report that ends after that, then until the captures hold at least as many ARP frames as the
 * agents may have counted (at most {@link CATCH_UP_MS}).
 * @param amqpUrl the lab's broker (the node agents publish there)
 * @returns one check per host, in `hosts` order
 * @throws when a tcpdump does not start, or a host sends no report in `timeoutMs`
 */
export async function meterBum(amqpUrl: string, hosts: string[], action: () => Promise<void>, settleMs = 1500, timeoutMs = 30_000): Promise<BumCheck[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'l2scope-bum-'));
  const reports: BumReport[] = [];
  const conn = await amqp.connect(amqpUrl);
  const started = hosts.map((host) => startFabricCapture(host, path.join(dir, `${host}.pcap`), `udp dst port ${VXLAN_PORT}`));
  const captures: FabricCapture[] = [];
  try {
    const settled = await Promise.allSettled(started);
    for (const c of settled) if (c.status === 'fulfilled') captures.push(c.value);
    const failed = settled.find((c) => c.status === 'rejected');
    if (failed) throw failed.reason;
    const ch = await conn.createChannel();
    const q = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(q.queue, NODE_EXCHANGE.name, 'bum.#');
    const seen = new Set<string>();
    await ch.consume(
      q.queue,
      (m) => {
        if (!m) return;
        const r = parseBumReport(JSON.parse(m.content.toString('utf8')));
        // at-least-once delivery: one report per agent instance and interval
        if (seen.has(`${r.instance}|${r.from}`)) return;
        seen.add(`${r.instance}|${r.from}`);
        reports.push(r);
      },
      { noAck: true },
    );
    const t0 = Date.now() + AGENT_HANDOVER_MS;
    const first = await waitReports(reports, hosts, (r) => Date.parse(r.from) >= t0, timeoutMs, 'a BUM report starting after the captures');
    await action();
    const until = Date.now() + settleMs;
    await new Promise((r) => setTimeout(r, settleMs));
    const last = await waitReports(reports, hosts, (r) => Date.parse(r.to) >= until, timeoutMs, 'a BUM report ending after the action');
    const checkAll = () =>
      Promise.all(hosts.map((host) => check(host, reports, first.get(host)!, last.get(host)!, captures.find((c) => c.host === host)!.file)));
    // the captures have caught up once they hold every frame the agents counted (bounded: an agent
    // counting frames that never crossed fails below, with the window's detail)
    const t1 = Date.now();
    while ((await checkAll()).some((c) => c.agentArp > c.tcpdumpArpMax) && Date.now() - t1 < CATCH_UP_MS) await new Promise((r) => setTimeout(r, 200));
    await Promise.all(captures.map((c) => c.stop()));
    return await checkAll();
  } finally {
    await Promise.all(captures.map((c) => c.stop()));
    await conn.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One host's {@link BumCheck}: the agent's reports from `first` to `last` against its fabric pcap. */
async function check(host: string, reports: BumReport[], first: BumReport, last: BumReport, file: string): Promise<BumCheck> {
  const from = Date.parse(first.from);
  const to = Date.parse(last.to);
  const mine = reports.filter((r) => r.host === host && Date.parse(r.from) >= from && Date.parse(r.to) <= to);
  const txArp = (r: BumReport) => r.flows.filter((f) => f.direction === 'tx').reduce((m, f) => m + f.arp, 0);
  const agentArp = mine.reduce((n, r) => n + txArp(r), 0);
  const arpTimes = await packetTimes(file, `udp dst port ${VXLAN_PORT} and udp[28:2] = 0x0806`);
  const count = (a: number, b: number) => arpTimes.filter((ms) => ms >= a && ms < b).length;
  const [tcpdumpArp, tcpdumpArpMin, tcpdumpArpMax] = [count(from, to), count(from, to - AGENT_HANDOVER_MS), count(from - AGENT_HANDOVER_MS, to)];
  const shown = arpTimes.filter((ms) => ms >= from - AGENT_HANDOVER_MS && ms < to);
  const detail =
    `reports ${mine.map((r) => `[${r.from} .. ${r.to}) arp ${txArp(r)}`).join(', ')}; ` +
    `tcpdump ARP at ${shown.map((ms) => new Date(ms).toISOString()).join(', ') || 'none'} (agent may count ${tcpdumpArpMin}..${tcpdumpArpMax})`;
  return {
    host,
    agentArp,
    tcpdumpArp,
    tcpdumpArpMin,
    tcpdumpArpMax,
    sampled: Math.min(...mine.map((r) => r.sampled)),
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    quietBoundaries: tcpdumpArpMin === tcpdumpArpMax,
    detail,
  };
}

/** Capture times (epoch ms) of the packets of a pcap that match a tcpdump filter, read by tcpdump itself. */
async function packetTimes(file: string, filter: string): Promise<number[]> {
  const printed = await execa('tcpdump', ['-r', file, '-tt', '-nn', filter], { reject: false });
  return printed.stdout
    .split('\n')
    .map((l) => Number(l.split(' ')[0]) * 1000)
    .filter((ms) => Number.isFinite(ms));
}

/** Wait until every host has a report matching `pred`; returns the first such report per host. */
async function waitReports(
  reports: BumReport[],
  hosts: string[],
  pred: (r: BumReport) => boolean,
  timeoutMs: number,
  what: string,
): Promise<Map<string, BumReport>> {
  const t0 = Date.now();
  for (;;) {
    const found = new Map<string, BumReport>();
    for (const h of hosts) {
      const r = reports.find((x) => x.host === h && pred(x));
      if (r) found.set(h, r);
    }
    if (found.size === hosts.length) return found;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`no ${what} from ${hosts.filter((h) => !found.has(h)).join(', ')} in ${timeoutMs} ms (${reports.length} reports received)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
