import {
  type FindingView,
  type FloodList,
  type HostNodeSummary,
  type NodesLiveUpdate,
  agentDownKey,
  bumTotal,
  findingKey,
  summarizeHost,
} from '@l2scope/domain';
import { agentBadgeText, agentDownHref, causeLinks, findingAnchor, modeAsOf } from '../src/host-view/agent';
import { describe, expect, it } from 'vitest';
import { linkBumRate, pairRates, ratesOf } from '../src/host-view/bum';
import { worstClass } from '../src/host-view/classes';
import { cellState, floodMatrix } from '../src/host-view/flood-matrix';
import { brTunFlowTexts, fdbRowTone, hostSections, neighRowTone } from '../src/host-view/host-diff';
import { modelFromSnapshot } from '../src/state/model';
import { EMPTY_HOST_VIEW, applyHostViewUpdate, driftTotals, hostViewFromOverview } from '../src/state/host-view';
import { createL2Store } from '../src/state/store';
import { buildTopology } from '../src/topology/graph';
import type { NodeOverlay } from '../src/topology/overlay';
import { analyseStep, bumReport } from './fixtures';

/** The host page's sections of `host` at a lab step (what `nodes.host` answers, computed here). */
function sections(scenario: string, step: string, host: string) {
  const { model, snapshots, analysis } = analyseStep(scenario, step);
  return hostSections({ analysis: analysis.hosts[host]!, snapshot: snapshots.find((s) => s.host === host)!, told: model.toldFdb(host) });
}

function overlayOf(scenario: string, step: string): { overlay: NodeOverlay; state: ReturnType<typeof modelFromSnapshot> } {
  const { model, analysis } = analyseStep(scenario, step);
  const hosts = new Map<string, HostNodeSummary>();
  const floods = new Map<string, Map<string, FloodList>>();
  for (const [h, a] of Object.entries(analysis.hosts)) {
    if (!a.snapshot) continue;
    hosts.set(h, summarizeHost(h, a));
    for (const [n, f] of Object.entries(a.flood)) {
      if (!floods.has(n)) floods.set(n, new Map());
      floods.get(n)!.set(h, f);
    }
  }
  return { overlay: { hosts, floods, bum: new Map() }, state: modelFromSnapshot(model.snapshot()) };
}

