/**
 * Convergence on real data: lab3's casts replayed into the model and a tracker, then each host's
 * real kernel snapshot of step 1 (ports active) observed: every entry the casts asked of each
 * host converges, with the lag between the cast and the snapshot.
 */
import { describe, expect, it } from 'vitest';
import { ClusterModel, ConvergenceTracker, decodeMessage, snapshotsFromBundle } from '../../src';
import { loadCapture, snapshotTimes } from '../fixtures';
import { bundleFilesOf } from './helpers';

function replay(upTo: number, hostsWithAgents: string[]) {
  const model = new ClusterModel();
  const tracker = new ConvergenceTracker();
  let seq = 0;
  for (const r of loadCapture('lab3')) {
    if (r.ts.getTime() > upTo) break;
    const d = decodeMessage(r);
    if (!d.ok) continue;
    model.apply(d.message, r.ts.getTime(), ++seq);
    if (d.message.kind !== 'fdb') continue;
    const msg = d.message;
    tracker.expect(msg, r.ts.getTime(), seq, (network, vtep) => {
      const owner = model.hostOfVtep(vtep);
      const hosts = msg.target && msg.target !== 'fanout' ? [msg.target] : hostsWithAgents.filter((h) => model.memberships(h).includes(network));
      return hosts.filter((h) => h !== owner && model.host(h)?.l2population === true);
    });
  }
  return { model, tracker };
}

const byVni = (model: ClusterModel) => new Map(model.snapshot().networks.map((n) => [n.vni!, n.id]));

describe('ConvergenceTracker on lab3', () => {
  const at = snapshotTimes('lab3').get('1-ports-active')!;
  const hosts = ['controller', 'compute1', 'compute2'];

  it('every entry the casts asked for is seen in the step-1 kernel snapshot, with its lag', () => {
    const { model, tracker } = replay(at, hosts);
    expect(tracker.stats().reduce((n, s) => n + s.pending, 0)).toBe(12); // 3 hosts x (2 flood + 2 unicast)
    const { snapshots } = snapshotsFromBundle(bundleFilesOf('lab3', '1-ports-active'), { takenAt: at });
    const samples = snapshots.flatMap((s) => tracker.observe(s, byVni(model)));
    expect(samples).toHaveLength(12);
    for (const s of samples) {
      expect(s.change).toBe('add');
      expect(s.lagMs).toBe(at - s.castAt);
      expect(s.lagMs).toBeGreaterThan(0);
      expect(s.lagMs).toBeLessThan(20_000);
    }
    const stats = tracker.stats();
    expect(stats.map((s) => [s.host, s.samples, s.pending])).toEqual([
      ['compute1', 4, 0],
      ['compute2', 4, 0],
      ['controller', 4, 0],
    ]);
    // the duplicated cast (every l2pop cast arrives twice) does not restart the clock
    for (const s of samples) expect(s.castAt).toBeLessThanOrEqual(s.seenAt);
  });

  it('an entry the host does not show stays pending, then times out', () => {
    const { model, tracker } = replay(at, hosts);
    const files = bundleFilesOf('lab3', '1-ports-active');
    // compute2's kernel lost its flood entry towards the controller
    const rows = JSON.parse(files['compute2-bridge-fdb.json']!) as { mac: string; dst?: string }[];
    files['compute2-bridge-fdb.json'] = JSON.stringify(rows.filter((r) => !(r.mac === '00:00:00:00:00:00' && r.dst === '10.0.20.11')));
    const { snapshots } = snapshotsFromBundle(files, { takenAt: at });
    for (const s of snapshots) tracker.observe(s, byVni(model));
    expect(tracker.stats().find((s) => s.host === 'compute2')).toMatchObject({ samples: 3, pending: 1, timedOut: 0 });
    tracker.sweep(at + 10 * 60_000);
    expect(tracker.stats().find((s) => s.host === 'compute2')).toMatchObject({ pending: 0, timedOut: 1 });
  });

  it('a remove converges when the entry is gone', () => {
    const end = snapshotTimes('lab3').get('5-after-delete-compute2')!;
    const { model, tracker } = replay(end, hosts);
    const { snapshots } = snapshotsFromBundle(bundleFilesOf('lab3', '5-after-delete-compute2'), { takenAt: end });
    const samples = snapshots.flatMap((s) => tracker.observe(s, byVni(model)));
    const removes = samples.filter((s) => s.change === 'remove');
    // compute2's VM went away: the controller and compute1 dropped its flood and unicast rows
    expect(removes.map((s) => `${s.host} ${s.vtep} ${s.mac}`).sort()).toEqual([
      'compute1 10.0.20.13 00:00:00:00:00:00',
      'compute1 10.0.20.13 fa:16:3e:aa:b5:55',
      'controller 10.0.20.13 00:00:00:00:00:00',
      'controller 10.0.20.13 fa:16:3e:aa:b5:55',
    ]);
  });
});

