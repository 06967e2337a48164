/**
 * The held side of history on both databases: the real faults capture (Lab3) stored as the worker
 * stores it, then node snapshots of three steps (baseline, a deleted flood entry on controller,
 * undone) with their analyses, written through the live path (`saveNodeSnapshots`,
 * `saveHostAnalyses`). A host page as of T shows the held state and drift of T; an unchanged
 * report adds no row; retention keeps each host's last row before its cutoff. BUM reports metered
 * from the labs' real underlay captures (fixtures/bum: Lab2, ARP crossing the tunnel, then Lab3,
 * none) are stored as the worker stores them (`saveBumReports`) and read back as of T.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { fixtureBumReport } from '@l2scope/testkit';
import {
  type BumReport,
  ClusterModel,
  type FullNodeSnapshot,
  analyzeNodes,
  decodeMessage,
  messageRefs,
  messageSearchText,
  parseCapture,
  snapshotsFromBundle,
} from '@l2scope/domain';
import {
  type Db,
  type MessageRecord,
  addConvergenceSamples,
  bumReportOf,
  commitBatch,
  pruneBumHistory,
  pruneHeldHistory,
  pruneRetention,
  readNodeHostAt,
  readNodeNetworkAt,
  readNodesOverviewAt,
  saveBumReports,
  saveHostAnalyses,
  saveNodeSnapshots,
} from '../src/index';
import { eachProvider } from './provider-db';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures');

/** The faults capture as the worker's pipeline makes it, and the model at its end. */
function faults(): { records: MessageRecord[]; model: ClusterModel } {
  const { records: capture } = parseCapture(readFileSync(path.join(FIXTURES, 'faults.jsonl'), 'utf8'));
  const model = new ClusterModel();
  const records = capture.map((r, i): MessageRecord => {
    const delivery = { receivedAt: r.ts.getTime(), exchange: r.exchange, routingKey: r.routingKey, properties: r.properties, body: r.body, source: 'replay' };
    const result = decodeMessage(delivery);
    const changes = result.ok ? model.apply(result.message, r.ts.getTime(), i + 1) : [];
    const refs = messageRefs(result, (n) => model.vniOf(n));
    return { id: i + 1, delivery, result, refs, raw: r.body, rawTruncated: false, search: messageSearchText(r.exchange, r.routingKey, result, refs), changes };
  });
  return { records, model };
}

/** A step's real kernel snapshots (fixtures/faults/<step>), as one agent instance's report `seq` at `takenAt`. */
function step(name: string, seq: number, takenAt: Date): FullNodeSnapshot[] {
  const dir = path.join(FIXTURES, 'faults', name);
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) if (statSync(path.join(dir, f)).isFile()) files[f] = readFileSync(path.join(dir, f), 'utf8');
  return snapshotsFromBundle(files).snapshots.map((s) => ({ ...s, instance: 'test', seq, takenAt: takenAt.toISOString() }));
}

const bumReport = (lab: string, host: string, vtep: string): BumReport => fixtureBumReport(path.join(FIXTURES, 'bum', lab), host, vtep);