describe('host page: told vs held, lined up', () => {
  it('lab3 step 1 (zero drift): every FDB and neighbour row of every host is held as told', () => {
    for (const host of ['controller', 'compute1', 'compute2']) {
      const [s, ...rest] = sections('lab3', '1-ports-active', host);
      expect(rest).toEqual([]);
      expect(s!.vni).toBe(649);
      expect(s!.fdb.map((r) => r.status)).toEqual(['both', 'both', 'both', 'both']);
      expect(s!.fdb.filter((r) => r.flood)).toHaveLength(2);
      expect(s!.neigh.map((r) => r.status)).toEqual(['both', 'both']);
      expect(s!.fdb.every((r) => fdbRowTone(r, s!.told!.applied, true, []).tone === 'ok')).toBe(true);
      expect(s!.flood!.missing).toEqual([]);
    }
  });

  it('faults step 1: the deleted flood entry is the only row told and not held, in red', () => {
    const [s] = sections('faults', '1-fault-flood-deleted', 'controller');
    const odd = s!.fdb.filter((r) => r.status !== 'both');
    expect(odd).toEqual([expect.objectContaining({ mac: '00:00:00:00:00:00', flood: true, toldVtep: '10.0.20.12', heldVtep: null, status: 'expected-only' })]);
    expect(fdbRowTone(odd[0]!, true, true, []).tone).toBe('bad');
    expect(s!.drift.map((d) => [d.class, d.vtep])).toEqual([['missing_flood', '10.0.20.12']]);
  });

  it('faults step 7: a MAC held at another VTEP than told is one wrong-vtep row showing both', () => {
    const [s] = sections('faults', '7-fault-wrong-vtep', 'compute2');
    expect(s!.fdb.filter((r) => r.status !== 'both')).toEqual([
      expect.objectContaining({ mac: 'fa:16:3e:8e:a8:0d', toldVtep: '10.0.20.11', heldVtep: '10.0.20.12', status: 'wrong-vtep' }),
    ]);
  });

  it('faults steps 3 and 9: an extra permanent row (amber), a wrong responder MAC and a missing unicast row', () => {
    const [stale] = sections('faults', '3-fault-stale-mac', 'compute1');
    const extra = stale!.fdb.find((r) => r.mac === 'fa:16:3e:00:00:99')!;
    expect(extra.status).toBe('actual-only');
    expect(fdbRowTone(extra, true, true, []).tone).toBe('warn');
    const [s9] = sections('faults', '9-fault-neigh-wrong-unicast-deleted', 'compute1');
    const n = s9!.neigh.find((r) => r.ip === '172.16.1.13')!;
    expect(n).toMatchObject({ status: 'wrong-mac', heldMac: 'fa:16:3e:00:00:98' });
    expect(neighRowTone(n, true, true).tone).toBe('bad');
    expect(s9!.fdb.find((r) => r.mac === 'fa:16:3e:f3:4d:52')!.status).toBe('expected-only');
  });

  it('lab1 (l2pop off): the group row is flood-and-learn (info), told rows are "not applied" (muted), learned rows match', () => {
    const [s] = sections('lab1', '2-after-ping', 'controller');
    expect(s!.told!.applied).toBe(false);
    const group = s!.fdb.find((r) => r.group)!;
    expect(group).toMatchObject({ heldVtep: '224.0.0.1', status: 'actual-only' });
    expect(fdbRowTone(group, false, true, s!.flood!.excess).tone).toBe('info');
    for (const r of s!.fdb.filter((x) => x.status === 'expected-only')) expect(fdbRowTone(r, false, true, []).tone).toBe('muted');
    expect(s!.fdb.filter((r) => !r.flood).every((r) => r.learned === true)).toBe(true);
    expect(fdbRowTone(group, true, true, ['224.0.0.1']).tone).toBe('warn');
  });

  it('ovs-node step 3: ovs1’s br-tun flows are its held rows (table 22 flood, table 20 unicast, table 21 responder)', () => {
    const { model, snapshots, analysis } = analyseStep('ovs-node', '3-lab3');
    const snap = snapshots.find((s) => s.host === 'ovs1')!;
    const [s] = hostSections({ analysis: analysis.hosts.ovs1!, snapshot: snap, told: model.toldFdb('ovs1') });
    expect(s!.held!.dev).toMatch(/^br-tun lvid \d+$/);
    expect(s!.fdb.map((r) => r.status)).toEqual(Array(6).fill('both'));
    expect(s!.fdb.filter((r) => r.flood).map((r) => r.heldVtep)).toEqual(['10.0.20.11', '10.0.20.12', '10.0.20.13']);
    expect(s!.flood!.actual).toEqual(['10.0.20.11', '10.0.20.12', '10.0.20.13']);
    const flows = brTunFlowTexts(snap, s!.mode!.lvid)!;
    expect(flows.flood[0]).toMatch(/^table=22 dl_vlan=\d+ actions=strip_vlan,set_tunnel:0x289,output:/);
    for (const r of s!.fdb.filter((x) => !x.flood)) expect(flows.unicast.get(r.mac)).toContain(`table=20 priority=2 dl_vlan=${s!.mode!.lvid} dl_dst=${r.mac}`);
    expect(flows.responder.size).toBe(s!.neigh.length);
  });
});

describe('network page: the flood matrix', () => {
  it('switch-noclean step 3: every host replicates to the two others and, in excess, to the group', () => {
    const { analysis } = analyseStep('switch-noclean', '3-inplace-switched');
    const network = Object.keys(analysis.hosts.controller!.flood)[0]!;
    const m = floodMatrix(
      Object.entries(analysis.hosts).map(([host, a]) => ({
        host,
        vtep: a.mode.vtep,
        mode: a.mode.summary,
        flood: a.flood[network]!,
        drift: a.drift,
        bum: null,
      })),
      649,
    );
    expect(m.columns.map((c) => [c.vtep, c.host, c.group])).toEqual([
      ['10.0.20.11', 'controller', false],
      ['10.0.20.12', 'compute1', false],
      ['10.0.20.13', 'compute2', false],
      ['224.0.0.1', null, true],
    ]);
    expect(m.rows.map((r) => r.host)).toEqual(['controller', 'compute1', 'compute2']);
    for (const r of m.rows)
      expect(r.cells.map((c) => (c.self ? 'self' : c.state))).toEqual([...r.cells.slice(0, 3).map((c) => (c.self ? 'self' : 'both')), 'excess']);
    expect(m.totals).toMatchObject({ both: 6, excess: 3, missing: 0 });
  });

  it('lab1: the ideal VTEPs are reached through the group, not by unicast copies', () => {
    const { analysis } = analyseStep('lab1', '2-after-ping');
    const f = Object.values(analysis.hosts.controller!.flood)[0]!;
    expect(cellState(f, '10.0.20.12', false)).toEqual({ state: 'expected', viaGroup: true });
    expect(cellState(f, '224.0.0.1', false)).toEqual({ state: 'actual', viaGroup: false });
    expect(cellState(f, '10.0.20.11', true).state).toBe('none');
  });
});

