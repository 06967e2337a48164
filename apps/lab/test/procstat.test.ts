import { describe, expect, it } from 'vitest';
import { isExited, parseProcStat } from '../src/procstat';
import { rankOf, staleLabQueues, stopOrder } from '../src/teardown';

describe('parseProcStat (proc(5))', () => {
  it('reads state, pgrp, session and start time, with a comm holding spaces and parentheses', () => {
    const line =
      '4242 (neutron-linuxbr (x) y) S 1 4242 4242 0 -1 4194560 9051 0 0 0 95 17 0 0 20 0 1 0 123456 262144000 20000 18446744073709551615 1 1 0 0 0 0 0 16781312 2 0 0 0 17 1 0 0 0 0 0';
    expect(parseProcStat(line)).toEqual({ pid: 4242, comm: 'neutron-linuxbr (x) y', state: 'S', ppid: 1, pgrp: 4242, session: 4242, startTime: 123456 });
  });
  it('rejects junk and knows zombies', () => {
    expect(parseProcStat('garbage')).toBeNull();
    expect(isExited('Z')).toBe(true);
    expect(isExited('S')).toBe(false);
  });
  it('parses this process', async () => {
    const { readFileSync } = await import('node:fs');
    const st = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
    expect(st?.pid).toBeGreaterThan(0);
    expect(st?.startTime).toBeGreaterThan(0);
  });
});

describe('teardown helpers', () => {
  it('stops dashboards and agents before OVS, relays, the server and the root relay', () => {
    expect(stopOrder(['relay', 'server', 'relay:controller', 'ovsdb:ovs1', 'vswitchd:ovs1', 'agent:ovs1', 'agent:compute1', 'l2scope:dashboard'])).toEqual([
      'l2scope:dashboard',
      'agent:compute1',
      'agent:ovs1',
      'vswitchd:ovs1',
      'ovsdb:ovs1',
      'relay:controller',
      'server',
      'relay',
    ]);
    expect(rankOf('something-else')).toBe(7);
  });
  it('picks only idle oslo queues', () => {
    const listing = [
      'q-agent-notifier-l2population-update.compute1\t0',
      'q-reports-plugin\t1',
      'neutron-vo-Port-1.7.controller\t0',
      'reply_8a1f\t0',
      'l2scope-tap-1234\t0',
      'q-plugin\t2',
    ].join('\n');
    expect(staleLabQueues(listing)).toEqual(['q-agent-notifier-l2population-update.compute1', 'neutron-vo-Port-1.7.controller', 'reply_8a1f']);
  });
});
