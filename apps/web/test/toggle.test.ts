/**
 * The toggle UI's view models and store slice: the host page's mode panel on real lab analyses,
 * the plan dialog's summary, job progress, and the jobs slice's newer-copy-wins rule.
 */
import type { ToggleJobView, TogglePlan } from '@l2scope/domain';
import { describe, expect, it } from 'vitest';
import { EMPTY_JOBS, allJobs, jobsByIds, jobsOfHost, upsertJobs } from '../src/state/jobs';
import { createL2Store } from '../src/state/store';
import { detailLine, mergeAudit, olderCursor } from '../src/toggle/audit';
import { isStepUpRequired } from '../src/toggle/errors';
import { changeFor, describeChange, modeRows } from '../src/toggle/mode';
import { diffLines, downtimeLabel, planSummary, sortPredicted } from '../src/toggle/plan';
import { isOver, phases } from '../src/toggle/progress';
import { analyseStep } from './fixtures';

const PLAN: TogglePlan = {
  agent: null,
  refusal: null,
  method: 'clean',
  downtimeS: 6,
  predicted: [
    { kind: 'mixed_l2pop', severity: 'warning', networks: ['n1'], hosts: ['compute1'], detail: 'w' },
    { kind: 'mixed_arp_responder', severity: 'error', networks: ['n1'], hosts: ['compute1'], detail: 'e' },
  ],
  warnings: ['kolla-ansible reconfigure reverts this'],
  applicable: true,
};

function job(o: Partial<ToggleJobView> & { id: string }): ToggleJobView {
  return {
    host: 'compute1',
    batchId: null,
    batchIndex: 0,
    change: { l2_population: true },
    inPlace: false,
    state: 'planned',
    before: null,
    plan: null,
    steps: [],
    evidence: [],
    error: null,
    requestedBy: 'otto',
    approvedBy: null,
    createdAt: '2026-12-05T12:00:00.000Z',
    updatedAt: '2026-12-05T12:00:00.000Z',
    ...o,
  };
}

describe('mode panel', () => {
  it('lab1 (flood-and-learn): no ini read, report_state says l2pop off; switching it on is the change', () => {
    const { analysis } = analyseStep('lab1', '2-after-ping');
    const rows = modeRows(analysis.hosts.compute1!.mode);
    expect(rows).toEqual([
      { key: 'l2_population', reported: 'off', ini: 'unknown', current: 'off', restartPending: false },
      { key: 'arp_responder', reported: 'unknown', ini: 'unknown', current: 'unknown', restartPending: false },
    ]);
    expect(changeFor(rows, { l2_population: true })).toEqual({ l2_population: true });
    expect(changeFor(rows, { l2_population: false })).toBeNull();
    // an unknown value is always sent
    expect(changeFor(rows, { arp_responder: false })).toEqual({ arp_responder: false });
  });

  it('lab3 OVS host: both reported and in the ini; only what differs is asked', () => {
    const { analysis } = analyseStep('ovs-node', '3-lab3');
    const rows = modeRows(analysis.hosts.ovs1!.mode);
    expect(rows.map((r) => [r.key, r.reported, r.ini, r.current])).toEqual([
      ['l2_population', 'on', 'on', 'on'],
      ['arp_responder', 'on', 'on', 'on'],
    ]);
    const change = changeFor(rows, { l2_population: true, arp_responder: false });
    expect(change).toEqual({ arp_responder: false });
    expect(describeChange(change!)).toBe('arp_responder off');
  });

  it('without an analysis the model record gives the report; an ini that differs means a restart is pending', () => {
    expect(modeRows(null, { l2population: true, arpResponder: null })[0]).toMatchObject({ reported: 'on', ini: 'unknown', current: 'on' });
    const { analysis } = analyseStep('ovs-node', '3-lab3');
    const mode = analysis.hosts.ovs1!.mode;
    const edited = { ...mode, ini: { ...mode.ini!, arpResponder: false } };
    expect(modeRows(edited)[1]).toMatchObject({ reported: 'on', ini: 'off', current: 'off', restartPending: true });
  });
});

