/**
 * Agent liveness on the real lab (issue 11): a host's neutron-linuxbridge-agent is SIGKILLed (a
 * crash: no clean shutdown, its RabbitMQ connection just goes). neutron-server marks it
 * `alive: false` once its last heartbeat is older than `agent_down_time`; l2scope's worker (tapping
 * the lab live, told the same settings) must say the same: the host's `agent.alive` false in its analysis
 * (`GET /api/nodes`) and an open `agent_down` finding, judged at the time Neutron judges it. Then
 * the agent is restarted the lab's way (`neutron-agent restart`): alive again, finding closed.
 *
 * The second case is a quiet lab: every agent is killed, so nothing is published any more. The
 * worker's clock must still move (the live tap is connected and drained: silence is a fact), so
 * both hosts go down without a single further message. Before the worker ticked its model's clock
 * with the wall clock, this waited forever.
 *
 * The lab runs short heartbeats (`lab up --report-interval 5 --agent-down-time 20`,
 * docs/lab.md#heartbeats) so that each verdict takes about 20 s instead of Neutron's default 75 s;
 * the logic judged is the same, and the worker is told the same two values
 * (`--report-interval 5 --agent-down-time 20`), as an operator tells it a cloud's settings.
 *
 * Lab: 2 Linux bridge hosts with those heartbeats, no VM (`ensureLab`, ensure-lab.ts; left up). Needs
 * root on Debian 12. Waits on state only (deadlines cover agent_down_time + a report interval + slack).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentLiveness, FindingView } from '@l2scope/domain';
import { agentKey } from '../src/agents';
import { listAgents, type NeutronAgent } from '../src/api';
import { isRunning, type ProcRecord } from '../src/procs';
import { lab, startModelSource, state, untilNodes, type ModelSource, type NodesView } from './helpers';
import { ensureLab } from './ensure-lab';

const HOSTS = ['controller', 'compute1'];
/** The lab's agents' report_interval and neutron-server's agent_down_time (seconds), told to the worker too. */
const REPORT_INTERVAL_S = 5;
const AGENT_DOWN_TIME_S = 20;
const AGENT_DOWN_TIME_MS = AGENT_DOWN_TIME_S * 1000;
/** How long a wait for a down verdict may take: agent_down_time, a report interval, slack for a busy machine. */
const DOWN_DEADLINE_MS = AGENT_DOWN_TIME_MS + REPORT_INTERVAL_S * 1000 + 90_000;

let worker: ModelSource;
let tmp: string;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('test:lab needs root (network namespaces, apt)');
  await ensureLab({
    hosts: HOSTS.length,
    heartbeats: { reportInterval: REPORT_INTERVAL_S, agentDownTime: AGENT_DOWN_TIME_S },
    mode: { l2pop: true, arp: false },
  });
  const heartbeats = ['--report-interval', String(REPORT_INTERVAL_S), '--agent-down-time', String(AGENT_DOWN_TIME_S)];
  tmp = mkdtempSync(path.join(os.tmpdir(), 'l2scope-liveness-lab-'));
  worker = await startModelSource(state().amqpUrl, `file:${path.join(tmp, 'l2scope.db')}`, heartbeats);
});

