/**
 * The admin toggles on an Open vSwitch host of the real lab (docs/toggles.md#ovs): l2scope's worker
 * (with its command key) taps the lab's broker, the node agents hold its public key, and the test
 * plays the API through the db repositories (as toggles.lab.test.ts does for Linux bridge).
 *
 * Lab: controller and compute1 (Linux bridge), ovs1 and ovs2 (Open vSwitch), l2pop on, ARP
 * responder off; one VM on controller, compute1 and ovs1, none on ovs2 (so no l2pop entry ever
 * needs a tunnel to ovs2). While each job runs, the test reads ovs1's br-tun itself
 * (`ovs-ofctl dump-flows br-tun`) every 200 ms.
 * 1. ovs1 l2_population off: the plan predicts `no_tunnel_to_linuxbridge`; the job ends `done`
 *    only once br-tun holds one cookie, not the one before the restart (every sample taken while
 *    the job was `done` shows it); br-tun then has a full-mesh tunnel to ovs2 only, none to the
 *    Linux bridge hosts.
 * 2. ovs1 l2_population back on: `done` under one new cookie again; the tunnel port to ovs2 that
 *    flood-and-learn made is reported as `stale_tunnel_port` with its evidence when OVS still
 *    holds it, or shown absent; every VM pair pings.
 * Lab: that shape, no VM (`ensureLab`, ensure-lab.ts; left up for the next file). Needs root on Debian 12.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, advanceToggleJob, closeDb, createToggleJobs, getToggleJob, openDb } from '@l2scope/db';
import { FINAL_JOB_STATES, type ModeChange, type ToggleJobView, cookieCounts, parseBrTun, parseOfctlFlows, parseOvsTunnelPorts } from '@l2scope/domain';
import { agentOf } from '../src/agents';
import { waitFor } from '../src/exec';
import { ovsOfctl, ovsVsctl } from '../src/ovs';
import { pingMatrix } from '../src/ping';
import { lab, startModelSource, state, untilNodes, type ModelSource } from './helpers';
import { ensureLab } from './ensure-lab';

const HOST = 'ovs1';
const LB = ['controller', 'compute1'];
const OVS = ['ovs1', 'ovs2'];
const ALL = [...LB, ...OVS];
/** Hosts with one VM on the lab network; ovs2 has none. */
const WITH_VM = [...LB, HOST];
const OVS2_VTEP = '10.0.20.22';
/** The worker's verification deadline (s). */
const TOGGLE_DEADLINE_S = 120;
/** From approval to the job's final state (ms). */
const JOB_DEADLINE_MS = 240_000;

let tmp: string;
let worker: ModelSource | undefined;
let db: Db | undefined;

/** One reading of ovs1's br-tun, as OVS holds it. */
interface BrTunSample {
  at: number;
  state: string;
  cookies: string[];
}