eachProvider('held_history', (provider, opened) => {
  let db: Db;
  const { records, model } = faults();
  const end = records[records.length - 1]!.delivery.receivedAt;
  const t = (s: number) => new Date(end + s * 1000);

  /** Store one report of every host at `at` as the worker does: the snapshots, then their analyses. */
  async function report(name: string, seq: number, at: Date): Promise<void> {
    const snapshots = step(name, seq, at);
    await saveNodeSnapshots(db, snapshots, at);
    const a = analyzeNodes({ model: model.snapshot(), snapshots });
    await saveHostAnalyses(
      db,
      Object.entries(a.hosts).map(([host, h]) => ({ host, driftCount: h.drift.length, json: JSON.stringify(h) })),
      at,
    );
  }

  beforeAll(async () => {
    db = opened();
    for (let i = 0; i < records.length; i += 50) {
      const b = records.slice(i, i + 50);
      await commitBatch(db, provider, b, { received: 0, undecodable: 0, dropped: 0, expired: 0 }, b[b.length - 1]!.id);
    }
    await report('0-baseline', 1, t(10));
    await report('0-baseline', 2, t(15)); // the same held state, reported again
    await report('1-fault-flood-deleted', 3, t(20));
    await report('2-undone-flood', 4, t(30));
  });

  const lab2 = { controller: bumReport('lab2', 'controller', '10.0.20.11'), compute1: bumReport('lab2', 'compute1', '10.0.20.12') };
  const lab3 = { compute1: bumReport('lab3', 'compute1', '10.0.20.12') };

  it('a host as of T: the held rows and the drift of T, next to what l2pop had told it', async () => {
    const before = await readNodeHostAt(db, 'controller', t(17));
    expect(before?.analysis?.drift).toEqual([]);
    expect(before?.snapshotReceivedAt).toBe(t(10).toISOString());
    expect(before?.told.length).toBeGreaterThan(0);
    expect(before?.view?.vtep).toBe('10.0.20.11');

    const fault = await readNodeHostAt(db, 'controller', t(25));
    expect(fault?.analysis?.drift.map((d) => `${d.class} ${d.vtep}`)).toEqual(['missing_flood 10.0.20.12']);
    expect(fault?.snapshotReceivedAt).toBe(t(20).toISOString());
    const flood = (s: FullNodeSnapshot | null | undefined) => s?.linuxbridge?.fdb.filter((r) => r.mac === '00:00:00:00:00:00' && r.dst === '10.0.20.12').length;
    expect(flood(fault?.snapshot)).toBe(0);
    expect(flood(before?.snapshot)).toBe(1);
    // the other hosts held no change at step 1: their baseline rows are their state at T
    expect((await readNodeHostAt(db, 'compute1', t(25)))?.analysis?.drift).toEqual([]);

    const undone = await readNodeHostAt(db, 'controller', t(31));
    expect(undone?.analysis?.drift).toEqual([]);
    expect(flood(undone?.snapshot)).toBe(1);
    // before any report, only the model knows it
    const early = await readNodeHostAt(db, 'controller', t(5));
    expect(early?.snapshot).toBeNull();
    expect(early?.analysis).toBeNull();
    expect(await readNodeHostAt(db, 'nobody', t(31))).toBeNull();
  });

  it('the overview as of T: per host its last analysis at or before T, drift totals by class', async () => {
    const drift = (o: Awaited<ReturnType<typeof readNodesOverviewAt>>) => o.hosts.map((h) => [h.host, h.driftTotal, h.drift.missing_flood]);
    const hosts = step('0-baseline', 1, t(0))
      .map((s) => s.host)
      .sort();
    const before = await readNodesOverviewAt(db, t(17));
    expect(before.at).toBe(t(17).toISOString());
    expect(drift(before)).toEqual(hosts.map((h) => [h, 0, 0]));
    expect(Object.values(before.driftTotals).every((n) => n === 0)).toBe(true);

    const fault = await readNodesOverviewAt(db, t(25));
    expect(drift(fault)).toEqual(hosts.map((h) => [h, h === 'controller' ? 1 : 0, h === 'controller' ? 1 : 0]));
    expect(fault.driftTotals.missing_flood).toBe(1);
    expect(Object.values(fault.driftTotals).reduce((a, b) => a + b, 0)).toBe(1);
    expect(fault.hosts.find((h) => h.host === 'controller')?.floodMissing).toBe(1);

    expect((await readNodesOverviewAt(db, t(31))).driftTotals.missing_flood).toBe(0);
    // before any analysis: no host line
    expect(await readNodesOverviewAt(db, t(5))).toMatchObject({ hosts: [], driftTotals: { missing_flood: 0 }, convergence: [] });
  });

  it('the overview as of T: lag figures over the samples seen by T, without the tracker counts', async () => {
    const sample = (lagMs: number, seenAt: Date) => ({
      host: 'controller',
      network: 'n',
      vtep: '10.0.20.12',
      mac: '00:00:00:00:00:00',
      change: 'add' as const,
      messageId: 1,
      castAt: seenAt.getTime() - lagMs,
      seenAt: seenAt.getTime(),
      lagMs,
    });
    await addConvergenceSamples(db, provider, [sample(100, t(12)), sample(300, t(22))], new Date(0));
    const figures = async (s: number) => (await readNodesOverviewAt(db, t(s))).convergence.map((c) => [c.host, c.samples, c.maxMs, c.pending]);
    expect(await figures(11)).toEqual([]);
    expect(await figures(15)).toEqual([['controller', 1, 100, 0]]);
    expect(await figures(25)).toEqual([['controller', 2, 300, 0]]);
    // the host page as of T lists the samples seen by T
    expect((await readNodeHostAt(db, 'controller', t(15)))?.convergence.map((c) => c.lagMs)).toEqual([100]);
    await db.convergenceSample.deleteMany();
  });

  it('an unchanged report adds no row; retention keeps each host its last row before the cutoff', async () => {
    const hosts = step('0-baseline', 1, t(0)).length;
    expect(await db.nodeSnapshotHistory.count({ where: { host: 'controller' } })).toBe(3);
    expect(await db.nodeSnapshotHistory.count()).toBe(hosts + 2);
    const deleted = await pruneHeldHistory(db, t(25), 1, () => Promise.resolve());
    expect(deleted).toBe(2); // controller's baseline snapshot and analysis
    expect(await db.nodeSnapshotHistory.count({ where: { host: 'controller' } })).toBe(2);
    // T after the cutoff is still exact
    expect((await readNodeHostAt(db, 'controller', t(26)))?.analysis?.drift.map((d) => d.class)).toEqual(['missing_flood']);
    expect((await readNodeHostAt(db, 'compute2', t(26)))?.analysis?.drift).toEqual([]);
  });

  it('BUM reports as of T: a history row per report, per host its last one received at or before T, on the host page, the overview and the network', async () => {
    // Lab2 (no ARP responder: ARP requests cross the tunnel) at t(12), then Lab3's compute1 (none) at t(22)
    expect(lab2.compute1.flows.some((f) => f.direction === 'tx' && f.broadcast > 0)).toBe(true);
    expect(lab3.compute1.flows.every((f) => f.broadcast + f.multicast + f.unknownUnicast === 0)).toBe(true);
    await saveBumReports(db, [lab2.controller, lab2.compute1], t(12));
    await saveBumReports(db, [lab3.compute1], t(22));
    expect(await db.bumHistory.count()).toBe(3);
    expect(await db.bumHistory.count({ where: { host: 'compute1' } })).toBe(2);
    // the latest-only row is the last one, as before
    expect(await bumReportOf(db, 'compute1')).toEqual(lab3.compute1);

    expect((await readNodeHostAt(db, 'compute1', t(11)))?.bum).toBeNull();
    expect((await readNodeHostAt(db, 'compute1', t(12)))?.bum).toEqual(lab2.compute1);
    expect((await readNodeHostAt(db, 'compute1', t(21)))?.bum).toEqual(lab2.compute1);
    expect((await readNodeHostAt(db, 'compute1', t(22)))?.bum).toEqual(lab3.compute1);
    // controller sent no report after t(12): that one is its last as of t(25)
    expect((await readNodeHostAt(db, 'controller', t(25)))?.bum).toEqual(lab2.controller);

    const hosts = (o: { bum: { host: string; report: BumReport }[] }) => o.bum.map((b) => [b.host, b.report]);
    expect(hosts(await readNodesOverviewAt(db, t(5)))).toEqual([]);
    expect(hosts(await readNodesOverviewAt(db, t(17)))).toEqual([
      ['compute1', lab2.compute1],
      ['controller', lab2.controller],
    ]);
    expect(hosts(await readNodesOverviewAt(db, t(25)))).toEqual([
      ['compute1', lab3.compute1],
      ['controller', lab2.controller],
    ]);

    const net = (await db.network.findFirstOrThrow({ where: { vni: 649 } })).id;
    const members = async (at: Date) => (await readNodeNetworkAt(db, net, at))!.hosts.map((h) => [h.host, h.bum]);
    // t(21): controller's baseline analysis went with the held history's prune above; its t(20) one is its last
    expect(await members(t(21))).toEqual([
      ['compute1', lab2.compute1],
      ['compute2', null],
      ['controller', lab2.controller],
    ]);
    expect((await members(t(25)))[0]).toEqual(['compute1', lab3.compute1]);
  });

  it('retention prunes the BUM history by time and to the newest rows, keeping each host its last report', async () => {
    const noPause = () => Promise.resolve();
    // before t(25): compute1's t(12) report goes, its t(22) one and controller's t(12) one stay (their last)
    expect(await pruneBumHistory(db, { before: t(25), maxRows: 100 }, 1, noPause)).toBe(1);
    expect((await readNodeHostAt(db, 'compute1', t(26)))?.bum).toEqual(lab3.compute1);
    expect((await readNodeHostAt(db, 'controller', t(26)))?.bum).toEqual(lab2.controller);
    // the newest 2 rows (retention's row bound) from t(41): what came before it goes, but each host's last
    // row before it (controller's t(12), compute1's t(40)): compute1's t(22) report
    await saveBumReports(db, [lab2.compute1], t(40));
    await saveBumReports(db, [lab3.compute1], t(41));
    await saveBumReports(db, [lab2.compute1], t(42));
    const r = await pruneRetention(db, { maxBumReports: 2 }, { batch: 1 });
    expect(r.bumHistory).toBe(1);
    const left = await db.bumHistory.findMany({ orderBy: { id: 'asc' }, select: { host: true, receivedAt: true } });
    expect(left.map((x) => [x.host, x.receivedAt.toISOString()])).toEqual([
      ['controller', t(12).toISOString()],
      ['compute1', t(40).toISOString()],
      ['compute1', t(41).toISOString()],
      ['compute1', t(42).toISOString()],
    ]);
    expect((await readNodeHostAt(db, 'compute1', new Date(t(40).getTime() + 500)))?.bum).toEqual(lab2.compute1);
    expect((await readNodeHostAt(db, 'compute1', t(41)))?.bum).toEqual(lab3.compute1);
    expect(await pruneRetention(db, { maxBumReports: 2 })).toMatchObject({ bumHistory: 0 });
  });
});
