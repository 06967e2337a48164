/**
 * HostAnalysisState rows: the latest told-vs-held analysis of each host with a node agent
 * (domain `HostAnalysis`: how it runs l2pop, its drift from what l2pop told it, its flood list per
 * network), written by the worker after each analysis that changed it.
 *
 * The domain has no zod schema for `HostAnalysis`: the column is written only from the domain's
 * `NodeAnalyzer` output by {@link saveHostAnalyses} and cast on the way out, in {@link rowAnalysis} only.
 */
import type { HostAnalysis } from '@l2scope/domain';
import type { Db } from '../client';
import { appendAnalysisHistory } from './held-history';
import { jsonColumnFromText } from './json';

type Client = Pick<Db, 'hostAnalysisState'>;

/** One host's analysis to store: `json` is `JSON.stringify(analysis)` (the worker has it already, to detect changes). */
export interface HostAnalysisWrite {
  host: string;
  /** Drift items of the analysis (`analysis.drift.length`). */
  driftCount: number;
  json: string;
}

/** A stored analysis: the host, when it was analysed, the analysis. */
export interface StoredHostAnalysis {
  host: string;
  at: Date;
  analysis: HostAnalysis;
}

const rowAnalysis = (r: { host: string; at: Date; analysis: unknown }): StoredHostAnalysis => ({
  host: r.host,
  at: r.at,
  analysis: r.analysis as HostAnalysis,
});

/** Store (upsert) these hosts' analyses, all made at `at`, and append the changed ones to their history (`appendAnalysisHistory`). */
export async function saveHostAnalyses(db: Pick<Db, 'hostAnalysisState' | 'hostAnalysisHistory'>, rows: readonly HostAnalysisWrite[], at: Date): Promise<void> {
  for (const { host, driftCount, json } of rows) {
    const data = { at, driftCount, analysis: jsonColumnFromText(json) };
    await db.hostAnalysisState.upsert({ where: { host }, create: { host, ...data }, update: data });
  }
  await appendAnalysisHistory(db, rows, at);
}

/** Every stored analysis, by host name. */
export async function hostAnalyses(db: Client): Promise<StoredHostAnalysis[]> {
  const rows = await db.hostAnalysisState.findMany({ orderBy: { host: 'asc' } });
  return rows.map(rowAnalysis);
}

/** One host's stored analysis, or null. */
export async function hostAnalysisOf(db: Client, host: string): Promise<StoredHostAnalysis | null> {
  const row = await db.hostAnalysisState.findUnique({ where: { host } });
  return row ? rowAnalysis(row) : null;
}