afterAll(async () => {
  if (worker) await worker.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The host's agent liveness in the worker's latest analysis, or undefined. */
const agentIn = (v: NodesView, host: string): AgentLiveness | null | undefined => v.analysis?.hosts[host]?.agent;
/** The open agent_down finding of a host, if any. */
const downFinding = (v: NodesView, host: string): FindingView | undefined => v.findings.find((f) => f.kind === 'agent_down' && f.network === `agent:${host}`);

/** Poll neutron-server's API until the host's agent row satisfies `check`. */
async function untilApi(host: string, label: string, check: (a: NeutronAgent) => boolean, timeoutMs = DOWN_DEADLINE_MS): Promise<NeutronAgent> {
  const t0 = Date.now();
  for (;;) {
    const a = (await listAgents(host))[0];
    if (a && check(a)) return a;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${label}: not seen in the API after ${timeoutMs} ms: ${JSON.stringify(a)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** SIGKILL the host's agent process (its pid from the lab's state.json), and wait until it is gone. */
async function killAgent(host: string): Promise<ProcRecord> {
  const rec = state().procs[agentKey(host)];
  if (!rec || !isRunning(rec)) throw new Error(`${host}: no running agent in the lab state`);
  process.kill(rec.pid, 'SIGKILL');
  const t0 = Date.now();
  while (isRunning(rec)) {
    if (Date.now() - t0 > 10_000) throw new Error(`${host}: pid ${rec.pid} still runs after SIGKILL`);
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`${host}: SIGKILLed neutron-linuxbridge-agent pid ${rec.pid}`);
  return rec;
}

/** The model's receive time (epoch ms) of the host's last report_state. */
async function lastReportAt(host: string): Promise<number> {
  const h = (await worker.snapshot()).hosts.find((x) => x.name === host);
  if (!h?.lastReportAt) throw new Error(`${host}: no report_state in l2scope's model`);
  return h.lastReportAt;
}

describe('agent liveness on the real lab', () => {
  it('every agent alive in l2scope and in Neutron at start', async () => {
    await untilNodes(worker, 'both agents alive in l2scope', (v) => HOSTS.every((h) => agentIn(v, h)?.alive === true) && v, 120_000);
    const api = await listAgents();
    for (const h of HOSTS) expect(api.find((a) => a.host === h)?.alive).toBe(true);
  });

  it('SIGKILL of one agent: l2scope says down with an open agent_down, as Neutron does; a restart brings it back', async () => {
    const host = 'compute1';
    await killAgent(host);
    const v = await untilNodes(worker, `${host} down in l2scope`, (x) => agentIn(x, host)?.alive === false && downFinding(x, host) && x, DOWN_DEADLINE_MS);
    const seenAt = Date.now();
    const last = await lastReportAt(host);
    const agent = agentIn(v, host)!;
    expect(agent).toEqual({ alive: false, lastReportAt: new Date(last).toISOString(), downSince: new Date(last + AGENT_DOWN_TIME_MS).toISOString() });
    expect(downFinding(v, host)!.hosts).toEqual([host]);
    expect(agentIn(v, 'controller')?.alive).toBe(true);
    expect(v.findings.filter((f) => f.kind === 'agent_down')).toHaveLength(1);
    // Neutron agrees: its own heartbeat is older than agent_down_time now
    const api = await untilApi(host, `${host} alive: false`, (a) => !a.alive, 30_000);
    console.log(
      `${host}: last report_state ${agent.lastReportAt}, l2scope down ${((seenAt - last) / 1000).toFixed(1)} s after it; Neutron heartbeat ${api.heartbeat_timestamp}, alive ${api.alive}`,
    );
    expect((await listAgents('controller'))[0]?.alive).toBe(true);

    await lab('neutron-agent', 'restart', '--host', host);
    const back = await untilNodes(worker, `${host} alive again`, (x) => agentIn(x, host)?.alive === true && !downFinding(x, host) && x, 120_000);
    expect(Date.parse(agentIn(back, host)!.lastReportAt)).toBeGreaterThan(last);
    expect(back.findings.filter((f) => f.kind === 'agent_down')).toEqual([]);
    expect((await listAgents(host))[0]?.alive).toBe(true);
  });

  it('a quiet lab (every agent killed, nothing published): both go down by the clock alone, and come back', async () => {
    for (const h of HOSTS) await killAgent(h);
    const lasts = await Promise.all(HOSTS.map((h) => lastReportAt(h)));
    const v = await untilNodes(
      worker,
      'both down on a silent bus',
      (x) => HOSTS.every((h) => agentIn(x, h)?.alive === false && downFinding(x, h)) && x,
      DOWN_DEADLINE_MS,
    );
    // no report_state came after the kills: the verdict is the clock's, not a message's
    expect(await Promise.all(HOSTS.map((h) => lastReportAt(h)))).toEqual(lasts);
    for (const [i, h] of HOSTS.entries()) expect(agentIn(v, h)!.downSince).toBe(new Date(lasts[i]! + AGENT_DOWN_TIME_MS).toISOString());
    for (const h of HOSTS) await untilApi(h, `${h} alive: false`, (a) => !a.alive, 30_000);

    for (const h of HOSTS) await lab('neutron-agent', 'restart', '--host', h);
    await untilNodes(worker, 'both alive again', (x) => HOSTS.every((h) => agentIn(x, h)?.alive === true && !downFinding(x, h)) && x, 120_000);
    for (const h of HOSTS) expect((await listAgents(h))[0]?.alive).toBe(true);
  });
});
