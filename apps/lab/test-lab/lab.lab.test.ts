/**
 * `npm run test:lab`: a real Neutron lab (3 Linux bridge hosts) tapped live by l2scope's worker.
 * In Lab2 and Lab3 it creates and deletes VMs, changes a VM's IP and restarts an agent; after each
 * step l2scope's model must equal what neutron-server's API says (hosts, ports) and what the
 * kernels hold (permanent FDB rows on vxlan-<VNI>, PERMANENT neighbours in Lab3). Replaces any
 * running lab, and tears the lab down at the end. Needs root on Debian 12.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pingMatrix } from '../src/ping';
import { compareAll, converge, lab, startModelSource, state, type ModelSource } from './helpers';

const timings: [string, number][] = [];
let worker: ModelSource;
let tmp: string;
const t0 = Date.now();

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t = Date.now();
  const r = await fn();
  timings.push([label, Date.now() - t]);
  return r;
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('test:lab needs root (network namespaces, apt)');
  await timed('down (any previous lab)', () => lab('down'));
  await timed('up --hosts 3 --no-vms', () => lab('up', '--hosts', '3', '--l2pop', 'on', '--arp-responder', 'off', '--no-vms'));
  tmp = mkdtempSync(path.join(os.tmpdir(), 'l2scope-test-lab-'));
  const src = await timed('model source healthy', () => startModelSource(state().amqpUrl, `file:${path.join(tmp, 'l2scope.db')}`));
  console.log(`test:lab reads l2scope's model from the ${src.kind}`);
  worker = src;
});

afterAll(async () => {
  if (worker) await worker.stop();
  await timed('down', () => lab('down')).catch((e: Error) => console.error(e.message));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  console.log(['test:lab timings:', ...timings.map(([l, ms]) => `  ${l}: ${(ms / 1000).toFixed(1)} s`), `  total: ${((Date.now() - t0) / 1000).toFixed(1)} s`].join('\n'));
});

describe.each([
  ['lab2', 'off'],
  ['lab3', 'on'],
])('%s: l2scope model == neutron-server API == kernel after every step', (name, arp) => {
  it('switches every agent cleanly', async () => {
    await timed(`${name}: mode all`, () => lab('mode', 'all', '--l2pop', 'on', '--arp-responder', arp));
    const s = state();
    for (const h of Object.values(s.hosts)) expect(h.mode).toEqual({ l2pop: true, arp: arp === 'on' });
    await converge(worker, `${name} mode switch`);
  });

  it('VMs on every host: ports, FDB (and neighbours) agree; every pair pings', async () => {
    for (const host of ['controller', 'compute1', 'compute2']) await timed(`${name}: vm add ${host}`, () => lab('vm', 'add', '--host', host));
    const c = await converge(worker, `${name} 3 VMs`);
    // each host holds a flood entry and a unicast entry for each of the other two hosts
    for (const host of ['controller', 'compute1', 'compute2']) expect(c.kernelFdb[host]).toHaveLength(4);
    for (const host of ['controller', 'compute1', 'compute2']) expect(c.kernelNeigh[host]).toHaveLength(arp === 'on' ? 2 : 0);
    const ping = await pingMatrix(Object.values(state().vms));
    expect(ping.filter((p) => !p.ok)).toEqual([]);
    expect(ping).toHaveLength(6);
  });

  it('a second VM on a host', async () => {
    await timed(`${name}: vm add controller (2nd)`, () => lab('vm', 'add', '--host', 'controller'));
    const c = await converge(worker, `${name} second VM`);
    expect(c.kernelFdb.compute1).toHaveLength(5);
  });

  it('a VM changes its IP (update_fdb_entries chg_ip)', async () => {
    await timed(`${name}: vm ip`, () => lab('vm', 'ip', '--host', 'compute1', '172.16.1.22'));
    const c = await converge(worker, `${name} ip change`);
    if (arp === 'on') expect(c.kernelNeigh.controller!.some((r) => r.startsWith('172.16.1.22 '))).toBe(true);
    expect(c.ports.some((p) => p.fixed_ips.some((f) => f.ip_address === '172.16.1.22'))).toBe(true);
  });

  it('an agent restarts', async () => {
    await timed(`${name}: agent restart compute1`, () => lab('agent', 'restart', 'compute1'));
    const c = await converge(worker, `${name} agent restart`);
    expect(c.kernelFdb.compute1!.length).toBeGreaterThan(0);
  });

  it('VMs are deleted', async () => {
    await timed(`${name}: vm del compute2`, () => lab('vm', 'del', '--host', 'compute2'));
    const c = await converge(worker, `${name} delete compute2`);
    expect(c.kernelFdb.controller!.some((r) => r.endsWith('dst 10.0.20.13'))).toBe(false);
    for (const host of ['controller', 'compute1']) await timed(`${name}: vm del --all ${host}`, () => lab('vm', 'del', '--host', host, '--all'));
    await converge(worker, `${name} all deleted`);
    const last = await compareAll(worker);
    expect(last.ports.filter((p) => p.device_owner === 'compute:nova')).toEqual([]);
  });
});