/** ovs1's br-tun as OVS holds it: the flows' cookies, the tunnel ports, which of them table 0 uses. */
async function readBrTun(): Promise<{
  cookies: { cookie: string; flows: number }[];
  ports: { name: string; ofport: number | null; remoteIp: string }[];
  inUse: string[];
}> {
  const h = state().hosts[HOST]!;
  const [flows, ports] = await Promise.all([
    ovsOfctl(h, ['--no-names', 'dump-flows', 'br-tun']),
    ovsVsctl(h, ['--format=json', '--columns=name,ofport,type,options', 'list', 'Interface']),
  ]);
  const parsed = parseOfctlFlows(String(flows.stdout)).flows;
  const tunnels = parseOvsTunnelPorts(String(ports.stdout));
  const table0 = parseBrTun(parsed).tunnelOfports;
  return {
    cookies: cookieCounts(parsed),
    ports: tunnels.map((p) => ({ name: p.name, ofport: p.ofport, remoteIp: p.remoteIp })),
    inUse: tunnels
      .filter((p) => p.ofport !== null && table0.includes(p.ofport))
      .map((p) => p.remoteIp)
      .sort(),
  };
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('test:lab needs root (network namespaces, apt)');
  // 2 Linux bridge + 2 OVS hosts in l2pop mode without the ARP responder, and no VM: every VM is
  // made after the worker starts, so that it sees every port's casts
  await ensureLab({ hosts: 2, ovsHosts: 2, mode: { l2pop: true, arp: false } });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'l2scope-test-ovs-toggles-'));
  const key = path.join(tmp, 'command-key.pem');
  const dbUrl = `file:${path.join(tmp, 'l2scope.db')}`;
  worker = await startModelSource(state().amqpUrl, dbUrl, ['--command-key', key, '--toggle-deadline', String(TOGGLE_DEADLINE_S)]);
  const pub = path.join(tmp, 'command-key.pub.pem');
  expect(existsSync(pub), `the worker made no public key at ${pub}`).toBe(true);
  await lab('agents', 'stop');
  await lab('agents', 'start', '--command-public-key', pub);
  db = await openDb(dbUrl);
  // the VMs after the worker, so it sees every port's casts: one on each host but ovs2
  for (const h of WITH_VM) await lab('vm', 'add', '--host', h);
  await zeroDriftEverywhere('VMs up');
  // the plan predicts from report_state: wait until every host with a VM has reported (every 30 s)
  // and the model holds its membership under its name, not under an anonymous `vtep:<ip>` record
  await waitFor(
    'every host with a VM named in the model with its network',
    async () => {
      const m = await worker!.snapshot();
      return WITH_VM.every((h) => m.hosts.some((x) => x.name === h && x.vtep !== null && Object.keys(x.networks).length > 0)) || undefined;
    },
    120_000,
    1000,
  );
});

