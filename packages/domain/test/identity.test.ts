/** Host identity of node agents, the VTEP-conflict rule on real report_state captures, and the printed RabbitMQ commands. */
import { describe, expect, it } from 'vitest';
import {
  AGENT_DOWN_TIME_MS,
  ClusterModel,
  decodeMessage,
  hostOfNodeUser,
  isNewerSnapshot,
  nodeAgentTopicPattern,
  nodeIdentityMismatch,
  parseNodeRoutingKey,
  rabbitmqCommands,
  vtepClaimConflict,
  vtepConflictFinding,
} from '../src';
import { loadCapture } from './fixtures';

describe('node agent identity', () => {
  it('maps users to hosts by convention, or by an explicit map first', () => {
    expect(hostOfNodeUser('l2scope-agent-compute1')).toBe('compute1');
    expect(hostOfNodeUser('l2scope-agent-hv.dc1.example')).toBe('hv.dc1.example');
    expect(hostOfNodeUser('l2scope-agent-')).toBeNull();
    expect(hostOfNodeUser('guest')).toBeNull();
    expect(hostOfNodeUser(undefined)).toBeNull();
    expect(hostOfNodeUser('svc-a', { 'svc-a': 'compute9' })).toBe('compute9');
    expect(hostOfNodeUser('l2scope-agent-compute1', { 'l2scope-agent-compute1': 'compute2' })).toBe('compute2');
  });

  it('splits routing keys, host names with dots included', () => {
    expect(parseNodeRoutingKey('snapshot.hv.dc1')).toEqual({ kind: 'snapshot', host: 'hv.dc1' });
    expect(parseNodeRoutingKey('bum.compute1')).toEqual({ kind: 'bum', host: 'compute1' });
    expect(parseNodeRoutingKey('snapshot.')).toBeNull();
    expect(parseNodeRoutingKey('command.compute1')).toBeNull();
  });

  it('accepts only when user, routing key and body agree', () => {
    const ok = { userId: 'l2scope-agent-a', keyHost: 'a', bodyHost: 'a' };
    expect(nodeIdentityMismatch(ok)).toBeNull();
    expect(nodeIdentityMismatch({ ...ok, keyHost: 'b', bodyHost: 'b' })).toMatch(/user l2scope-agent-a \(host a\) published with routing key host b/);
    expect(nodeIdentityMismatch({ ...ok, bodyHost: 'b' })).toMatch(/body names host b/);
    expect(nodeIdentityMismatch({ ...ok, userId: undefined })).toMatch(/no user_id/);
    expect(nodeIdentityMismatch({ ...ok, userId: 'guest' })).toMatch(/no node agent's user/);
  });

  it('orders snapshots by seq within an agent process, by takenAt across restarts', () => {
    const held = { instance: 'i1', seq: 5, takenAt: '2026-12-05T08:00:00.000Z' };
    expect(isNewerSnapshot(undefined, held)).toBe(true);
    expect(isNewerSnapshot(held, { ...held, seq: 6 })).toBe(true);
    expect(isNewerSnapshot(held, { ...held, seq: 5 })).toBe(false);
    expect(isNewerSnapshot(held, { ...held, seq: 4, takenAt: '2026-12-05T09:00:00.000Z' })).toBe(false);
    expect(isNewerSnapshot(held, { instance: 'i2', seq: 1, takenAt: '2026-12-05T08:00:01.000Z' })).toBe(true);
    expect(isNewerSnapshot(held, { instance: 'i0', seq: 99, takenAt: '2026-12-05T07:59:59.000Z' })).toBe(false);
  });
});

describe('vtep_conflict', () => {
  it('is a conflict only against another named, live owner of the same VTEP', () => {
    const owner = { name: 'compute1', vtep: '10.0.20.12', lastReportAt: 1000 };
    const claim = { host: 'compute2', vtep: '10.0.20.12', at: 1000 + AGENT_DOWN_TIME_MS };
    expect(vtepClaimConflict(claim, owner)).toEqual({ vtep: '10.0.20.12', owner: 'compute1', claimant: 'compute2', ownerLastReportAt: 1000, at: claim.at });
    expect(vtepClaimConflict({ ...claim, at: claim.at + 1 }, owner)).toBeNull(); // owner down: a takeover
    expect(vtepClaimConflict(claim, { ...owner, name: null })).toBeNull(); // VTEP known only from casts
    expect(vtepClaimConflict({ ...claim, host: 'compute1' }, owner)).toBeNull();
    expect(vtepClaimConflict(claim, undefined)).toBeNull();
    const f = vtepConflictFinding(vtepClaimConflict(claim, owner)!);
    expect(f).toMatchObject({ kind: 'vtep_conflict', network: 'vtep:10.0.20.12', vni: null, hosts: ['compute1', 'compute2'] });
    expect(f.evidence.map((e) => [e.host, e.source])).toEqual([
      ['compute1', 'report_state'],
      ['compute2', 'report_state'],
    ]);
  });

  it("keeps a live host's VTEP when a real report_state of another host claims it (lab3 capture)", () => {
    const reports = loadCapture('lab3').filter((r) => r.routingKey === 'q-reports-plugin');
    const byHost = new Map(
      reports.map((r) => {
        const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
        if (!d.ok || d.message.kind !== 'report_state') throw new Error('not a report_state');
        return [d.message.agent.host, { body: new TextDecoder().decode(r.body), ip: d.message.agent.tunnelingIp! }];
      }),
    );
    const c1 = byHost.get('compute1')!;
    const c2 = byHost.get('compute2')!;
    const apply = (m: ClusterModel, body: string, at: number, seq: number) => {
      const d = decodeMessage({ exchange: 'neutron', routingKey: 'q-reports-plugin', body: new TextEncoder().encode(body) });
      if (!d.ok) throw new Error('undecodable');
      return m.apply(d.message, at, seq);
    };
    const m = new ClusterModel();
    apply(m, c1.body, 1000, 1);
    apply(m, c2.body, 1000, 2);
    // compute2's real report, its tunneling_ip replaced by compute1's
    const forged = c2.body.split(c2.ip).join(c1.ip);
    apply(m, forged, 20_000, 3);
    expect(m.host('compute1')!.vtep).toBe(c1.ip);
    expect(m.host('compute2')!.vtep).toBeNull();
    expect(m.hostOfVtep(c1.ip)).toBe('compute1');
    expect(m.vtepConflicts()).toEqual([{ vtep: c1.ip, owner: 'compute1', claimant: 'compute2', ownerLastReportAt: 1000, at: 20_000 }]);
    // compute2 reports its own IP again: the conflict is gone
    apply(m, c2.body, 30_000, 4);
    expect(m.vtepConflicts()).toEqual([]);
    expect(m.host('compute2')!.vtep).toBe(c2.ip);
    // compute1's agent is down (no report for longer than agent_down_time): compute2 takes the VTEP over
    apply(m, forged, 1000 + AGENT_DOWN_TIME_MS + 1, 5);
    expect(m.vtepConflicts()).toEqual([]);
    expect(m.hostOfVtep(c1.ip)).toBe('compute2');
    expect(m.host('compute1')!.vtep).toBeNull();
  });
});

describe('rabbitmq commands', () => {
  it('gives each agent a topic permission on its own routing keys only', () => {
    const pattern = new RegExp(nodeAgentTopicPattern('hv.dc1'));
    expect(pattern.test('snapshot.hv.dc1')).toBe(true);
    expect(pattern.test('bum.hv.dc1')).toBe(true);
    expect(pattern.test('snapshot.hvXdc1')).toBe(false);
    expect(pattern.test('snapshot.hv.dc1.other')).toBe(false);
    const lines = rabbitmqCommands({ vhost: '/', hosts: ['compute1'] });
    expect(lines).toContain("rabbitmqctl set_topic_permissions -p '/' 'l2scope-agent-compute1' 'l2scope.node' '^(snapshot|bum)\\.compute1$' '^$'");
    expect(lines).toContain("rabbitmqctl set_permissions -p '/' 'l2scope-agent-compute1' '^$' '^l2scope\\.node$' '^$'");
    expect(lines.some((l) => l.startsWith("rabbitmqctl set_permissions -p '/' 'l2scope' '^(l2scope\\.tap\\..*|l2scope\\.node)$'"))).toBe(true);
    expect(lines.some((l) => l.includes('l2scope.command'))).toBe(true);
    expect(() => rabbitmqCommands({ hosts: ['a b'] })).toThrow(/not a host name/);
  });
});
