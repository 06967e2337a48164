/**
 * Better Auth on l2scope's database: local accounts (username or e-mail + password, hashed by
 * Better Auth), sessions stored in the database behind an HttpOnly, SameSite=Strict cookie, a
 * rate-limited sign-in, the optional OIDC provider, and the one question every reader asks:
 * who is this request's user, and with which role ({@link L2scopeAuth.sessionFromHeaders}).
 * docs/auth.md describes the whole.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { betterAuth } from 'better-auth';
import { bearer, genericOAuth, username } from 'better-auth/plugins';
import { type Db, type DbProvider, authDatabase } from '@l2scope/db';
import type { AuthConfig } from './config';
import { type Role, parseRole } from './roles';

/** Where Better Auth's routes are mounted in the web app (`app/api/auth/[...all]/route.ts`). */
export const AUTH_BASE_PATH = '/api/auth';
/** The OIDC provider's id: its callback is `<base URL>/api/auth/oauth2/callback/oidc`. */
export const OIDC_PROVIDER_ID = 'oidc';

/** The user a request reads as. */
export interface SessionUser {
  /** `User.id`, or `anonymous` for an anonymous reader. */
  id: string;
  /** Display name. */
  name: string;
  /** Local sign-in name, null for OIDC-only users and the anonymous reader. */
  username: string | null;
  email: string | null;
  role: Role;
  /** True when no one signed in and `L2SCOPE_ANONYMOUS_READ=1` let the request read as a viewer. */
  anonymous: boolean;
  /**
   * When the request's session was made: the user's last sign-in (Better Auth `Session.createdAt`,
   * a token's creation for `l2scope user token`); absent for the anonymous reader. The toggles ask
   * for the password again when it is older than 5 minutes (docs/auth.md#step-up).
   */
  signedInAt?: Date;
}

/** Request headers as a Fetch `Headers`, a plain record, or Node's `IncomingHttpHeaders` (socket.io's `req.headers`). */
export type HeadersLike = Headers | IncomingHttpHeaders | Record<string, string | string[] | undefined>;

/** Normalise {@link HeadersLike} into a Fetch `Headers`. */
export function toHeaders(headers: HeadersLike): Headers {
  if (headers instanceof Headers) return headers;
  const out = new Headers();
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) out.append(k, item);
    else out.set(k, String(v));
  }
  return out;
}

/** Origins a request's own `Host` header stands for (`http://host`, `https://host`): same-origin when no origin is configured. */
function sameHostOrigins(headers: Headers): string[] {
  const host = headers.get('host');
  return host ? [`http://${host}`, `https://${host}`] : [];
}

function buildBetterAuth(db: Db, provider: DbProvider, config: AuthConfig) {
  const secure = config.baseURL ? config.baseURL.startsWith('https://') : false;
  return betterAuth({
    appName: 'l2scope',
    baseURL: config.baseURL,
    basePath: AUTH_BASE_PATH,
    secret: config.secret,
    database: authDatabase(db, provider),
    telemetry: { enabled: false },
    // without a configured base URL the origin is the request's on purpose (docs/auth.md#environment)
    logger: {
      log(level, message, ...args) {
        if (!config.baseURL && message.includes('Base URL is not set')) return;
        (level === 'error' ? console.error : level === 'warn' ? console.warn : console.log)(`[auth] ${message}`, ...args);
      },
    },
    // accounts are made by the CLI (or on first OIDC sign-in), never by a sign-up form
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 8, maxPasswordLength: 256 },
    user: {
      additionalFields: {
        role: { type: 'string', required: false, defaultValue: 'viewer', input: false },
      },
    },
    trustedOrigins: (request) => (config.trustedOrigins.length > 0 || !request ? config.trustedOrigins : sameHostOrigins(request.headers)),
    rateLimit: {
      enabled: true,
      storage: 'memory',
      customRules: { '/sign-in/*': { window: config.loginWindowS, max: config.loginMax } },
    },
    advanced: {
      cookiePrefix: 'l2scope',
      useSecureCookies: secure,
      defaultCookieAttributes: { httpOnly: true, sameSite: 'strict', secure },
    },
    plugins: [
      username({ minUsernameLength: 2, maxUsernameLength: 64 }),
      // scripts send `Authorization: Bearer <token>` (a session made by `l2scope user token`);
      // Better Auth reads it as that session's cookie (docs/auth.md#tokens)
      bearer(),
      ...(config.oidc
        ? [
            genericOAuth({
              config: [
                {
                  providerId: OIDC_PROVIDER_ID,
                  discoveryUrl: `${config.oidc.issuer}/.well-known/openid-configuration`,
                  clientId: config.oidc.clientId,
                  clientSecret: config.oidc.clientSecret,
                  scopes: config.oidc.scopes,
                  pkce: true,
                },
              ],
            }),
          ]
        : []),
    ],
  });
}