afterAll(async () => {
  if (db) await closeDb(db);
  await lab('agents', 'stop').catch((e: Error) => console.error(e.message));
  if (worker) await worker.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Wait until the worker's analysis shows every host with a snapshot and zero drift. */
async function zeroDriftEverywhere(label: string): Promise<void> {
  await untilNodes(
    worker!,
    `${label}: zero drift on every host`,
    (v) => ALL.every((h) => v.analysis?.hosts[h]?.snapshot && v.analysis.hosts[h].drift.length === 0),
    180_000,
  );
}

function describeJob(j: ToggleJobView | null): string {
  if (!j) return 'missing';
  return [
    `${j.id} ${j.host} ${j.state}${j.error ? ` (${j.error})` : ''}`,
    ...j.steps.map((s) => `  ${s.at} ${s.step} ${s.outcome}: ${s.detail}`),
    ...j.evidence.map((l) => `  evidence: ${l}`),
  ].join('\n');
}

/** Poll the job until `check` holds (1 s), or throw with its steps. */
async function untilJob(id: string, label: string, check: (j: ToggleJobView) => boolean, timeoutMs: number): Promise<ToggleJobView> {
  const t0 = Date.now();
  for (;;) {
    const j = await getToggleJob(db!, id);
    if (j && check(j)) return j;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${label}: not reached after ${timeoutMs} ms; job ${describeJob(j)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Plan (as the API does: a job, the worker's plan), approve, and follow the job to its final state
 * while reading ovs1's br-tun every 200 ms (each sample with the job's state read just before).
 */
async function toggle(change: ModeChange): Promise<{ plan: ToggleJobView; end: ToggleJobView; samples: BrTunSample[] }> {
  const [created] = await createToggleJobs(db!, { hosts: [HOST], change, inPlace: false, requestedBy: 'lab-test', origin: 'ovs-toggles.lab.test.ts' });
  const plan = await untilJob(created!.id, 'plan stored', (j) => j.plan !== null, 60_000);
  console.log(
    `job ${plan.id}: plan ${plan.plan!.method}, predicted ${plan.plan!.predicted.map((p) => `${p.kind}(${p.severity}: ${p.hosts.join(',')})`).join(' ') || 'none'}`,
  );
  expect(plan.plan!.applicable, describeJob(plan)).toBe(true);
  expect(plan.plan!.method).toBe('restart');
  const approved = await advanceToggleJob(db!, plan.id, {
    from: 'planned',
    to: 'approved',
    actor: 'lab-test',
    approvedBy: 'lab-test',
    step: { at: new Date().toISOString(), step: 'approve', outcome: 'ok', detail: 'approved by lab-test' },
  });
  expect(approved?.state).toBe('approved');
  const samples: BrTunSample[] = [];
  const t0 = Date.now();
  for (;;) {
    const j = (await getToggleJob(db!, plan.id))!;
    const b = await readBrTun();
    samples.push({ at: Date.now(), state: j.state, cookies: b.cookies.map((c) => c.cookie) });
    if (FINAL_JOB_STATES.includes(j.state) || (j.state === 'failed' && j.steps.some((s) => s.step === 'rollback' && s.outcome === 'failed'))) {
      console.log(`job ${describeJob(j)}`);
      return { plan, end: j, samples };
    }
    if (Date.now() - t0 > JOB_DEADLINE_MS) throw new Error(`job not over after ${JOB_DEADLINE_MS} ms: ${describeJob(j)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The samples as `state: cookies` runs (consecutive equal readings once), for the log. */
function timeline(samples: BrTunSample[], t0: number): string {
  const out: string[] = [];
  let last = '';
  for (const s of samples) {
    const line = `${s.state}: ${s.cookies.join(' + ') || 'no flows'}`;
    if (line !== last) out.push(`  +${((s.at - t0) / 1000).toFixed(1)} s ${line}`);
    last = line;
  }
  return out.join('\n');
}

/**
 * What every toggle of ovs1 must show: done; a `br_tun` step; br-tun's cookie before the restart
 * (as OVS held it, `before`) gone; every sample taken while the job was `done` shows exactly one
 * cookie, the new one, which OVS still holds now.
 */
async function expectSingleNewCookie(r: Awaited<ReturnType<typeof toggle>>, before: string[]): Promise<string> {
  const { end, samples } = r;
  expect(end.state, describeJob(end)).toBe('done');
  expect(end.steps.map((s) => `${s.step}:${s.outcome}`)).toContain('br_tun:ok');
  const now = (await readBrTun()).cookies.map((c) => c.cookie);
  expect(now, 'br-tun holds the flows of one cookie').toHaveLength(1);
  expect(before).not.toContain(now[0]);
  const restart = Date.parse(end.steps.find((s) => s.step === 'restart_agent')!.at);
  console.log(
    `br-tun of ${HOST} while the job ran (before the restart: ${before.join(' + ')}; restart_agent step at +${((restart - samples[0]!.at) / 1000).toFixed(1)} s):\n${timeline(samples, samples[0]!.at)}`,
  );
  const done = samples.filter((s) => s.state === 'done');
  expect(done.length).toBeGreaterThan(0);
  for (const s of done) expect(s.cookies, `a sample taken while the job was done at ${new Date(s.at).toISOString()}`).toEqual(now);
  const two = samples.filter((s) => s.cookies.length > 1);
  console.log(
    `samples with two cookies (old flows not yet cleaned): ${two.length}${two.length ? `, in states ${[...new Set(two.map((s) => s.state))].join(', ')}` : ''}`,
  );
  expect(two.filter((s) => s.state === 'done')).toEqual([]);
  // the worker's own evidence names the same cookie
  expect(
    end.evidence.some((l) => l.startsWith('br_tun: ') && l.includes(`one cookie, ${now[0]}`)),
    describeJob(end),
  ).toBe(true);
  return now[0]!;
}

describe(`admin toggles on an Open vSwitch host of the real lab (${HOST}): br-tun under one new cookie, stale tunnel ports`, () => {
  let cookieOff = '';

  it(`${HOST} l2_population off: no_tunnel_to_linuxbridge predicted; done only under one new br-tun cookie; a full mesh to ovs2 alone`, async () => {
    const before = await readBrTun();
    console.log(`br-tun of ${HOST} before: cookies ${JSON.stringify(before.cookies)}, ports ${before.ports.map((p) => `${p.name}->${p.remoteIp}`).join(' ')}`);
    expect(before.cookies).toHaveLength(1);
    const r = await toggle({ l2_population: false });
    const warn = r.plan.plan!.predicted.find((p) => p.kind === 'no_tunnel_to_linuxbridge');
    expect(warn?.severity).toBe('warning');
    expect(warn?.hosts).toEqual([HOST, ...[...LB].sort()]);
    cookieOff = await expectSingleNewCookie(
      r,
      before.cookies.map((c) => c.cookie),
    );
    expect((await agentOf(HOST))?.configurations.l2_population).toBe(false);
    // flood-and-learn: tunnel_sync made a port to ovs2 (an OVS endpoint); table 0 uses only that one
    const b = await readBrTun();
    console.log(
      `br-tun of ${HOST} in flood-and-learn: ports ${b.ports.map((p) => `${p.name}(ofport ${p.ofport})->${p.remoteIp}`).join(' ')}; table 0 uses ${b.inUse.join(', ')}`,
    );
    expect(b.ports.map((p) => p.remoteIp)).toContain(OVS2_VTEP);
    expect(b.inUse).toEqual([OVS2_VTEP]);
  });

  it(`${HOST} l2_population back on: done under one new cookie; the tunnel port to ovs2 is a stale_tunnel_port (or shown absent); every pair pings`, async () => {
    expect(cookieOff).not.toBe('');
    const r = await toggle({ l2_population: true });
    expect(r.plan.plan!.predicted.map((p) => p.kind)).not.toContain('no_tunnel_to_linuxbridge');
    await expectSingleNewCookie(r, [cookieOff]);
    expect((await agentOf(HOST))?.configurations.l2_population).toBe(true);
    const b = await readBrTun();
    console.log(
      `br-tun of ${HOST} after l2pop on: ports ${b.ports.map((p) => `${p.name}(ofport ${p.ofport})->${p.remoteIp}`).join(' ')}; table 0 uses ${b.inUse.join(', ')}`,
    );
    expect(b.inUse).toEqual(['10.0.20.11', '10.0.20.12']);
    const toOvs2 = b.ports.find((p) => p.remoteIp === OVS2_VTEP);
    if (toOvs2) {
      const f = await untilNodes(
        worker!,
        `stale_tunnel_port of ${HOST}`,
        (v) => v.findings.find((x) => x.kind === 'stale_tunnel_port' && x.hosts.includes(HOST)),
        60_000,
      );
      console.log(`finding ${f.kind} ${f.network}: ${f.detail}\n  ${f.evidence.map((e) => `${e.file}: ${e.text}`).join('\n  ')}`);
      expect(f.network).toBe(`br-tun:${HOST}`);
      expect(f.detail).toContain(`${toOvs2.name} -> ${OVS2_VTEP}`);
      expect(f.evidence.map((e) => e.text)).toContain(`table=0 in_port=${toOvs2.ofport}: absent; table 20/22 output:${toOvs2.ofport}: absent`);
      // only ovs2's port is stale: the ports to the Linux bridge hosts are l2pop's again
      expect(f.detail).not.toMatch(/10\.0\.20\.1[12]/);
    } else {
      console.log(`no tunnel port to ${OVS2_VTEP} on ${HOST} after l2pop on: nothing stale to report`);
      const v = await worker!.nodes();
      expect(v.findings.filter((x) => x.kind === 'stale_tunnel_port')).toEqual([]);
    }
    await zeroDriftEverywhere('after off -> on');
    const vms = Object.values(state().vms).filter((v) => WITH_VM.includes(v.host));
    const ping = await pingMatrix(vms);
    console.log(`ping: ${ping.filter((p) => p.ok).length}/${ping.length} pairs pass`);
    expect(ping.filter((p) => !p.ok)).toEqual([]);
  });
});