describe('BUM rates from real reports (fixtures/bum/lab2)', () => {
  const c1 = bumReport('lab2', 'compute1', '10.0.20.12');
  const ctl = bumReport('lab2', 'controller', '10.0.20.11');
  const reports = new Map([
    ['compute1', c1],
    ['controller', ctl],
  ]);

  it('per pair and direction, frames over the interval', () => {
    const tx = pairRates(c1, 649, '10.0.20.11', 'tx')!;
    const flows = c1.flows.filter((f) => f.vni === 649 && f.remoteVtep === '10.0.20.11' && f.direction === 'tx');
    expect(tx.bum).toBeCloseTo(flows.reduce((n, f) => n + bumTotal(f), 0) / c1.seconds, 9);
    expect(tx.bum).toBeGreaterThan(0);
    expect(pairRates(c1, 650, '10.0.20.11', 'tx')).toBeNull();
    expect(ratesOf({ ...flows[0]!, broadcast: 5 }, 0).bum).toBe(0);
  });

  it('an edge’s rate: the sender’s tx, else the receiver’s rx, else unknown', () => {
    expect(linkBumRate(reports, { host: 'compute1', vtep: '10.0.20.12' }, { host: 'controller', vtep: '10.0.20.11' }, 649)).toBeCloseTo(
      pairRates(c1, 649, '10.0.20.11', 'tx')!.bum,
      9,
    );
    expect(linkBumRate(reports, { host: 'compute2', vtep: '10.0.20.13' }, { host: 'compute1', vtep: '10.0.20.12' }, 649)).toBeCloseTo(
      pairRates(c1, 649, '10.0.20.13', 'rx')!.bum,
      9,
    );
    expect(linkBumRate(new Map(), { host: 'compute2', vtep: '10.0.20.13' }, { host: 'compute1', vtep: '10.0.20.12' }, 649)).toBeNull();
  });
});

describe('topology overlay', () => {
  it('faults step 1: controller’s badge counts its drift; the flood edge it misses is drawn as missing', () => {
    const { overlay, state } = overlayOf('faults', '1-fault-flood-deleted');
    const g = buildTopology(state, { selectedNetwork: null, selectedHost: null, overlay });
    const ctl = g.hosts.find((h) => h.id === 'controller')!;
    expect(ctl.drift).toMatchObject({ total: 1, worst: 'missing_flood', floodMissing: 1 });
    expect(g.hosts.find((h) => h.id === 'compute1')!.drift).toMatchObject({ total: 0, worst: null });
    const net = ctl.bridges[0]!.network;
    const ids = g.edges.map((e) => e.id);
    expect(ids).toContain(`missing-${net}-10.0.20.11-10.0.20.12`);
    expect(ids).not.toContain(`flood-${net}-10.0.20.11-10.0.20.12`);
    expect(g.edges.filter((e) => e.kind === 'missing')).toHaveLength(1);
    expect(g.edges.filter((e) => e.kind === 'flood')).toHaveLength(5);
  });

  it('switch-noclean step 3: the excess group is a note on every card (a group is not a host: no edge)', () => {
    const { overlay, state } = overlayOf('switch-noclean', '3-inplace-switched');
    const g = buildTopology(state, { selectedNetwork: null, selectedHost: null, overlay });
    for (const h of g.hosts) {
      expect(h.floodNote).toContain('224.0.0.1');
      expect(h.drift!.excessGroups).toEqual(['224.0.0.1']);
    }
    expect(g.edges.some((e) => e.kind === 'excess' || e.kind === 'missing')).toBe(false);
  });

  it('a flood recipient outside the ideal list is an excess edge (replacing the told one when there is one)', () => {
    const { overlay, state } = overlayOf('lab3', '1-ports-active');
    const net = [...overlay.floods.keys()][0]!;
    const ctl = overlay.floods.get(net)!.get('controller')!;
    const floods = new Map([[net, new Map([...overlay.floods.get(net)!, ['controller', { ...ctl, excess: ['10.0.20.13'] }]])]]);
    const g = buildTopology(state, { selectedNetwork: null, selectedHost: null, overlay: { ...overlay, floods } });
    const ids = g.edges.map((e) => e.id);
    expect(ids).toContain(`excess-${net}-10.0.20.11-10.0.20.13`);
    expect(ids).not.toContain(`flood-${net}-10.0.20.11-10.0.20.13`);
    expect(g.edges.find((e) => e.kind === 'excess')!.offset).toBe(g.edges.find((e) => e.id === `flood-${net}-10.0.20.11-10.0.20.12`)!.offset);
  });

  it('without the node view: no badge, told edges only, no rate', () => {
    const { state } = overlayOf('lab3', '1-ports-active');
    const g = buildTopology(state, { selectedNetwork: null, selectedHost: null });
    expect(g.hosts.every((h) => h.drift === null && h.floodNote === null)).toBe(true);
    expect(g.edges.every((e) => e.bumFps === null && (e.kind === 'flood' || e.kind === 'unicast'))).toBe(true);
  });
});

