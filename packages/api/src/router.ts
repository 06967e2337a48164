/**
 * The dashboard's tRPC API (read-only, thin): the model projection for the initial topology,
 * message history with the inspector's filters, one message in full, worker counters.
 * Live updates do not come from here but from the worker's socket.io.
 */
import { TRPCError } from '@trpc/server';
import { readModelSnapshot } from '@l2scope/db';
import type { TapGapView } from '@l2scope/domain';
import { z } from 'zod';
import { messageFilterSchema, messageWhere } from './filters';
import { summarySelect, toSummary } from './rows';
import { nodesRouter } from './nodes';
import { publicProcedure, router } from './trpc';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export const appRouter = router({
  nodes: nodesRouter,

  topology: router({
    /** The model as last persisted by the worker; `seq` orders it against live `model` batches. */
    snapshot: publicProcedure.query(({ ctx }) => readModelSnapshot(ctx.db)),
  }),

  messages: router({
    /** Newest first, `limit` per page; page on with `before = nextCursor`. */
    list: publicProcedure
      .input(messageFilterSchema.extend({ limit: z.number().int().min(1).max(1000).default(200) }))
      .query(async ({ ctx, input }) => {
        const rows = await ctx.db.message.findMany({
          where: messageWhere(input),
          orderBy: { id: input.after !== undefined ? 'asc' : 'desc' },
          take: input.limit + 1,
          select: summarySelect,
        });
        const more = rows.length > input.limit;
        const page = rows.slice(0, input.limit).map(toSummary);
        if (input.after !== undefined) page.reverse();
        return { items: page, nextCursor: more && input.after === undefined ? page[page.length - 1]!.id : null };
      }),

    /** One message: summary, decoded tree, AMQP properties, raw body (UTF-8 text when valid, else base64). */
    get: publicProcedure.input(z.object({ id: z.number().int().positive() })).query(async ({ ctx, input }) => {
      const m = await ctx.db.message.findUnique({
        where: { id: BigInt(input.id) },
        select: { ...summarySelect, decoded: true, properties: true, raw: true, rawTruncated: true },
      });
      if (!m) throw new TRPCError({ code: 'NOT_FOUND', message: `no message ${input.id}` });
      let text: string | null;
      try {
        text = strictUtf8.decode(m.raw);
      } catch {
        text = null;
      }
      return {
        summary: toSummary(m),
        decoded: m.decoded as unknown,
        properties: m.properties as Record<string, unknown>,
        raw: { text, base64: text === null ? Buffer.from(m.raw).toString('base64') : null, truncated: m.rawTruncated, bytes: m.raw.byteLength },
      };
    }),

    /** Values the filters offer: methods seen, networks (with VNI), hosts. */
    facets: publicProcedure.query(async ({ ctx }) => {
      const [methods, undecodable, networks, hosts] = await Promise.all([
        ctx.db.message.groupBy({ by: ['method'], where: { ok: true }, _count: { _all: true } }),
        ctx.db.message.count({ where: { ok: false } }),
        ctx.db.network.findMany({ orderBy: { vni: 'asc' } }),
        ctx.db.host.findMany({ select: { id: true, name: true, vtep: true }, orderBy: { id: 'asc' } }),
      ]);
      return {
        methods: methods
          .filter((m) => m.method)
          .map((m) => ({ method: m.method!, count: m._count._all }))
          .sort((a, b) => a.method.localeCompare(b.method)),
        undecodable,
        networks: networks.map((n) => ({ id: n.id, vni: n.vni })),
        hosts: hosts.map((h) => ({ id: h.id, name: h.name, vtep: h.vtep })),
      };
    }),
  }),

  stats: router({
    /** Worker counters and recent tap gaps as persisted. */
    get: publicProcedure.query(async ({ ctx }) => {
      const [counters, gaps, state] = await Promise.all([
        ctx.db.counter.findMany(),
        ctx.db.tapGap.findMany({ orderBy: { id: 'desc' }, take: 20 }),
        ctx.db.modelState.findUnique({ where: { id: 1 } }),
      ]);
      const value = (name: string) => Number(counters.find((c) => c.name === name)?.value ?? 0);
      return {
        received: value('received'),
        undecodable: value('undecodable'),
        dropped: value('dropped'),
        expired: value('expired'),
        seq: state ? Number(state.seq) : 0,
        gaps: gaps.map((g): TapGapView => ({ id: g.id, startedAt: g.startedAt.toISOString(), endedAt: g.endedAt?.toISOString() ?? null, reason: g.reason })),
      };
    }),
  }),
});

export type AppRouter = typeof appRouter;
