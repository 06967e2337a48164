/**
 * Agent liveness (neutron `is_agent_down`: down iff now - heartbeat > agent_down_time) and the
 * `agent_down` finding, on the real report_state heartbeats of the ovs-node capture with one host's
 * reports cut off (as after a SIGKILL), judged at the model's clock.
 */
import { describe, expect, it } from 'vitest';
import {
  AGENT_DOWN_TIME_MS,
  ClusterModel,
  type DriftItem,
  type NodeAnalysis,
  type LivenessMemo,
  agentDownKey,
  agentLiveness,
  agentsAt,
  decodeMessage,
  isAgentAlive,
  nextAgentDownAt,
  withAgentLiveness,
} from '../src';
import { loadCapture } from './fixtures';

const T = Date.parse('2026-11-22T01:48:19.466Z');

describe('isAgentAlive / agentLiveness', () => {
  it('is alive up to and including agent_down_time after the last report, down after it', () => {
    expect(isAgentAlive(T, T)).toBe(true);
    expect(isAgentAlive(T, T + AGENT_DOWN_TIME_MS)).toBe(true);
    expect(isAgentAlive(T, T + AGENT_DOWN_TIME_MS + 1)).toBe(false);
    expect(isAgentAlive(T, T + 10_001, 10_000)).toBe(false);
    expect(agentLiveness(null, T)).toBeNull();
    expect(agentLiveness(T, T + 1000)).toEqual({ alive: true, lastReportAt: '2026-11-22T01:48:19.466Z' });
    expect(agentLiveness(T, T + AGENT_DOWN_TIME_MS + 1)).toEqual({
      alive: false,
      lastReportAt: '2026-11-22T01:48:19.466Z',
      downSince: '2026-11-22T01:49:34.466Z',
    });
  });

  it('says when the next agent crosses agent_down_time', () => {
    const hosts = [
      { name: 'a', lastReportAt: T },
      { name: 'b', lastReportAt: T + 5000 },
      { name: null, lastReportAt: null },
    ];
    expect(nextAgentDownAt(hosts, T)).toBe(T + AGENT_DOWN_TIME_MS + 1);
    expect(nextAgentDownAt(hosts, T + AGENT_DOWN_TIME_MS + 1)).toBe(T + 5000 + AGENT_DOWN_TIME_MS + 1);
    expect(nextAgentDownAt(hosts, T + 5000 + AGENT_DOWN_TIME_MS + 1)).toBeNull();
  });
});

