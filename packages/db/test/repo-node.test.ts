/**
 * The node side on both databases: per-host lag figures in one window-function query equal each
 * host's last samples; the tracker's counts; BUM reports and node snapshots written storable and
 * validated on the way out; findings opened, rewritten and resolved; refused node messages per reason.
 */
import { beforeAll, expect, it } from 'vitest';
import { BUM_REPORT_SCHEMA, type BumReport, type ConvergenceSample, lagFigures } from '@l2scope/domain';
import {
  type Db,
  addConvergenceSamples,
  forgetNodeHosts,
  saveConvergenceCounts,
  bumReportOf,
  bumReports,
  lagFiguresByHost,
  loadNodeSnapshots,
  nodeSnapshotOf,
  openFinding,
  openFindings,
  readCounters,
  readNodeRefusals,
  recentConvergenceSamples,
  refreshFindings,
  resolveFindings,
  saveBumReports,
  writeNodeRefusals,
} from '../src/index';
import { eachProvider } from './provider-db';

function sample(host: string, i: number): ConvergenceSample {
  return {
    host,
    network: 'net-1',
    vtep: '10.0.20.11',
    mac: `fa:16:3e:00:00:${(i % 256).toString(16).padStart(2, '0')}`,
    change: 'add',
    messageId: i,
    castAt: 1_000 + i,
    seenAt: Date.now(),
    lagMs: (i * 37) % 1000,
  };
}

function bum(host: string): BumReport {
  return {
    schema: BUM_REPORT_SCHEMA,
    host,
    instance: 'i-1',
    vtep: null,
    iface: 'ul0',
    udpPort: 8472,
    from: '2026-01-01T00:00:00.000Z',
    to: '2026-01-01T00:00:10.000Z',
    seconds: 10,
    sampled: 1,
    captureDropped: null,
    captured: 0,
    undecodable: 0,
    undecodableReasons: {},
    flows: [],
    other: null,
    unavailable: 'tcpdump missing \u0000',
  };
}

