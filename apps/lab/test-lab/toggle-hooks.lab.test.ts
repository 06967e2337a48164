/**
 * The admin toggles' hooks on the real lab (docs/lab.md#toggle-hooks): a host's Neutron L2 agent
 * stopped, started and restarted by `neutron-agent`, run from INSIDE the host's namespace with the
 * argv l2scope's node agent gets (no npm, no shell), and the `fail-next-start` hook that makes the
 * agent not come back. Uses a running lab (and leaves it up), or brings one up with two hosts and
 * no VMs (left up; the suite's global setup takes it down at the end). Needs root on Debian 12.
 */
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentKey, agentOf, editAgentMode, iniMode } from '../src/agents';
import { startedAtMs, type NeutronAgent } from '../src/api';
import { neutronAgentArgv, type NeutronAgentAction } from '../src/neutron-agent';
import { hostNs } from '../src/paths';
import { isRunning } from '../src/procs';
import { loadState } from '../src/state';
import { lab, state } from './helpers';

const HOST = 'compute1';

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('test:lab needs root (network namespaces, apt)');
  const s = loadState();
  const running = s !== null && isRunning(s.procs.server) && s.hosts[HOST] !== undefined && isRunning(s.procs[agentKey(HOST)]);
  if (!running) {
    await lab('down');
    await lab('up', '--hosts', '2', '--no-vms');
  }
});

/** `ip netns exec l2lab-<host> <the node agent's --<action>-command argv>`: exit code and output. */
async function fromInsideHost(action: NeutronAgentAction, host = HOST): Promise<{ code: number; out: string }> {
  const r = await execa('ip', ['netns', 'exec', hostNs(host), ...neutronAgentArgv(host, action)], { reject: false, all: true, timeout: 300_000 });
  console.log(`[inside ${hostNs(host)}] neutron-agent ${action} --host ${host}: exit ${r.exitCode}\n${r.all}`);
  return { code: r.exitCode ?? -1, out: String(r.all) };
}

async function agent(host = HOST): Promise<NeutronAgent> {
  const a = await agentOf(host);
  if (!a) throw new Error(`no agent row for ${host}`);
  return a;
}

describe("a host's Neutron agent switched from inside its namespace, as l2scope's node agent does", () => {
  it('restart: the old process is stopped by PID, the new one recorded, and the API shows a new started_at', async () => {
    const before = await agent();
    const old = state().procs[agentKey(HOST)]!;
    const r = await fromInsideHost('restart');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`stopped pid ${old.pid}`);
    const after = await agent();
    expect(after.alive).toBe(true);
    expect(startedAtMs(after)).toBeGreaterThan(startedAtMs(before));
    const rec = state().procs[agentKey(HOST)]!;
    expect(rec.pid).not.toBe(old.pid);
    expect(isRunning(rec)).toBe(true);
    expect(isRunning(old)).toBe(false);
    console.log(`${HOST}: started_at ${before.started_at} -> ${after.started_at}, pid ${old.pid} -> ${rec.pid}`);
  });

  it("stop, then start on an ini edited by someone else: the agent and the lab's state follow the ini", async () => {
    const s = state();
    const h = s.hosts[HOST]!;
    const mode = iniMode(h);
    try {
      const stop = await fromInsideHost('stop');
      expect(stop.code, stop.out).toBe(0);
      expect(state().procs[agentKey(HOST)]).toBeUndefined();
      // what l2scope's set_mode does: the ini changes, the lab's record of the mode does not
      editAgentMode(h, { l2pop: !mode.l2pop, arp: false });
      const before = await agent();
      const start = await fromInsideHost('start');
      expect(start.code, start.out).toBe(0);
      const after = await agent();
      expect(startedAtMs(after)).toBeGreaterThan(startedAtMs(before));
      expect(after.configurations.l2_population ?? false).toBe(!mode.l2pop);
      expect(state().hosts[HOST]!.mode).toEqual({ l2pop: !mode.l2pop, arp: false });
    } finally {
      editAgentMode(h, mode);
    }
    const back = await fromInsideHost('restart');
    expect(back.code, back.out).toBe(0);
    expect((await agent()).configurations.l2_population ?? false).toBe(mode.l2pop);
    expect(state().hosts[HOST]!.mode).toEqual(mode);
  });

  it('fail-next-start: the restarted agent dies before it reports and does not come back; the hook is used up', async () => {
    expect(await lab('neutron-agent', 'fail-next-start', '--host', HOST)).toContain(`armed for ${HOST}`);
    expect(state().failNextStart).toContain(HOST);
    const before = await agent();
    const r = await fromInsideHost('restart');
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('exited before it reported');
    expect(r.out).toMatch(/Tunneling cannot be enabled without the local_ip bound to an interface/);
    // it does not come back: its process is gone and the API still shows the old start
    const rec = state().procs[agentKey(HOST)];
    expect(rec && isRunning(rec)).toBeFalsy();
    expect((await agent()).started_at).toBe(before.started_at);
    expect(state().failNextStart ?? []).not.toContain(HOST);
    // consumed once: the next start comes back
    const again = await fromInsideHost('start');
    expect(again.code, again.out).toBe(0);
    expect(startedAtMs(await agent())).toBeGreaterThan(startedAtMs(before));
  });

  it('every host restarted at once, each from inside its own namespace: every new PID is recorded', async () => {
    const hosts = Object.keys(state().hosts);
    const old = Object.fromEntries(hosts.map((h) => [h, state().procs[agentKey(h)]!.pid]));
    const before = Object.fromEntries(await Promise.all(hosts.map(async (h) => [h, startedAtMs(await agent(h))] as const)));
    const runs = await Promise.all(hosts.map((h) => fromInsideHost('restart', h)));
    for (const r of runs) expect(r.code, r.out).toBe(0);
    const s = state();
    for (const h of hosts) {
      const rec = s.procs[agentKey(h)]!;
      expect(rec.pid).not.toBe(old[h]);
      expect(isRunning(rec)).toBe(true);
      expect(startedAtMs(await agent(h))).toBeGreaterThan(before[h]!);
    }
  });
});
