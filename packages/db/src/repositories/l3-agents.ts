/**
 * The L3 agents' projection (`L3Agent`, one row per host): each host's L3 agent as its last
 * `report_state` described it, written in the ingest batch's transaction (`commitBatch`). Never
 * touches `Host`: a companion agent's report says nothing about the L2 agent's host
 * (docs/wire-format.md#report-state). Mirrors @l2scope/domain `l3AgentStateOf`. A row goes with
 * its host's expiry (`expireHosts`) and by retention (`pruneRetention`, age of `lastReportAt`).
 */
import { L3_AGENT_MODES, type L3AgentMode, l3AgentStateOf, latestL3Agents } from '@l2scope/domain';
import type { Db } from '../client';
import { storableString } from '../bulk';
import type { SqlTx } from '../sql-tx';
import type { MessageRecord } from './messages';

/** Most L3 agents read at once (one per hypervisor: well above 1,000 hosts). */
export const MAX_L3_AGENTS = 10_000;

/** A host's L3 agent as stored. Times are epoch ms. */
export interface L3AgentView {
  host: string;
  binary: string;
  /** `agent_mode`; null when the agent did not report one. */
  agentMode: L3AgentMode | null;
  /** Receive time of the last report with `start_flag`; null when none was seen. */
  startedAt: number | null;
  lastReportAt: number;
}

/**
 * Upsert the L3 agents reporting in a batch (the latest report per host wins). A report with
 * `start_flag` also sets `startedAt`. Throws the driver's error (the caller's transaction is rolled back).
 */
export async function writeL3Agents(tx: SqlTx, batch: readonly MessageRecord[]): Promise<void> {
  const states = latestL3Agents(
    batch.flatMap((m) =>
      m.result.ok && m.result.message.kind === 'report_state' ? (l3AgentStateOf(m.result.message.agent, m.delivery.receivedAt) ?? []) : [],
    ),
  );
  const p = tx.provider === 'postgresql' ? (n: number) => `$${n}` : () => '?';
  const upsert = (started: boolean) =>
    `INSERT INTO "L3Agent" ("host", "binary", "agentMode", "lastReportAt", "startedAt") VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}) ` +
    `ON CONFLICT ("host") DO UPDATE SET "binary" = excluded."binary", "agentMode" = excluded."agentMode", "lastReportAt" = excluded."lastReportAt"` +
    (started ? ', "startedAt" = excluded."startedAt"' : '');
  for (const s of states) {
    const at = new Date(s.reportedAt);
    await tx.run(upsert(s.started), [storableString(s.host), storableString(s.binary), s.agentMode, at, s.started ? at : null]);
  }
}

type L3AgentRow = Awaited<ReturnType<Db['l3Agent']['findMany']>>[number];

const modeOf = (m: string | null): L3AgentMode | null => ((L3_AGENT_MODES as readonly string[]).includes(m ?? '') ? (m as L3AgentMode) : null);

function toView(r: L3AgentRow): L3AgentView {
  return { host: r.host, binary: r.binary, agentMode: modeOf(r.agentMode), startedAt: r.startedAt?.getTime() ?? null, lastReportAt: r.lastReportAt.getTime() };
}

/** Every host's L3 agent, by host (at most {@link MAX_L3_AGENTS}). */
export async function readL3Agents(db: Pick<Db, 'l3Agent'>): Promise<L3AgentView[]> {
  return (await db.l3Agent.findMany({ orderBy: { host: 'asc' }, take: MAX_L3_AGENTS })).map(toView);
}

/** One host's L3 agent; null when no L3 agent of that host has reported. */
export async function readL3AgentOf(db: Pick<Db, 'l3Agent'>, host: string): Promise<L3AgentView | null> {
  const r = await db.l3Agent.findUnique({ where: { host } });
  return r ? toView(r) : null;
}