describe('agent liveness in the views', () => {
  const down = { alive: false, lastReportAt: '2026-11-22T01:48:57.100Z', downSince: '2026-11-22T01:50:12.100Z' };

  it("marks a down agent's host card (from its analysis, or from an open agent_down finding), taller by one warning line", () => {
    const { overlay, state } = overlayOf('lab3', '1-ports-active');
    const before = buildTopology(state, { selectedNetwork: null, selectedHost: null, overlay });
    expect(before.hosts.every((h) => h.agentDown === null)).toBe(true);
    const hosts = new Map(overlay.hosts);
    hosts.set('compute2', { ...hosts.get('compute2')!, agent: down });
    hosts.set('compute1', { ...hosts.get('compute1')!, agent: { alive: true, lastReportAt: down.lastReportAt } });
    const g = buildTopology(state, { selectedNetwork: null, selectedHost: null, overlay: { ...overlay, hosts } });
    const c2 = g.hosts.find((h) => h.title === 'compute2')!;
    expect(c2.agentDown).toEqual({ host: 'compute2', downSince: down.downSince, lastReportAt: down.lastReportAt });
    expect(c2.height - before.hosts.find((h) => h.title === 'compute2')!.height).toBe(20);
    expect(g.hosts.filter((h) => h.agentDown).map((h) => h.title)).toEqual(['compute2']);
    // a host without a node agent: only the finding names it
    const noSummary = new Map(overlay.hosts);
    noSummary.delete('controller');
    const f = buildTopology(state, {
      selectedNetwork: null,
      selectedHost: null,
      overlay: { ...overlay, hosts: noSummary, downAgents: new Set(['controller']) },
    });
    expect(f.hosts.find((h) => h.title === 'controller')!.agentDown).toEqual({ host: 'controller', downSince: null, lastReportAt: null });
  });

  it('links drift causes and the badge to the finding card on the host page; the mode reads as of the last report', () => {
    const key = agentDownKey('compute2');
    expect(findingAnchor(key)).toBe('finding-agent_down-agent-compute2');
    expect(findingAnchor(findingKey({ kind: 'agent_down', network: 'agent:compute2' }))).toBe(findingAnchor(key));
    expect(causeLinks([key], 'compute2')).toEqual([{ key, label: 'the L2 agent is down', href: '/hosts/compute2#finding-agent_down-agent-compute2' }]);
    expect(causeLinks(undefined, 'compute2')).toEqual([]);
    expect(agentDownHref('compute2')).toBe('/hosts/compute2#finding-agent_down-agent-compute2');
    expect(agentBadgeText(down)).toEqual({ state: 'down', tone: 'bad', label: 'agent down since 01:50:12 UTC' });
    expect(agentBadgeText({ alive: true, lastReportAt: down.lastReportAt }).state).toBe('alive');
    expect(agentBadgeText(null).state).toBe('unknown');
    expect(modeAsOf(down)!.label).toBe('as of last report 01:48:57 UTC');
    expect(modeAsOf({ alive: true, lastReportAt: down.lastReportAt })).toBeNull();
  });
});

