/** The VTEP-conflict rule, and the model keeping a live host's VTEP on real report_state captures (lab3). */
import { describe, expect, it } from 'vitest';
import { AGENT_DOWN_TIME_MS, ClusterModel, decodeMessage, vtepClaimConflict, vtepConflictFinding } from '../src';
import { loadCapture } from './fixtures';

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

    // the configured agent_down_time, not a fixed 75 s: with 10 s, a claim 10.001 s after the owner's last report is a takeover
    const short = new ClusterModel({ agentDownTimeMs: 10_000 });
    apply(short, c1.body, 1000, 1);
    apply(short, c2.body, 1000, 2);
    apply(short, forged, 11_000, 3);
    expect(short.vtepConflicts()).toHaveLength(1); // exactly agent_down_time old: still alive (neutron's is_older_than is strict)
    apply(short, c1.body, 1000, 4); // an old duplicate moves nothing
    apply(short, forged, 11_001, 5);
    expect(short.vtepConflicts()).toEqual([]);
    expect(short.hostOfVtep(c1.ip)).toBe('compute2');
    // the same times with the default 75 s: a conflict, and a model restored from a snapshot keeps the setting
    const restored = ClusterModel.fromSnapshot(short.snapshot(), { agentDownTimeMs: 10_000 });
    apply(restored, c1.body, 30_000, 6);
    apply(restored, c2.body.split(c2.ip).join(c1.ip), 40_001, 7);
    expect(restored.vtepConflicts()).toEqual([]);
    const dflt = new ClusterModel();
    apply(dflt, c1.body, 1000, 1);
    apply(dflt, c2.body, 1000, 2);
    apply(dflt, forged, 11_001, 3);
    expect(dflt.vtepConflicts()).toHaveLength(1);
  });

  it('takes the configured agent_down_time as the window', () => {
    const owner = { name: 'compute1', vtep: '10.0.20.12', lastReportAt: 1000 };
    expect(vtepClaimConflict({ host: 'compute2', vtep: '10.0.20.12', at: 31_000 }, owner, 30_000)).not.toBeNull();
    expect(vtepClaimConflict({ host: 'compute2', vtep: '10.0.20.12', at: 31_001 }, owner, 30_000)).toBeNull();
  });
});
