/**
 * What the CLI prints about a running lab: status, kernel state per host against the
 * expectation for its mode, ping matrix. Formatting helpers are pure.
 */
import { listAgents, listPorts, type NeutronAgent, type NeutronPort } from './api';
import { labName } from './config';
import { sleep } from './exec';
import { compareKernel, expectedKernel, readHostKernel, type HostKernel } from './kernel';
import { parseOvsTunnelPorts, tunnelDstPort } from '@l2scope/domain';
import { ovsOfctl, ovsVsctl } from './ovs';
import type { PingResult } from './ping';
import { isRunning } from './procs';
import type { HostState, LabState } from './state';

/** `on`/`off`. */
export const onOff = (b: boolean) => (b ? 'on' : 'off');

/** Format a ping matrix: one line per ordered pair plus a `N/M ok` total. */
export function formatPing(results: PingResult[]): string[] {
  const w = Math.max(...results.map((r) => r.from.length), 4);
  const lines = results.map(
    (r) =>
      `${r.from.padEnd(w)} -> ${r.to.padEnd(w)} ${r.toIp.padEnd(13)} ${r.ok ? 'ok  ' : 'FAIL'} ${r.received}/${r.sent}${r.avgMs !== null ? ` ${r.avgMs.toFixed(2)} ms` : ''}`,
  );
  lines.push(`${results.filter((r) => r.ok).length}/${results.length} ok`);
  return lines;
}

/** Kernel state and its check for every Linux bridge host. */
export interface KernelReport {
  host: HostState;
  kernel: HostKernel;
  /** Differences from the expectation; null when the host has no ACTIVE port (nothing to check). */
  diffs: string[] | null;
}

/** Read every Linux bridge host's kernel state and compare it with what its mode should give. */
export async function kernelReports(s: LabState, ports?: NeutronPort[]): Promise<KernelReport[]> {
  const p = ports ?? (s.networkId ? await listPorts(s.networkId) : []);
  const hosts = Object.values(s.hosts).filter((h) => h.kind === 'linuxbridge');
  return Promise.all(
    hosts.map(async (h) => {
      const kernel = await readHostKernel(h, s.vni);
      const exp = expectedKernel(h.name, h.mode, s.hosts, p);
      return { host: h, kernel, diffs: exp ? compareKernel(exp, kernel) : null };
    }),
  );
}

/**
 * Poll {@link kernelReports} until every VM's port is ACTIVE again (an agent restart takes them
 * through BUILD/DOWN) and every host matches its mode, or `timeoutMs` passes.
 */
export async function waitKernelConverged(s: LabState, timeoutMs: number): Promise<{ reports: KernelReport[]; ms: number }> {
  const t0 = Date.now();
  for (;;) {
    const ports = s.networkId ? await listPorts(s.networkId) : [];
    const reports = await kernelReports(s, ports);
    const active = Object.values(s.vms).every((v) => ports.find((p) => p.id === v.portId)?.status === 'ACTIVE');
    if ((active && reports.every((r) => r.diffs === null || r.diffs.length === 0)) || Date.now() - t0 > timeoutMs) return { reports, ms: Date.now() - t0 };
    await sleep(500);
  }
}

/** Printable lines of kernel reports (docs/lab.md#labs form). */
export function formatKernel(reports: KernelReport[]): string[] {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`## ${r.host.name} (${r.host.underlayIp}) ini: l2_population=${r.host.mode.l2pop} arp_responder=${r.host.mode.arp} -> ${labName(r.host.mode)}`);
    if (!r.kernel.vxlan) out.push(`   (no ${r.kernel.dev})`);
    for (const l of r.kernel.fdbText) out.push(`   ${l}`);
    if (r.kernel.vxlanText) out.push(`       ${r.kernel.vxlanText}`);
    for (const l of r.kernel.neighText) out.push(`   ${l}`);
    if (r.diffs === null) out.push('   check: no ACTIVE port on this host, nothing to check');
    else if (r.diffs.length === 0) out.push(`   check: matches ${labName(r.host.mode)} (docs/lab.md#labs)`);
    else for (const d of r.diffs) out.push(`   check: MISMATCH ${d}`);
  }
  return out;
}

/**
 * One line per tunnel port of an OVS host, of every tunnel type (`vxlan-<hex>`, `gre-<hex>`,
 * `geneve-<hex>`), sorted by name: `gre-0a001416 gre -> 10.0.20.22 ofport 7`, a VXLAN or Geneve
 * port with its UDP port (`vxlan-0a00140b vxlan -> 10.0.20.11:8472 ofport 6`; OVS's default when
 * the port has no `dst_port`). Pure.
 * @param interfacesJson `ovs-vsctl --format=json --columns=name,ofport,type,options list Interface`
 * @returns the lines, or one line saying the text could not be read
 */
