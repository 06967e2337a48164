/**
 * Runs before every page and before the browser's live socket:
 *
 * - `/socket.io` (polling and websocket upgrades): the browser's only way to the worker's live
 *   data, forwarded to the worker (loopback by default) with the browser's own cookie; the worker
 *   admits the socket only for a signed-in session (docs/auth.md). A proxy function and not a
 *   `rewrites()` entry: `rewrites()` is evaluated by `next build`, so the worker's address would be
 *   fixed in the build; here it is read from the running server's environment
 *   (`L2SCOPE_WORKER_URL` / `L2SCOPE_LIVE_PORT`).
 * - pages: hands the requested path (and query) to the `(app)` layout in the `x-l2scope-path`
 *   request header, so a page that needs a session can redirect to `/login?next=<path>` and the
 *   login page can send the user back. The session itself is checked by the layout and by every
 *   API route, not here.
 */
import { type NextRequest, NextResponse } from 'next/server';
import { workerLink, workerRequestHeaders } from '@/server/worker';

export function proxy(req: NextRequest): NextResponse {
  if (req.nextUrl.pathname === '/socket.io' || req.nextUrl.pathname.startsWith('/socket.io/')) {
    const target = new URL(`/socket.io/${req.nextUrl.search}`, workerLink().url);
    return NextResponse.rewrite(target, { request: { headers: workerRequestHeaders(req.headers) } });
  }
  const headers = new Headers(req.headers);
  headers.set('x-l2scope-path', `${req.nextUrl.pathname}${req.nextUrl.search}`);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // the live socket, and pages: not the API, Next's assets or the icon
  matcher: ['/socket.io', '/socket.io/:path*', '/((?!api/|_next/|icon\\.svg|favicon\\.ico).*)'],
};
