/** The BUM report schema (the wire contract of `l2scope.bum/1`) and its helpers. */
import { describe, expect, it } from 'vitest';
import { NODE_AGENT_WIRE, emptyBumCounters, parseBumReport, unavailableBumReport } from '../../../src';

describe('report schema and helpers', () => {
  it('validates reports, including the unavailable form', () => {
    const u = parseBumReport(
      unavailableBumReport({ host: 'compute1', instance: 'x', vtep: null, iface: 'ul0', udpPort: 8472, fromMs: 0, toMs: 5000, reason: 'tcpdump missing' }),
    );
    expect(u).toMatchObject({ unavailable: 'tcpdump missing', flows: [], captured: 0, seconds: 5 });
    expect(() => parseBumReport({ ...u, schema: 'l2scope.bum/2' })).toThrow();
    expect(() => parseBumReport({ ...u, sampled: 1.5 })).toThrow();
    expect(() => parseBumReport({ ...u, flows: [{ vni: 1, remoteVtep: 'x', direction: 'up', outerMulticast: false, ...emptyBumCounters() }] })).toThrow();
  });

  it('the wire contract: own exchange, dotted hosts in routing keys, least privilege', () => {
    expect(NODE_AGENT_WIRE.exchange).toBe('l2scope.node');
    expect(NODE_AGENT_WIRE.snapshotKey('compute-1.example.org')).toBe('snapshot.compute-1.example.org');
    expect(NODE_AGENT_WIRE.bumKey('compute1')).toBe('bum.compute1');
    expect(new RegExp(NODE_AGENT_WIRE.permissions.write).test('l2scope.node')).toBe(true);
    expect(new RegExp(NODE_AGENT_WIRE.permissions.write).test('neutron')).toBe(false);
  });
});