describe('node view state: overview + live updates', () => {
  const summary = (host: string, drift: Partial<HostNodeSummary['drift']> = {}): HostNodeSummary => {
    const d = {
      missing_flood: 0,
      missing_unicast: 0,
      stale_entry: 0,
      wrong_vtep: 0,
      learned_only: 0,
      neigh_missing: 0,
      neigh_stale: 0,
      unmaintained: 0,
      ...drift,
    };
    return {
      host,
      agentType: 'linuxbridge',
      vtep: null,
      summary: 'l2pop',
      l2pop: 'on',
      arpResponder: 'on',
      floodMode: 'unicast',
      drift: d,
      driftTotal: Object.values(d).reduce((a, b) => a + b, 0),
      foreignMacs: 0,
      floodExcess: 0,
      floodMissing: 0,
      snapshotAt: null,
      agent: null,
    };
  };
  const finding = (hosts: string[], id = 0): FindingView => ({
    id,
    kind: 'mixed_l2pop',
    network: 'n1',
    vni: 649,
    hosts,
    detail: 'x',
    evidence: [],
    firstSeenAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-01-01T00:00:00.000Z',
  });
  const update = (u: Partial<NodesLiveUpdate>): NodesLiveUpdate => ({
    at: '2026-01-01T00:00:05.000Z',
    hosts: [],
    findings: [],
    convergence: [],
    bum: [],
    ...u,
  });

  it('folds host summaries, keeps the database id of an open finding, moves a gone one to resolved', () => {
    const v0 = hostViewFromOverview({
      hosts: [summary('a'), summary('b')],
      findings: [{ ...finding(['a', 'b'], 7), resolvedAt: null }],
      resolvedFindings: [],
      convergence: [],
      bum: [{ host: 'a', report: { not: 'a report' } }],
    });
    expect(v0.bum.size).toBe(0);
    const c1 = applyHostViewUpdate(v0, update({ hosts: [summary('a', { missing_flood: 2 })], findings: [finding(['a', 'b'], 0)] }));
    expect(c1.view.findings[0]!.id).toBe(7);
    expect([...c1.hosts]).toEqual(['a']);
    expect(c1.findingsChanged).toBe(false);
    expect(driftTotals(c1.view.hosts.values()).missing_flood).toBe(2);
    expect(worstClass(c1.view.hosts.get('a')!.drift)).toBe('missing_flood');
    const c2 = applyHostViewUpdate(c1.view, update({ findings: [] }));
    expect(c2.findingsChanged).toBe(true);
    expect([...c2.hosts].sort()).toEqual(['a', 'b']);
    expect(c2.view.resolved[0]).toMatchObject({ kind: 'mixed_l2pop', resolvedAt: '2026-01-01T00:00:05.000Z' });
    expect(EMPTY_HOST_VIEW.hosts.size).toBe(0);
  });

  it('the store buffers live updates while the overview loads, then applies them in order', () => {
    const store = createL2Store();
    store.dispatch({ type: 'nodes/syncStart', gen: 1 });
    store.dispatch({ type: 'nodes/update', update: update({ hosts: [summary('a', { stale_entry: 1 })] }) });
    expect(store.getState().nodes.buffer).toHaveLength(1);
    store.dispatch({
      type: 'nodes/overview',
      gen: 1,
      overview: { hosts: [summary('a'), summary('b')], findings: [], resolvedFindings: [], convergence: [], bum: [] },
    });
    const n = store.getState().nodes;
    expect(n.status).toBe('ready');
    expect(n.view.hosts.get('a')!.drift.stale_entry).toBe(1);
    expect(n.hostRev).toEqual({ a: n.rev, b: n.rev });
    // a stale overview answer (older generation) is dropped
    store.dispatch({ type: 'nodes/overview', gen: 0, overview: { hosts: [], findings: [], resolvedFindings: [], convergence: [], bum: [] } });
    expect(store.getState().nodes.view.hosts.size).toBe(2);
    store.dispatch({ type: 'nodes/update', update: update({ hosts: [summary('b', { learned_only: 3 })] }) });
    const m = store.getState().nodes;
    expect(m.hostRev.b).toBe(m.rev);
    expect(m.hostRev.a).toBeLessThan(m.rev);
  });
});