/**
 * lab3 replayed in time order with every step's real kernel snapshots observed at the step's time,
 * as the worker sees them: the casts fold into the model and the tracker, the snapshots into the tracker.
 * @returns the samples each step's snapshots yielded, and the tracker
 */
function replayWithSnapshots(hostsWithAgents: string[]) {
  const model = new ClusterModel();
  const tracker = new ConvergenceTracker();
  const steps = [...snapshotTimes('lab3')].sort((a, b) => a[1] - b[1]);
  const samples = new Map<string, ReturnType<ConvergenceTracker['observe']>>();
  const figures = new Map<string, ReturnType<ConvergenceTracker['stats']>>();
  let next = 0;
  const observeUpTo = (t: number) => {
    for (; next < steps.length && steps[next]![1] <= t; next++) {
      const [step, at] = steps[next]!;
      const { snapshots } = snapshotsFromBundle(bundleFilesOf('lab3', step), { takenAt: at });
      samples.set(
        step,
        snapshots.flatMap((s) => tracker.observe(s, byVni(model))),
      );
      figures.set(step, tracker.stats());
    }
  };
  let seq = 0;
  for (const r of loadCapture('lab3')) {
    observeUpTo(r.ts.getTime() - 1);
    const d = decodeMessage(r);
    if (!d.ok) continue;
    model.apply(d.message, r.ts.getTime(), ++seq);
    if (d.message.kind !== 'fdb') continue;
    const msg = d.message;
    tracker.expect(msg, r.ts.getTime(), seq, (network, vtep) => {
      const owner = model.hostOfVtep(vtep);
      const hosts = msg.target && msg.target !== 'fanout' ? [msg.target] : hostsWithAgents.filter((h) => model.memberships(h).includes(network));
      return hosts.filter((h) => h !== owner && model.host(h)?.l2population === true);
    });
  }
  observeUpTo(Infinity);
  return { samples, figures, tracker };
}

describe('ConvergenceTracker times only what changed in the kernel after the cast (issue 11 item 4)', () => {
  const hosts = ['controller', 'compute1', 'compute2'];
  const { samples, figures } = replayWithSnapshots(hosts);
  const lines = (step: string) => (samples.get(step) ?? []).map((s) => `${s.host} ${s.change} ${s.vtep} ${s.mac} ${s.lagMs} ms`);

  it("compute1's agent restart: the full FDB it is sent and its re-announced entries were all held already: no sample, nothing pending", () => {
    console.log(`samples at 3-after-agent-restart: ${lines('3-after-agent-restart').join('; ') || 'none'}`);
    console.log(`figures then: ${JSON.stringify(figures.get('3-after-agent-restart'))}`);
    expect(lines('3-after-agent-restart')).toEqual([]);
    const f = figures.get('3-after-agent-restart')!;
    expect(f.reduce((n, x) => n + x.pending, 0)).toBe(0);
    // the host-directed full FDB to compute1: both other VTEPs' flood entries and MACs, held since step 1
    expect(f.find((x) => x.host === 'compute1')!.alreadyHeld).toBeGreaterThanOrEqual(4);
  });

  it('what did change is still timed: the ports coming up (adds) and compute2 leaving (removes)', () => {
    expect(lines('1-ports-active')).toHaveLength(12);
    expect((samples.get('5-after-delete-compute2') ?? []).map((s) => `${s.host} ${s.change} ${s.vtep} ${s.mac}`).sort()).toEqual([
      'compute1 remove 10.0.20.13 00:00:00:00:00:00',
      'compute1 remove 10.0.20.13 fa:16:3e:aa:b5:55',
      'controller remove 10.0.20.13 00:00:00:00:00:00',
      'controller remove 10.0.20.13 fa:16:3e:aa:b5:55',
    ]);
    for (const step of ['1-ports-active', '5-after-delete-compute2']) for (const s of samples.get(step)!) expect(s.lagMs).toBeLessThan(20_000);
  });
});

describe('ConvergenceTracker.forget', () => {
  it('drops a host: no figures, and its pending entries no longer count against the bound', () => {
    const { tracker } = replay(snapshotTimes('lab3').get('1-ports-active')!, ['controller', 'compute1', 'compute2']);
    tracker.forget('compute1');
    expect(tracker.stats().map((s) => [s.host, s.pending])).toEqual([
      ['compute2', 4],
      ['controller', 4],
    ]);
  });
});