describe('plan dialog', () => {
  it('classifies the ini diff', () => {
    const d = diffLines('--- a/linuxbridge_agent.ini\n+++ b/linuxbridge_agent.ini\n@@ -3,2 +3,2 @@\n [vxlan]\n-l2_population = false\n+l2_population = true\n');
    expect(d.map((l) => l.kind)).toEqual(['context', 'context', 'hunk', 'context', 'del', 'add']);
  });

  it('sorts errors first and labels downtime', () => {
    expect(sortPredicted(PLAN.predicted).map((p) => p.kind)).toEqual(['mixed_arp_responder', 'mixed_l2pop']);
    expect([downtimeLabel(0), downtimeLabel(6), downtimeLabel(300)]).toEqual(['none expected', '~6 s', '~5 min']);
  });

  it('applies only when every plan arrived and is applicable', () => {
    expect(planSummary([job({ id: 'a' })])).toMatchObject({ waiting: 1, canApply: false, finished: false });
    const ready = [job({ id: 'a', plan: PLAN }), job({ id: 'b', host: 'compute2', plan: { ...PLAN, downtimeS: 9 } })];
    expect(planSummary(ready)).toEqual({ hosts: 2, waiting: 0, blocked: 0, errors: 2, warnings: 4, maxDowntimeS: 9, canApply: true, finished: false });
    expect(planSummary([...ready, job({ id: 'c', plan: { ...PLAN, applicable: false } })])).toMatchObject({ blocked: 1, canApply: false });
    expect(planSummary([job({ id: 'a', plan: PLAN, state: 'approved' })]).canApply).toBe(false);
    // a finding that holds only while a batch runs is a warning of the batch, not an error
    const transient: TogglePlan = { ...PLAN, predicted: [{ ...PLAN.predicted[1]!, transient: true }] };
    expect(planSummary([job({ id: 'a', plan: transient })])).toMatchObject({ errors: 0, warnings: 2 });
    expect(planSummary([job({ id: 'a', state: 'done' }), job({ id: 'b', state: 'rolled_back' })]).finished).toBe(true);
  });

  it('recognises the step-up error', () => {
    expect(isStepUpRequired({ message: 'x', data: { code: 'FORBIDDEN', reason: 'STEP_UP_REQUIRED' } })).toBe(true);
    expect(isStepUpRequired({ data: { code: 'FORBIDDEN', reason: null } })).toBe(false);
    expect(isStepUpRequired(null)).toBe(false);
  });
});

describe('job progress', () => {
  it('walks the forward path, and the rollback path after a failure', () => {
    expect(phases({ state: 'restarting' }).map((p) => `${p.state}:${p.status}`)).toEqual([
      'planned:done',
      'approved:done',
      'applying:done',
      'restarting:current',
      'verifying:todo',
      'done:todo',
    ]);
    expect(phases({ state: 'done' }).every((p) => p.status === 'done')).toBe(true);
    expect(phases({ state: 'rolling_back' }).map((p) => p.status)).toEqual(['done', 'current', 'todo']);
    expect([isOver({ state: 'done' }), isOver({ state: 'failed' }), isOver({ state: 'cancelled' })]).toEqual([true, false, true]);
  });
});

describe('jobs slice', () => {
  it('keeps the newer copy whatever the arrival order, and folds through the store', () => {
    const planned = job({ id: 'a' });
    const approved = job({ id: 'a', state: 'approved', updatedAt: '2026-12-05T12:00:01.000Z' });
    const s1 = upsertJobs(upsertJobs(EMPTY_JOBS, [approved]), [planned]);
    expect(s1.byId.get('a')!.state).toBe('approved');
    expect(upsertJobs(s1, [approved])).toBe(s1);
    const store = createL2Store();
    store.dispatch({ type: 'jobs/upsert', jobs: [planned] });
    store.dispatch({ type: 'jobs/upsert', jobs: [approved] });
    expect(store.getState().jobs.byId.get('a')!.state).toBe('approved');
    expect(store.getState().jobs.rev).toBe(2);
  });

  it('is bounded: the least recently updated are dropped', () => {
    const many = Array.from({ length: 12 }, (_, i) =>
      job({
        id: `j${i}`,
        host: `h${i % 3}`,
        createdAt: `2026-12-05T12:00:${String(i).padStart(2, '0')}.000Z`,
        updatedAt: `2026-12-05T12:00:${String(i).padStart(2, '0')}.000Z`,
      }),
    );
    const s = upsertJobs(EMPTY_JOBS, many, 10);
    expect(s.byId.size).toBe(10);
    expect(s.byId.has('j0')).toBe(false);
    expect(allJobs(s)[0]!.id).toBe('j11');
    expect(jobsOfHost(s, 'h1').map((j) => j.id)).toEqual(['j10', 'j7', 'j4']);
    expect(jobsByIds(s, ['j5', 'nope', 'j2']).map((j) => j.id)).toEqual(['j5', 'j2']);
  });
});

describe('audit rows', () => {
  const e = (seq: number) => ({
    seq,
    at: '2026-12-05T12:00:00.000Z',
    actor: 'otto',
    action: 'toggle.requested',
    target: 'compute1',
    jobId: null,
    detail: { seq },
    origin: null,
    prevHash: '0',
    hash: '1',
  });
  it('merges pages newest first without duplicates, bounded, and pages back to seq 1', () => {
    const first = mergeAudit([], [e(9), e(8), e(7)]);
    expect(olderCursor(first.rows)).toBe(7);
    const more = mergeAudit(first.rows, [e(10), e(9)]);
    expect(more.rows.map((r) => r.seq)).toEqual([10, 9, 8, 7]);
    const capped = mergeAudit(more.rows, [e(6), e(5)], 5);
    expect([capped.rows.map((r) => r.seq), capped.capped]).toEqual([[10, 9, 8, 7, 6], true]);
    expect(olderCursor(mergeAudit([], [e(2), e(1)]).rows)).toBeNull();
    expect(detailLine({ a: 'x'.repeat(300) }, 20)).toHaveLength(20);
  });
});
