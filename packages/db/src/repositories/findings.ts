/**
 * Finding rows: cross-host l2pop problems of one network (half-switched VXLAN, mixed ARP
 * responder, mixed l2pop, UDP port mismatch) from first seen to resolved. The worker opens,
 * refreshes and resolves them after each node analysis; the dashboard lists them.
 * At most one open row per key (`<kind>/<network>`, domain `findingKey`). An open row follows the
 * latest analysis: its hosts, detail, evidence and VNI are rewritten when they change
 * ({@link refreshFindings}); a row is never reopened (a finding that comes back is a new row), so
 * the rows are the open / resolved history.
 */
import { type FindingView, findingKey } from '@l2scope/domain';
import type { Finding } from '../generated/sqlite/client';
import { storableString } from '../bulk';
import type { Db } from '../client';
import { jsonColumn } from './json';

/** A finding as listed: open ones have `resolvedAt` null (ISO-8601 times). */
export type ListedFinding = FindingView & { resolvedAt: string | null };

type Client = Pick<Db, 'finding'>;

/** What an open finding says, as the latest analysis has it (the part {@link refreshFindings} rewrites). */
export type FindingContent = Pick<FindingView, 'kind' | 'network' | 'vni' | 'hosts' | 'detail' | 'evidence'>;

/**
 * A Finding row as the dashboard lists it. `hosts` and `evidence` are Json columns written by
 * {@link openFinding} from a domain `Finding` (the domain has no zod schema for it): cast here, in
 * this one place.
 */
export function findingView(f: Finding): ListedFinding {
  return {
    id: f.id,
    kind: f.kind as FindingView['kind'],
    network: f.network,
    vni: f.vni,
    hosts: f.hosts as string[],
    detail: f.detail,
    evidence: f.evidence as unknown as FindingView['evidence'],
    firstSeenAt: f.firstSeenAt.toISOString(),
    lastSeenAt: f.lastSeenAt.toISOString(),
    resolvedAt: f.resolvedAt?.toISOString() ?? null,
  };
}

/** Open findings, oldest first (by first seen). */
export async function openFindings(db: Client): Promise<ListedFinding[]> {
  const rows = await db.finding.findMany({ where: { resolvedAt: null }, orderBy: { firstSeenAt: 'asc' } });
  return rows.map(findingView);
}

/** Open findings of one network (Neutron network UUID, or `vni:<n>`), in row order. */
export async function openFindingsOfNetwork(db: Client, network: string): Promise<ListedFinding[]> {
  const rows = await db.finding.findMany({ where: { resolvedAt: null, network } });
  return rows.map(findingView);
}

/** Open findings naming `host`, in row order. */
export async function openFindingsOfHost(db: Client, host: string): Promise<ListedFinding[]> {
  const rows = await db.finding.findMany({ where: { resolvedAt: null } });
  return rows.map(findingView).filter((f) => f.hosts.includes(host));
}

/** The `limit` most recently resolved findings, newest first. */
export async function resolvedFindings(db: Client, limit = 20): Promise<ListedFinding[]> {
  const rows = await db.finding.findMany({ where: { resolvedAt: { not: null } }, orderBy: { resolvedAt: 'desc' }, take: limit });
  return rows.map(findingView);
}

/**
 * Open a finding: a new row first and last seen `at`.
 * @returns the row id (the `id` the dashboard lists)
 */
export async function openFinding(db: Client, f: FindingView, at: Date): Promise<number> {
  const row = await db.finding.create({
    data: {
      key: findingKey(f),
      kind: f.kind,
      network: f.network,
      vni: f.vni,
      hosts: jsonColumn(f.hosts),
      detail: storableString(f.detail),
      evidence: jsonColumn(f.evidence),
      firstSeenAt: at,
      lastSeenAt: at,
    },
  });
  return row.id;
}

/**
 * Rewrite what open findings say (hosts, detail, evidence, VNI; matched by key `<kind>/<network>`)
 * and mark them seen at `at`, in one transaction: one UPDATE per finding, so the caller passes
 * only the findings whose content changed (the worker compares with what it wrote last). A key
 * with no open row is skipped (it was resolved meanwhile).
 */
export async function refreshFindings(db: Client & Pick<Db, '$transaction'>, findings: readonly FindingContent[], at: Date): Promise<void> {
  if (findings.length === 0) return;
  await db.$transaction(
    findings.map((f) =>
      db.finding.updateMany({
        where: { key: findingKey(f), resolvedAt: null },
        data: { vni: f.vni, hosts: jsonColumn(f.hosts), detail: storableString(f.detail), evidence: jsonColumn(f.evidence), lastSeenAt: at },
      }),
    ),
  );
}

/** Resolve the open findings of these keys (`<kind>/<network>`) at `at`. */
export async function resolveFindings(db: Client, keys: readonly string[], at: Date): Promise<void> {
  for (const key of keys) await db.finding.updateMany({ where: { key, resolvedAt: null }, data: { resolvedAt: at, lastSeenAt: at } });
}

/** Mark findings (row ids) as still seen at `at`. */
export async function touchFindings(db: Client, ids: readonly number[], at: Date): Promise<void> {
  if (ids.length) await db.finding.updateMany({ where: { id: { in: [...ids] } }, data: { lastSeenAt: at } });
}