export function formatTunnelPorts(interfacesJson: string): string[] {
  let ports;
  try {
    ports = parseOvsTunnelPorts(interfacesJson);
  } catch (e) {
    return [`tunnel ports unreadable: ${(e as Error).message.split('\n')[0]}`];
  }
  if (ports.length === 0) return ['no tunnel port'];
  return ports.map((p) => {
    const udp = tunnelDstPort(p);
    return `${p.name} ${p.type} -> ${p.remoteIp}${udp !== null ? `:${udp}` : ''} ofport ${p.ofport ?? '?'}`;
  });
}

/** An OVS host's tunnel ports as {@link formatTunnelPorts} prints them (read with `ovs-vsctl list Interface`). */
async function tunnelPortLines(h: HostState): Promise<string[]> {
  const r = await ovsVsctl(h, ['--format=json', '--columns=name,ofport,type,options', 'list', 'Interface']).catch((e: Error) => e);
  return r instanceof Error ? [`tunnel ports: ovs-vsctl failed: ${r.message.split('\n')[0]}`] : formatTunnelPorts(String(r.stdout));
}

/** Printable OVS view of an OVS host: tunnel ports and br-tun's tables 3/4 (GRE/VXLAN key -> local VLAN) and l2pop's 20/21/22. */
export async function formatOvs(h: HostState): Promise<string[]> {
  const out = [`## ${h.name} (${h.underlayIp}, userspace OVS) ini: l2_population=${h.mode.l2pop} arp_responder=${h.mode.arp}`];
  for (const l of await tunnelPortLines(h)) out.push(`   tunnel: ${l}`);
  for (const table of [3, 4, 20, 21, 22]) {
    const r = await ovsOfctl(h, ['dump-flows', 'br-tun', `table=${table}`, '--no-stats']);
    for (const l of r.stdout.split('\n').filter((x) => x.includes('actions'))) out.push(`   t${table}: ${l.trim()}`);
  }
  return out;
}

/** `status` lines: processes, agents as the API sees them, each OVS host's tunnel ports (VXLAN and GRE), VMs with their port status. */
export async function statusLines(s: LabState): Promise<string[]> {
  const out: string[] = [];
  out.push(
    `broker ${s.amqpUrl}  VNI ${s.vni}  network ${s.networkId ?? '-'}${s.gre ? `  GRE network ${s.gre.networkId ?? '-'} (key ${s.vni})` : ''}${s.hybrid ? '  OVS firewall iptables_hybrid' : ''}`,
  );
  for (const [key, rec] of Object.entries(s.procs).sort())
    out.push(`  ${isRunning(rec) ? 'running' : 'STOPPED'} ${key.padEnd(22)} pid ${rec.pid}  log ${rec.log}`);
  let agents: NeutronAgent[] = [];
  let ports: NeutronPort[] = [];
  try {
    agents = await listAgents();
    const nets = [s.networkId, s.gre?.networkId].filter((n): n is string => typeof n === 'string');
    ports = (await Promise.all(nets.map((n) => listPorts(n)))).flat();
  } catch (e) {
    out.push(`  Neutron API not answering: ${(e as Error).message}`);
  }
  out.push('hosts:');
  for (const h of Object.values(s.hosts)) {
    const a = agents.find((x) => x.host === h.name && x.agent_type !== 'L3 agent');
    const api = a
      ? `${a.alive ? 'alive' : 'DOWN'} started_at ${a.started_at} l2_population=${a.configurations.l2_population} tunneling_ip=${a.configurations.tunneling_ip}`
      : 'no agent row';
    out.push(
      `  ${h.name.padEnd(10)} ${h.kind.padEnd(11)} ${h.underlayIp.padEnd(11)} ini l2pop=${onOff(h.mode.l2pop)} arp=${onOff(h.mode.arp)} (${labName(h.mode)})  api: ${api}`,
    );
  }
  for (const h of Object.values(s.hosts).filter((x) => x.kind === 'ovs' && isRunning(s.procs[`vswitchd:${x.name}`])))
    for (const l of await tunnelPortLines(h)) out.push(`  ${h.name.padEnd(10)} tunnel ${l}`);
  if (s.failNextStart?.length) out.push(`  fail-next-start armed: ${s.failNextStart.join(', ')} (neutron-agent start will begin an agent that exits)`);
  out.push('VMs:');
  for (const v of Object.values(s.vms).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = ports.find((x) => x.id === v.portId);
    out.push(
      `  ${v.name.padEnd(18)} on ${v.host.padEnd(10)} ${(v.network ?? 'vxlan').padEnd(5)} ${v.ip.padEnd(13)} ${v.mac} port ${v.portId.slice(0, 8)} ${p?.status ?? 'GONE'}`,
    );
  }
  return out;
}
