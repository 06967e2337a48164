/**
 * Benchmark workloads built from the real captures: the captured bodies as they are, and a
 * synthetic fleet (N hypervisors, P ports each) made by re-addressing a real add_fdb_entries
 * fanout and a real report_state (only VTEP, MAC, IP and host change; the envelope, context and
 * shapes are neutron-server's own).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaptureRecord, parseCapture } from '@l2scope/domain';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchMessage {
  exchange: string;
  routingKey: string;
  body: Buffer;
}

/** Every message of the four real captures. */
export function realMessages(): CaptureRecord[] {
  return ['lab1', 'lab2', 'lab3', 'ovs-try'].flatMap((s) => parseCapture(readFileSync(path.join(root, 'fixtures', `${s}.jsonl`), 'utf8')).records);
}

/** The first real message of `method` on `exchange`. */
function template(method: string, exchange: string): CaptureRecord {
  const r = realMessages().find((m) => m.exchange === exchange && Buffer.from(m.body).toString().includes(`\\"method\\": \\"${method}\\"`));
  if (!r) throw new Error(`no ${method} in the captures`);
  return r;
}

const ip = (n: number, base: number) => `10.${base}.${(n >> 8) & 255}.${n & 255}`;
const mac = (n: number) => `fa:16:3e:${((n >> 16) & 255).toString(16).padStart(2, '0')}:${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`;

/**
 * A fleet of `hosts` hypervisors on one VXLAN network: each reports state once, then each of its
 * `ports` ports comes up (an add_fdb_entries fanout, flood entry on the first).
 */
export function fleetMessages(hosts: number, ports: number): BenchMessage[] {
  const add = template('add_fdb_entries', 'q-agent-notifier-l2population-update_fanout');
  const report = template('report_state', 'neutron');
  const addBody = Buffer.from(add.body).toString();
  const reportBody = Buffer.from(report.body).toString();
  const vtepInAdd = /\\"ports\\": \{\\"([0-9.]+)\\"/.exec(addBody)![1]!;
  const macInAdd = /fa:16:3e:[0-9a-f:]{8}/.exec(addBody)![0];
  const ipInAdd = /172\.16\.1\.\d+/.exec(addBody)![0];
  const hostInReport = /\\"host\\": \\"([^\\]+)\\"/.exec(reportBody)![1]!;
  const vtepInReport = /\\"tunneling_ip\\": \\"([0-9.]+)\\"/.exec(reportBody)![1]!;
  const out: BenchMessage[] = [];
  for (let h = 0; h < hosts; h++) {
    const vtep = ip(h + 1, 20);
    out.push({
      exchange: report.exchange,
      routingKey: report.routingKey,
      body: Buffer.from(reportBody.replaceAll(hostInReport, `compute-${h}.bench`).replaceAll(vtepInReport, vtep)),
    });
  }
  for (let p = 0; p < ports; p++) {
    for (let h = 0; h < hosts; h++) {
      const n = h * ports + p + 1;
      let body = addBody.replaceAll(vtepInAdd, ip(h + 1, 20)).replaceAll(macInAdd, mac(n)).replaceAll(ipInAdd, ip(n, 172));
      if (p > 0) body = body.replace('[\\"00:00:00:00:00:00\\", \\"0.0.0.0\\"], ', '');
      out.push({ exchange: add.exchange, routingKey: add.routingKey, body: Buffer.from(body) });
    }
  }
  return out;
}
