/**
 * The one tRPC instance of the API: its context, router factory and procedures. Every procedure
 * needs a session (docs/auth.md): {@link viewerProcedure} for reads, {@link operatorProcedure} and
 * {@link adminProcedure} for what needs more. No procedure is public.
 */
import { TRPCError, initTRPC } from '@trpc/server';
import type { L2scopeAuth, Role, SessionUser } from '@l2scope/auth';
import { roleAtLeast } from '@l2scope/auth';
import type { Db } from '@l2scope/db';

/** Per-request context. */
export interface Context {
  /** The database client (`openDb` of @l2scope/db, one per process). */
  db: Db;
  /** The request's user and role (`L2scopeAuth.sessionFromHeaders`), null without a session. */
  user: SessionUser | null;
  /** True when the request's `Origin` is a trusted web origin (`L2scopeAuth.isTrustedOrigin`); mutations need it. */
  originTrusted: boolean;
  /** The request's `Origin` header as sent (bounded to 512 characters), recorded in the audit log; null when absent. */
  origin?: string | null;
  /**
   * Checks a password against the signed-in user's (the step-up of the toggles,
   * `L2scopeAuth.verifyPassword` on this request's headers). Absent: every step-up fails.
   */
  verifyPassword?: (password: string) => Promise<boolean>;
}

/** The `data.reason` of an error the client must act on: `STEP_UP_REQUIRED` (ask the password and retry). */
export const ERROR_REASONS = ['STEP_UP_REQUIRED'] as const;
/** One of {@link ERROR_REASONS}. */
export type ErrorReason = (typeof ERROR_REASONS)[number];

/** The `cause` of a TRPCError that carries a {@link ErrorReason} to the client (`error.data.reason`). */
export class ReasonError extends Error {
  override readonly name = 'ReasonError';
  constructor(
    readonly reason: ErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The context of one HTTP request: its session user and whether its `Origin` is trusted.
 * Throws when the database cannot be read.
 */
export async function createContext(db: Db, auth: L2scopeAuth, headers: Headers): Promise<Context> {
  const origin = headers.get('origin');
  return {
    db,
    user: await auth.sessionFromHeaders(headers),
    originTrusted: auth.isTrustedOrigin(headers),
    origin: origin === null ? null : origin.slice(0, 512),
    verifyPassword: (password) => auth.verifyPassword(headers, password),
  };
}

const t = initTRPC.context<Context>().create({
  // `data.reason`: what the client must do (e.g. ask the password again), from a ReasonError cause
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: { ...shape.data, reason: error.cause instanceof ReasonError ? error.cause.reason : null },
  }),
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * A procedure for users with at least role `min`: UNAUTHORIZED (HTTP 401) without a session,
 * FORBIDDEN (403) below `min`, and FORBIDDEN for a mutation whose `Origin` is not a trusted web
 * origin (a cross-site request cannot forge it). The context's `user` is non-null downstream.
 */
export function roleProcedure(min: Role) {
  return t.procedure.use(({ ctx, type, next }) => {
    if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in first' });
    if (!roleAtLeast(ctx.user.role, min)) throw new TRPCError({ code: 'FORBIDDEN', message: `needs role ${min} or above` });
    if (type === 'mutation' && !ctx.originTrusted) throw new TRPCError({ code: 'FORBIDDEN', message: 'untrusted origin' });
    return next({ ctx: { ...ctx, user: ctx.user } });
  });
}

/** The base of every read: any signed-in user (viewer or above, or the anonymous viewer when enabled). */
export const viewerProcedure = roleProcedure('viewer');
/** For operators and admins (the toggles, exports of raw messages). */
export const operatorProcedure = roleProcedure('operator');
/** For admins only. */
export const adminProcedure = roleProcedure('admin');