describe('agent_down on real report_state heartbeats (ovs-node capture)', () => {
  const records = loadCapture('ovs-node');
  /** Replay, dropping compute2's report_states after `cut` (its agent was killed then). */
  function replay(until: number, cut: number): ClusterModel {
    const m = new ClusterModel();
    let seq = 0;
    for (const r of records) {
      if (r.ts.getTime() > until) break;
      const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
      if (!d.ok) continue;
      if (d.message.kind === 'report_state' && d.message.agent.host === 'compute2' && r.ts.getTime() > cut) continue;
      m.apply(d.message, r.ts.getTime(), ++seq);
    }
    return m;
  }

  it('opens when the model clock passes agent_down_time after the last report, and closes on the next report', () => {
    // compute2's last report is at 01:48:19.466; the others keep reporting and advance the clock
    const before = replay(Date.parse('2026-11-22T01:49:22Z'), T);
    expect(before.clock).toBe(Date.parse('2026-11-22T01:49:21.301Z'));
    expect(agentsAt(before.snapshot().hosts, before.clock).get('compute2')).toEqual({ alive: true, lastReportAt: '2026-11-22T01:48:19.466Z' });

    const after = replay(Date.parse('2026-11-22T01:49:50Z'), T);
    // compute1's report at 01:49:46.676 is the latest message kept: past 01:48:19.466 + 75 s
    expect(after.clock).toBe(Date.parse('2026-11-22T01:49:46.676Z'));
    const agents = agentsAt(after.snapshot().hosts, after.clock);
    expect(agents.get('compute2')).toEqual({ alive: false, lastReportAt: '2026-11-22T01:48:19.466Z', downSince: '2026-11-22T01:49:34.466Z' });
    expect([...agents].filter(([, l]) => l.alive).map(([h]) => h)).toEqual(['compute1', 'controller', 'ovs1']);

    const drift: DriftItem = {
      class: 'missing_unicast',
      network: 'n1',
      mac: 'fa:16:3e:00:00:01',
      ip: null,
      vtep: '10.0.0.1',
      dev: 'vxlan-1',
      detail: 'x',
      evidence: [],
    };
    const plain: NodeAnalysis = {
      hosts: {
        compute2: { mode: {} as never, drift: [drift], foreignMacs: [], flood: {}, snapshot: null },
        compute3: { mode: {} as never, drift: [], foreignMacs: [], flood: {}, snapshot: null },
      },
      findings: [],
    };
    const memo: LivenessMemo = new WeakMap();
    const a = withAgentLiveness(plain, agents, {}, memo);
    expect(a.findings).toHaveLength(1);
    expect(a.findings[0]).toMatchObject({ kind: 'agent_down', network: 'agent:compute2', vni: null, hosts: ['compute2'] });
    expect(a.findings[0]!.detail).toContain('2026-11-22T01:48:19.466Z');
    expect(a.findings[0]!.detail).toContain('agent_down_time (75 s)');
    expect(a.findings[0]!.evidence).toEqual([
      {
        host: 'compute2',
        source: 'report_state',
        file: null,
        text: 'last report_state 2026-11-22T01:48:19.466Z; agent_down_time 75 s; down since 2026-11-22T01:49:34.466Z',
      },
    ]);
    expect(a.hosts.compute2!.agent).toEqual(agents.get('compute2'));
    expect(a.hosts.compute2!.drift[0]!.causes).toEqual([agentDownKey('compute2')]);
    expect(plain.hosts.compute2!.drift[0]!.causes).toBeUndefined(); // input untouched
    expect(a.hosts.compute3!.agent).toBeNull(); // never reported (yet)
    // the same input and liveness give the same objects (the worker compares by identity)
    expect(withAgentLiveness(plain, agents, {}, memo).hosts.compute2).toBe(a.hosts.compute2);

    // compute2 reports again: alive, the finding is gone, drift no longer references it
    const again = replay(Date.parse('2026-11-22T01:49:50Z'), Infinity);
    const back = withAgentLiveness(plain, agentsAt(again.snapshot().hosts, again.clock), {}, memo);
    expect(back.findings).toEqual([]);
    expect(back.hosts.compute2!.agent).toEqual({ alive: true, lastReportAt: '2026-11-22T01:49:49.470Z' });
    expect(back.hosts.compute2!.drift[0]!.causes).toBeUndefined();
  });

  it('takes agent_down_time as configured', () => {
    const m = replay(Date.parse('2026-11-22T01:48:45Z'), T);
    // 01:48:44.839 - 01:48:19.466 = 25.4 s: alive at 75 s, down at 20 s
    expect(agentsAt(m.snapshot().hosts, m.clock).get('compute2')!.alive).toBe(true);
    expect(agentsAt(m.snapshot().hosts, m.clock, { agentDownTimeMs: 20_000 }).get('compute2')!.alive).toBe(false);
  });

  it('moves the clock on without a message (a live tap hearing silence), never back', () => {
    const m = replay(Date.parse('2026-11-22T01:48:45Z'), T);
    const clock = m.clock;
    expect(m.advanceClock(clock - 1)).toBe(false);
    expect(m.clock).toBe(clock);
    expect(agentsAt(m.snapshot().hosts, m.clock).get('compute2')!.alive).toBe(true);
    // 75 s after compute2's last report, with no message in between: down by the clock alone
    expect(m.advanceClock(T + AGENT_DOWN_TIME_MS + 1)).toBe(true);
    expect(agentsAt(m.snapshot().hosts, m.clock).get('compute2')).toEqual({
      alive: false,
      lastReportAt: new Date(T).toISOString(),
      downSince: new Date(T + AGENT_DOWN_TIME_MS).toISOString(),
    });
  });

  it('restores the clock from a snapshot', () => {
    const m = replay(Infinity, Infinity);
    expect(ClusterModel.fromSnapshot(m.snapshot()).clock).toBeLessThanOrEqual(m.clock);
    expect(ClusterModel.fromSnapshot(m.snapshot()).clock).toBeGreaterThanOrEqual(Date.parse('2026-11-22T01:51:06.486Z'));
  });
});
