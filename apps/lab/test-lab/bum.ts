/**
 * The BUM meter checked against tcpdump on the lab's underlay. While `action` runs (e.g. pings
 * after flushing the VMs' ARP caches), the node agents' BUM reports are read off the broker
 * (`l2scope.node`, `bum.<host>`) and every VXLAN packet each host sends into the fabric is captured
 * by tcpdump on its fabric port (`ul-<host>` in the fabric namespace, ingress only: each packet
 * once, whether unicast head-end or multicast). The inner ARP frames are counted by tcpdump's own
 * filter (`udp[28:2] = 0x0806`: UDP 8 + VXLAN 8 + inner MACs 12 bytes), not by l2scope's decoder,
 * and only those inside the intervals of the reports summed, so both sides count the same time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import { execa } from 'execa';
import { type BumReport, NODE_EXCHANGE, parseBumReport } from '@l2scope/domain';
import { fabricPortName } from '../src/fabric';
import { FABRIC_NS } from '../src/paths';

/** Per host: ARP frames sent into the underlay in the window, by the agent's meter and by tcpdump. */
export interface BumCheck {
  host: string;
  /** Sum of the `tx` flows' `arp` of the agent's reports covering the window. */
  agentArp: number;
  /** Inner ARP frames tcpdump saw leaving the host within those reports' intervals. */
  tcpdumpArp: number;
  /** The reports' `sampled` (1 = every packet decoded) and their span (ISO). */
  sampled: number;
  from: string;
  to: string;
  /**
   * No VXLAN packet left the host within {@link BOUNDARY_MS} of `from` or `to`. The agent puts a
   * packet in the report open when tcpdump hands it over (closing reports on its own clock), so a
   * packet within milliseconds of a boundary can land in the neighbouring report: the comparison is
   * exact only when the boundaries are quiet.
   */
  quietBoundaries: boolean;
  /** The reports summed and the ARP times tcpdump saw (for failure messages). */
  detail: string;
}

/** How far from a report boundary a packet must be for the window to count as quiet (ms). */
export const BOUNDARY_MS = 250;

const VXLAN_PORT = 8472;

/**
 * Run `action` inside a metered window and compare. Waits for each host's first report that
 * starts after the captures started, runs `action`, then waits `settleMs` and for each host's
 * report that ends after that.
 * @param amqpUrl the lab's broker (the node agents publish there)
 * @throws when a host sends no report in `timeoutMs`
 */
export async function meterBum(amqpUrl: string, hosts: string[], action: () => Promise<void>, settleMs = 1500, timeoutMs = 30_000): Promise<BumCheck[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'l2scope-bum-'));
  const reports: BumReport[] = [];
  const conn = await amqp.connect(amqpUrl);
  const captures = hosts.map((host) => {
    const file = path.join(dir, `${host}.pcap`);
    const proc = execa('ip', ['netns', 'exec', FABRIC_NS, 'tcpdump', '-i', fabricPortName(host), '-Q', 'in', '-nn', '-U', '-w', file, 'udp', 'dst', 'port', String(VXLAN_PORT)], { reject: false, all: true });
    // tcpdump says "listening on ..." once it captures (listened for at once: it may say so before the broker is set up)
    let output = '';
    const listening = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`tcpdump on ${fabricPortName(host)} did not start: ${output.trim() || '(no output)'}`)), 10_000);
      proc.all?.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('listening on')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    listening.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    return { host, file, proc, listening };
  });
  try {
    const ch = await conn.createChannel();
    const q = await ch.assertQueue('', { exclusive: true, autoDelete: true });
    await ch.bindQueue(q.queue, NODE_EXCHANGE.name, 'bum.#');
    const seen = new Set<string>();
    await ch.consume(q.queue, (m) => {
      if (!m) return;
      const r = parseBumReport(JSON.parse(m.content.toString('utf8')));
      // at-least-once delivery: one report per agent instance and interval
      if (seen.has(`${r.instance}|${r.from}`)) return;
      seen.add(`${r.instance}|${r.from}`);
      reports.push(r);
    }, { noAck: true });
    await Promise.all(captures.map((c) => c.listening));
    const started = Date.now();
    const first = await waitReports(reports, hosts, (r) => Date.parse(r.from) >= started, timeoutMs, 'a BUM report starting after the captures');
    await action();
    const until = Date.now() + settleMs;
    await new Promise((r) => setTimeout(r, settleMs));
    const last = await waitReports(reports, hosts, (r) => Date.parse(r.to) >= until, timeoutMs, 'a BUM report ending after the action');
    for (const c of captures) c.proc.kill('SIGINT');
    await Promise.all(captures.map((c) => c.proc));

    const out: BumCheck[] = [];
    for (const host of hosts) {
      const from = Date.parse(first.get(host)!.from);
      const to = Date.parse(last.get(host)!.to);
      const mine = reports.filter((r) => r.host === host && Date.parse(r.from) >= from && Date.parse(r.to) <= to);
      const agentArp = mine.reduce((n, r) => n + r.flows.filter((f) => f.direction === 'tx').reduce((m, f) => m + f.arp, 0), 0);
      const file = captures.find((c) => c.host === host)!.file;
      const arpTimes = await packetTimes(file, `udp dst port ${VXLAN_PORT} and udp[28:2] = 0x0806`);
      const allTimes = await packetTimes(file, `udp dst port ${VXLAN_PORT}`);
      const inWindow = arpTimes.filter((ms) => ms >= from && ms < to);
      const quietBoundaries = !allTimes.some((ms) => Math.abs(ms - from) < BOUNDARY_MS || Math.abs(ms - to) < BOUNDARY_MS);
      const detail =
        `reports ${mine.map((r) => `[${r.from} .. ${r.to}) arp ${r.flows.filter((f) => f.direction === 'tx').reduce((m, f) => m + f.arp, 0)}`).join(', ')}; ` +
        `tcpdump ARP at ${inWindow.map((ms) => new Date(ms).toISOString()).join(', ') || 'none'}`;
      out.push({ host, agentArp, tcpdumpArp: inWindow.length, sampled: Math.min(...mine.map((r) => r.sampled)), from: new Date(from).toISOString(), to: new Date(to).toISOString(), quietBoundaries, detail });
    }
    return out;
  } finally {
    for (const c of captures) c.proc.kill('SIGKILL');
    await conn.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
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
async function waitReports(reports: BumReport[], hosts: string[], pred: (r: BumReport) => boolean, timeoutMs: number, what: string): Promise<Map<string, BumReport>> {
  const t0 = Date.now();
  for (;;) {
    const found = new Map<string, BumReport>();
    for (const h of hosts) {
      const r = reports.find((x) => x.host === h && pred(x));
      if (r) found.set(h, r);
    }
    if (found.size === hosts.length) return found;
    if (Date.now() - t0 > timeoutMs) throw new Error(`no ${what} from ${hosts.filter((h) => !found.has(h)).join(', ')} in ${timeoutMs} ms (${reports.length} reports received)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