/** The Better Auth instance l2scope configures (its `handler`, `api`, `$context`). */
export type BetterAuthInstance = ReturnType<typeof buildBetterAuth>;

/** Authentication bound to one database client: what the web app, the worker and the CLI use. */
export interface L2scopeAuth {
  readonly config: AuthConfig;
  /** The Better Auth instance (its HTTP handler serves `/api/auth/*`). */
  readonly betterAuth: BetterAuthInstance;
  /**
   * Serve a Better Auth request (`/api/auth/*`: sign-in, sign-out, get-session, OIDC callback).
   * A POST whose `Origin` is not trusted ({@link isTrustedOrigin}) gets 403.
   */
  handler(req: Request): Promise<Response>;
  /**
   * The user of a request from its headers (the session cookie), with their role; the anonymous
   * viewer when nobody signed in and `anonymousRead` is on; null otherwise (also for a user whose
   * stored role is not one of `ROLES`). Throws when the database cannot be read.
   */
  sessionFromHeaders(headers: HeadersLike): Promise<SessionUser | null>;
  /**
   * True when the request's `Origin` header is one of the configured trusted origins (or, when
   * none is configured, the request's own host). A request without `Origin` is not trusted.
   * Mutations must pass it (a cross-site form cannot forge `Origin`).
   */
  isTrustedOrigin(headers: HeadersLike): boolean;
  /**
   * Whether `password` is the password of the request's signed-in user (Better Auth's
   * `verifyPassword`, the stored hash): the step-up before a toggle (docs/auth.md#step-up).
   * False without a session, for a user without a local password, and for a wrong password.
   */
  verifyPassword(headers: HeadersLike, password: string): Promise<boolean>;
}

/** The reader of `L2SCOPE_ANONYMOUS_READ=1`. */
export const ANONYMOUS_VIEWER: SessionUser = Object.freeze({
  id: 'anonymous',
  name: 'anonymous',
  username: null,
  email: null,
  role: 'viewer',
  anonymous: true,
});

/**
 * Authentication on `db` (a client from `openDb`, whose URL's provider is `provider`) with
 * `config` (`authConfigFromEnv`). Cheap: no I/O until a request or a user operation.
 */
export function createAuth(db: Db, provider: DbProvider, config: AuthConfig): L2scopeAuth {
  const auth = buildBetterAuth(db, provider, config);
  const isTrustedOrigin = (headers: HeadersLike): boolean => {
    const h = toHeaders(headers);
    const origin = h.get('origin');
    if (!origin) return false;
    const allowed = config.trustedOrigins.length > 0 ? config.trustedOrigins : sameHostOrigins(h);
    return allowed.includes(origin);
  };
  return {
    config,
    betterAuth: auth,
    async handler(req) {
      // every state-changing auth request (sign-in, sign-out) comes from a trusted origin; Better
      // Auth checks Origin only on some paths (not the username sign-in) when no cookie is sent
      if (req.method !== 'GET' && req.method !== 'HEAD' && !isTrustedOrigin(req.headers)) {
        return Response.json({ code: 'INVALID_ORIGIN', message: 'Invalid origin' }, { status: 403 });
      }
      return auth.handler(req);
    },
    async sessionFromHeaders(headers) {
      const found = await auth.api.getSession({ headers: toHeaders(headers) });
      if (!found) return config.anonymousRead ? ANONYMOUS_VIEWER : null;
      const role = parseRole(found.user.role);
      if (!role) return null;
      const u = found.user as typeof found.user & { username?: string | null };
      return { id: u.id, name: u.name, username: u.username ?? null, email: u.email, role, anonymous: false, signedInAt: new Date(found.session.createdAt) };
    },
    isTrustedOrigin,
    async verifyPassword(headers, password) {
      try {
        const res = await auth.api.verifyPassword({ body: { password }, headers: toHeaders(headers) });
        return res.status === true;
      } catch {
        // APIError: no session (401) or INVALID_PASSWORD (400)
        return false;
      }
    },
  };
}
