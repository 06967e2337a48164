/**
 * The browser's copy of the host view (told vs held): the `nodes.overview` answer with the
 * worker's live `nodes` updates folded in. Pure functions, no React, no I/O.
 *
 * Updates are absolute per host (a host's summary, convergence figures, BUM report replace the
 * previous ones) and carry every open finding, so applying them in arrival order after the
 * overview is correct even when the overview already contains some of them.
 */
import {
  DRIFT_CLASSES,
  type BumReport,
  type DriftClass,
  type FindingView,
  type HostConvergence,
  type HostNodeSummary,
  type NodeRefusals,
  type NodesLiveUpdate,
  bumReportSchema,
  findingKey,
  noRefusals,
} from '@l2scope/domain';

/** A finding as listed: open ones have `resolvedAt` null. */
export type ListedFinding = FindingView & { resolvedAt: string | null };

/** What `nodes.overview` answers (the API's output, structurally). */
export interface HostViewOverview {
  hosts: HostNodeSummary[];
  findings: ListedFinding[];
  resolvedFindings: ListedFinding[];
  convergence: HostConvergence[];
  bum: { host: string; report?: unknown }[];
  /** Node messages the worker refused, per reason (absent from older answers). */
  refused?: NodeRefusals;
}

/** Immutable host view; every change yields new Map instances (cheap identity checks for React). */
export interface HostViewState {
  /** Hosts with a node agent, by host name. */
  hosts: ReadonlyMap<string, HostNodeSummary>;
  /** Open findings, oldest first. */
  findings: ListedFinding[];
  /** Recently resolved findings, newest first (at most {@link MAX_RESOLVED}). */
  resolved: ListedFinding[];
  convergence: ReadonlyMap<string, HostConvergence>;
  /** Latest valid BUM report per host. */
  bum: ReadonlyMap<string, BumReport>;
  /** Node messages the worker refused, per reason (totals; docs/rabbitmq.md#refusals). */
  refused: NodeRefusals;
  /** Time of the last live update applied (ISO), null before any. */
  updatedAt: string | null;
}

/** Resolved findings kept in the list. */
export const MAX_RESOLVED = 20;

/** The view before anything is loaded. */
export const EMPTY_HOST_VIEW: HostViewState = {
  hosts: new Map(),
  findings: [],
  resolved: [],
  convergence: new Map(),
  bum: new Map(),
  refused: noRefusals(),
  updatedAt: null,
};

/** A BUM report as received (the API and socket carry it as JSON), or null when it is not a valid `l2scope.bum/1` report. */
export function toBumReport(json: unknown): BumReport | null {
  const r = bumReportSchema.safeParse(json);
  return r.success ? r.data : null;
}

const byFirstSeen = (a: ListedFinding, b: ListedFinding) => a.firstSeenAt.localeCompare(b.firstSeenAt) || findingKey(a).localeCompare(findingKey(b));

/** The valid BUM reports of an answer's `bum` list (`nodes.overview`, `history.overview`), by host name. */
export function bumByHost(list: readonly { host: string; report?: unknown }[]): Map<string, BumReport> {
  const bum = new Map<string, BumReport>();
  for (const b of list) {
    const r = toBumReport(b.report);
    if (r) bum.set(b.host, r);
  }
  return bum;
}

/** Build the view from the overview answer. */
export function hostViewFromOverview(o: HostViewOverview): HostViewState {
  const bum = bumByHost(o.bum);
  return {
    hosts: new Map(o.hosts.map((h) => [h.host, h])),
    findings: [...o.findings].sort(byFirstSeen),
    resolved: o.resolvedFindings.slice(0, MAX_RESOLVED),
    convergence: new Map(o.convergence.map((c) => [c.host, c])),
    bum,
    refused: o.refused ?? noRefusals(),
    updatedAt: null,
  };
}

/** What an update changed: the hosts it touched (summary, convergence, BUM, or named by a finding that opened or closed). */
export interface HostViewChange {
  view: HostViewState;
  hosts: Set<string>;
  findingsChanged: boolean;
  bumChanged: boolean;
}

const findingSig = (f: FindingView) => `${findingKey(f)}|${f.hosts.join(',')}|${f.detail}|${JSON.stringify(f.evidence)}`;

/** `map` with each row of `rows` put under its host (a new Map only when there are rows); hosts noted in `touched`. */
function replaceByHost<T extends { host: string }>(map: ReadonlyMap<string, T>, rows: readonly T[], touched: Set<string>): ReadonlyMap<string, T> {
  if (!rows.length) return map;
  const m = new Map(map);
  for (const r of rows) {
    m.set(r.host, r);
    touched.add(r.host);
  }
  return m;
}

/** Fold one live update into the view. */
export function applyHostViewUpdate(v: HostViewState, u: NodesLiveUpdate): HostViewChange {
  const touched = new Set<string>();
  const hosts = replaceByHost(v.hosts, u.hosts, touched);
  const convergence = replaceByHost(v.convergence, u.convergence, touched);
  let bum = v.bum;
  if (u.bum.length) {
    const m = new Map(v.bum);
    for (const b of u.bum) {
      const r = toBumReport(b.report);
      if (r) m.set(b.host, r);
      else m.delete(b.host);
      touched.add(b.host);
    }
    bum = m;
  }
  // findings: the update lists every open one; those gone are resolved now
  const before = new Map(v.findings.map((f) => [findingKey(f), f]));
  const after = new Map(u.findings.map((f) => [findingKey(f), f]));
  const newlyResolved: ListedFinding[] = [];
  for (const [key, f] of before) {
    if (after.has(key)) continue;
    newlyResolved.push({ ...f, resolvedAt: u.at });
    for (const h of f.hosts) touched.add(h);
  }
  let findingsChanged = newlyResolved.length > 0;
  const findings: ListedFinding[] = u.findings.map((f) => {
    const old = before.get(findingKey(f));
    if (!old || findingSig(old) !== findingSig(f)) {
      findingsChanged = true;
      for (const h of f.hosts) touched.add(h);
    }
    // keep the database id when the live one is not assigned yet (0: just opened, not persisted)
    return { ...f, id: f.id || old?.id || 0, firstSeenAt: old?.firstSeenAt ?? f.firstSeenAt, resolvedAt: null };
  });
  const view: HostViewState = {
    hosts,
    findings: findingsChanged ? findings.sort(byFirstSeen) : v.findings,
    resolved: newlyResolved.length ? [...newlyResolved, ...v.resolved.filter((r) => !after.has(findingKey(r)))].slice(0, MAX_RESOLVED) : v.resolved,
    convergence,
    bum,
    refused: u.refused ?? v.refused,
    updatedAt: u.at,
  };
  return { view, hosts: touched, findingsChanged, bumChanged: u.bum.length > 0 };
}

/** Drift items per class over every host (what `nodes.overview` sums as `driftTotals`). */
export function driftTotals(hosts: Iterable<HostNodeSummary>): Record<DriftClass, number> {
  const out = Object.fromEntries(DRIFT_CLASSES.map((c) => [c, 0])) as Record<DriftClass, number>;
  for (const h of hosts) for (const c of DRIFT_CLASSES) out[c] += h.drift[c];
  return out;
}