eachProvider('repo_node', (provider, opened) => {
  let db: Db;
  beforeAll(() => {
    db = opened();
  });

  it("lag figures of every host in one query equal each host's last 256 samples", async () => {
    const a = Array.from({ length: 300 }, (_, i) => sample('compute1', i + 1));
    const b = Array.from({ length: 3 }, (_, i) => sample('compute2', 1000 + i));
    // interleaved, in two bulk writes, as the worker appends them
    await addConvergenceSamples(db, provider, [...a.slice(0, 150), ...b], new Date(0));
    await addConvergenceSamples(db, provider, a.slice(150), new Date(0));
    const figures = await lagFiguresByHost(db, ['compute2', 'nobody', 'compute1']);
    expect(figures).toEqual([
      lagFigures(
        'compute2',
        b.map((s) => s.lagMs),
      ),
      lagFigures(
        'compute1',
        a.slice(-256).map((s) => s.lagMs),
      ),
    ]);
    expect(await lagFiguresByHost(db, [])).toEqual([]);
    const recent = await recentConvergenceSamples(db, 'compute1', 2);
    expect(recent.map((s) => s.messageId)).toEqual([300, 299]);
  });

  it("the tracker's counts are stored with the figures: pending, timed out, already held, also for a host without a sample", async () => {
    await addConvergenceSamples(db, provider, [sample('counted1', 1)], new Date(0));
    await saveConvergenceCounts(
      db,
      [
        { host: 'counted1', pending: 3, timedOut: 1, alreadyHeld: 8 },
        { host: 'counted2', pending: 1, timedOut: 0 },
      ],
      new Date(),
    );
    expect(await lagFiguresByHost(db, ['counted2', 'counted1'])).toEqual([
      lagFigures('counted2', [], 1, 0, 0),
      lagFigures('counted1', [sample('counted1', 1).lagMs], 3, 1, 8),
    ]);
    // upserted when they change
    await saveConvergenceCounts(db, [{ host: 'counted2', pending: 0, timedOut: 1, alreadyHeld: 2 }], new Date());
    expect(await lagFiguresByHost(db, ['counted2'])).toEqual([lagFigures('counted2', [], 0, 1, 2)]);
    // gone with the host
    await forgetNodeHosts(db, ['counted2']);
    expect(await lagFiguresByHost(db, ['counted2'])).toEqual([]);
  });

  it('stores BUM reports storable and reads back valid ones only', async () => {
    await saveBumReports(db, [bum('compute1')], new Date());
    expect((await bumReportOf(db, 'compute1'))?.unavailable).toBe('tcpdump missing \uFFFD');
    await db.bumState.create({ data: { host: 'broken', from: new Date(), to: new Date(), report: { schema: 'l2scope.bum/0' } } });
    expect(await bumReportOf(db, 'broken')).toBeNull();
    expect((await bumReports(db)).map((r) => r.host)).toEqual(['compute1']);
  });

  it('names a stored snapshot that is not a valid full snapshot instead of returning it', async () => {
    await db.nodeState.create({ data: { host: 'odd', takenAt: new Date(), receivedAt: new Date(), agentType: 'linuxbridge', snapshot: { kind: 'full' } } });
    const { snapshots, invalid } = await loadNodeSnapshots(db);
    expect(snapshots).toEqual([]);
    expect(invalid.map((r) => r.host)).toEqual(['odd']);
    expect(await nodeSnapshotOf(db, 'odd')).toBeNull();
  });

  it('opens and resolves findings by kind and network', async () => {
    const f = {
      kind: 'mixed_l2pop' as const,
      network: 'net-1',
      vni: 7,
      hosts: ['compute1', 'compute2'],
      detail: 'l2pop on one host only',
      evidence: [],
      id: 0,
      firstSeenAt: '',
      lastSeenAt: '',
    };
    const id = await openFinding(db, f, new Date('2026-01-01T00:00:00Z'));
    expect(await openFindings(db)).toEqual([{ ...f, id, firstSeenAt: '2026-01-01T00:00:00.000Z', lastSeenAt: '2026-01-01T00:00:00.000Z', resolvedAt: null }]);
    await resolveFindings(db, ['mixed_l2pop/net-1'], new Date('2026-01-01T00:01:00Z'));
    expect(await openFindings(db)).toEqual([]);
  });

  it('rewrites what an open finding says, keeps its row and first seen; a resolved row stays as it was resolved', async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 0, 2, 0, m));
    const f = {
      kind: 'half_switched_vxlan' as const,
      network: 'net-2',
      vni: 649,
      hosts: ['compute1'],
      detail: 'compute1: still floods to multicast',
      evidence: [{ host: 'compute1', source: 'linuxbridge.vxlan' as const, file: 'compute1-ip-link-vxlan.json', text: 'vxlan-649 id 649 group 224.0.0.1' }],
      id: 0,
      firstSeenAt: '',
      lastSeenAt: '',
    };
    const id = await openFinding(db, f, at(0));
    const grown = {
      ...f,
      hosts: ['compute1', 'compute2'],
      detail: 'compute1, compute2: still floods to multicast',
      evidence: [...f.evidence, { ...f.evidence[0]!, host: 'compute2', file: 'compute2-ip-link-vxlan.json' }],
    };
    await refreshFindings(db, [grown], at(1));
    const open = (await openFindings(db)).filter((x) => x.network === 'net-2');
    expect(open).toEqual([{ ...grown, id, firstSeenAt: at(0).toISOString(), lastSeenAt: at(1).toISOString(), resolvedAt: null }]);

    await resolveFindings(db, ['half_switched_vxlan/net-2'], at(2));
    await refreshFindings(db, [{ ...grown, hosts: ['compute3'] }], at(3));
    const rows = await db.finding.findMany({ where: { key: 'half_switched_vxlan/net-2' } });
    expect(rows.map((r) => [r.id, r.hosts, r.resolvedAt?.toISOString()])).toEqual([[id, ['compute1', 'compute2'], at(2).toISOString()]]);

    // it comes back: a new row, the resolved one kept (the history)
    const again = await openFinding(db, { ...f, hosts: ['compute3'] }, at(4));
    expect(again).not.toBe(id);
    expect(await db.finding.count({ where: { key: 'half_switched_vxlan/net-2' } })).toBe(2);
    await refreshFindings(db, [], at(5));
  });

  it('stores the refused node messages per reason beside the message counters', async () => {
    expect(await readNodeRefusals(db)).toEqual({ host_mismatch: 0, stale: 0, oversize: 0, invalid: 0 });
    await writeNodeRefusals(db, { host_mismatch: 3, stale: 1, oversize: 1, invalid: 0 });
    await writeNodeRefusals(db, { host_mismatch: 4, stale: 1, oversize: 1, invalid: 2 });
    expect(await readNodeRefusals(db)).toEqual({ host_mismatch: 4, stale: 1, oversize: 1, invalid: 2 });
    expect((await readCounters(db)).received).toBe(0);
  });
});
