/**
 * The node view of the dashboard (issue: expected vs actual): per host its mode, drift and flood
 * lists as last analysed by the worker, cross-host findings, convergence lags, BUM reports.
 * Read from the database the worker writes; live changes arrive on socket.io (`nodes`).
 */
import { TRPCError } from '@trpc/server';
import { findingView, readModelSnapshot } from '@l2scope/db';
import {
  ClusterModel,
  DRIFT_CLASSES,
  type DriftClass,
  type FullNodeSnapshot,
  type HostAnalysis,
  type HostConvergence,
  lagFigures,
  summarizeHost,
} from '@l2scope/domain';
import { z } from 'zod';
import { publicProcedure, router } from './trpc';
import type { Context } from './trpc';

/** Lag figures per host over its last `window` convergence samples. */
async function convergenceByHost(db: Context['db'], hosts: string[], window = 256): Promise<HostConvergence[]> {
  const out: HostConvergence[] = [];
  for (const host of hosts) {
    const rows = await db.convergenceSample.findMany({ where: { host }, orderBy: { id: 'desc' }, take: window, select: { lagMs: true } });
    if (rows.length) out.push(lagFigures(host, rows.map((r) => r.lagMs).reverse()));
  }
  return out;
}

export const nodesRouter = router({
  /** The cloud overview: every host with a node agent, open findings, drift totals by class, lags, BUM. */
  overview: publicProcedure.query(async ({ ctx }) => {
    const [analyses, open, resolved, bum] = await Promise.all([
      ctx.db.hostAnalysisState.findMany({ orderBy: { host: 'asc' } }),
      ctx.db.finding.findMany({ where: { resolvedAt: null }, orderBy: { firstSeenAt: 'asc' } }),
      ctx.db.finding.findMany({ where: { resolvedAt: { not: null } }, orderBy: { resolvedAt: 'desc' }, take: 20 }),
      ctx.db.bumState.findMany({ orderBy: { host: 'asc' } }),
    ]);
    const hosts = analyses.map((a) => summarizeHost(a.host, a.analysis as unknown as HostAnalysis));
    const driftTotals = Object.fromEntries(DRIFT_CLASSES.map((c) => [c, hosts.reduce((n, h) => n + h.drift[c], 0)])) as Record<DriftClass, number>;
    return {
      hosts,
      driftTotals,
      findings: open.map(findingView),
      resolvedFindings: resolved.map(findingView),
      convergence: await convergenceByHost(ctx.db, hosts.map((h) => h.host)),
      bum: bum.map((b) => ({ host: b.host, report: b.report as unknown })),
    };
  }),

  /**
   * One host: its analysis (mode, drift with evidence, flood lists), its latest node snapshot
   * (what it holds), what the server told it (per network), recent convergence samples, BUM report.
   */
  host: publicProcedure.input(z.object({ host: z.string().min(1) })).query(async ({ ctx, input }) => {
    const [analysis, state, bum, samples, model, open] = await Promise.all([
      ctx.db.hostAnalysisState.findUnique({ where: { host: input.host } }),
      ctx.db.nodeState.findUnique({ where: { host: input.host } }),
      ctx.db.bumState.findUnique({ where: { host: input.host } }),
      ctx.db.convergenceSample.findMany({ where: { host: input.host }, orderBy: { id: 'desc' }, take: 50 }),
      readModelSnapshot(ctx.db),
      ctx.db.finding.findMany({ where: { resolvedAt: null } }),
    ]);
    const cluster = ClusterModel.fromSnapshot(model);
    const hostId = cluster.host(input.host) ? input.host : null;
    if (!analysis && !state && !hostId) throw new TRPCError({ code: 'NOT_FOUND', message: `no host ${input.host}` });
    return {
      host: input.host,
      view: hostId ? cluster.host(hostId)! : null,
      analysis: (analysis?.analysis as unknown as HostAnalysis | undefined) ?? null,
      analysedAt: analysis?.at.toISOString() ?? null,
      snapshot: (state?.snapshot as unknown as FullNodeSnapshot | undefined) ?? null,
      told: hostId ? cluster.toldFdb(hostId) : [],
      convergence: samples.map((s) => ({
        messageId: Number(s.messageId),
        network: s.network,
        vtep: s.vtep,
        mac: s.mac,
        change: s.change,
        castAt: s.castAt.toISOString(),
        seenAt: s.seenAt.toISOString(),
        lagMs: s.lagMs,
      })),
      bum: (bum?.report as unknown) ?? null,
      findings: open.map(findingView).filter((f) => f.hosts.includes(input.host)),
    };
  }),

  /** One network: every member host's flood list (actual / ideal / excess / missing) and BUM report, findings. */
  network: publicProcedure.input(z.object({ network: z.string().min(1) })).query(async ({ ctx, input }) => {
    const [net, analyses, bum, open] = await Promise.all([
      ctx.db.network.findUnique({ where: { id: input.network } }),
      ctx.db.hostAnalysisState.findMany({ orderBy: { host: 'asc' } }),
      ctx.db.bumState.findMany(),
      ctx.db.finding.findMany({ where: { resolvedAt: null, network: input.network } }),
    ]);
    if (!net) throw new TRPCError({ code: 'NOT_FOUND', message: `no network ${input.network}` });
    const bumOf = new Map(bum.map((b) => [b.host, b.report as unknown]));
    const hosts = analyses.flatMap((a) => {
      const ha = a.analysis as unknown as HostAnalysis;
      const flood = ha.flood[input.network];
      if (!flood) return [];
      return [{ host: a.host, vtep: ha.mode.vtep, mode: ha.mode.summary, flood, drift: ha.drift.filter((d) => d.network === input.network), bum: bumOf.get(a.host) ?? null }];
    });
    return { network: { id: net.id, vni: net.vni, networkType: net.networkType }, hosts, findings: open.map(findingView) };
  }),
});
