/**
 * Who may use the worker's live surface (socket.io and `/api/*`): the browser origins allowed, and
 * the `authorize` hook that decides per request.
 *
 * Until the web app has sessions, the hook is a shared secret, `L2SCOPE_WORKER_TOKEN`, sent as
 * `Authorization: Bearer <token>`: by operators and tests on `/api/*`, and by the web server's
 * proxy (`apps/web/proxy.ts`) on every socket.io request it forwards for a browser. The browser
 * itself never sees the token. A session resolver (`packages/auth`) plugs into the same hook.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The authenticated caller, when the hook knows one (a web session); a bare `true` is an anonymous service (the shared token). */
export interface LivePrincipal {
  user: string;
  role: string;
}

/**
 * Decide whether a request may use the live surface. Called once per socket.io handshake (the
 * first HTTP request of a connection, polling or websocket) and once per `/api/*` request. Resolves
 * `false` to refuse (401 on `/api/*`, 403 on a handshake); a rejection counts as a refusal.
 */
export type LiveAuthorize = (req: IncomingMessage) => Promise<boolean | LivePrincipal>;

/** The web origins allowed when none are configured: the dashboard on this machine at `webPort`. */
export function defaultWebOrigins(webPort: number): string[] {
  return [`http://localhost:${webPort}`, `http://127.0.0.1:${webPort}`];
}

/**
 * Parse an origin list (`L2SCOPE_WEB_ORIGINS`: comma-separated `scheme://host[:port]`), each
 * normalised as browsers send it (lower case, no default port, no path).
 * @throws Error naming an entry that is not an http(s) origin
 */
export function parseOrigins(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      let u: URL;
      try {
        u = new URL(s);
      } catch {
        throw new Error(`not an origin: ${s}`);
      }
      if ((u.protocol !== 'http:' && u.protocol !== 'https:') || (u.pathname !== '/' && u.pathname !== '') || u.search || u.username) {
        throw new Error(`not an origin (scheme://host[:port] only): ${s}`);
      }
      return u.origin;
    });
}

/**
 * Whether a request's `Origin` is acceptable: absent (not a browser, or a same-origin GET the web
 * proxy forwards) or one of `allowed` exactly. A browser on any other page is refused.
 */
export function originAllowed(req: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  const origin = req.headers.origin;
  return origin === undefined || allowed.has(origin);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * The shared-secret hook: accepts a request whose `Authorization` is `Bearer <token>` (compared in
 * constant time). Without a token (`undefined` or empty) it refuses everything: `/api/*` and the
 * sockets stay closed rather than open to anyone.
 */
export function bearerAuthorize(token: string | undefined): LiveAuthorize {
  const expected = token ? digest(token) : null;
  return async (req) => {
    if (!expected) return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return !!m && timingSafeEqual(digest(m[1]!), expected);
  };
}

/**
 * Accept a request when any of `hooks` accepts it (tried in order; a rejection counts as "no").
 * The worker combines the worker token ({@link bearerAuthorize}) with the session check.
 */
export function anyOf(...hooks: LiveAuthorize[]): LiveAuthorize {
  return async (req) => {
    for (const hook of hooks) {
      const ok = await hook(req).catch(() => false);
      if (ok) return ok;
    }
    return false;
  };
}
