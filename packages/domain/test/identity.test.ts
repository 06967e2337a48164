/** Host identity of node agents: users to hosts, routing keys, agreement of user, key and body, snapshot order. */
import { describe, expect, it } from 'vitest';
import { hostOfNodeUser, isNewerSnapshot, nodeIdentityMismatch, parseNodeRoutingKey } from '../src';

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
