/**
 * The browser's only way to the worker's live data: socket.io on the dashboard's own origin at
 * `/socket.io`, forwarded here to the worker (loopback by default), websocket upgrades included.
 *
 * Why a proxy function and not a `rewrites()` entry: `next start` proxies external rewrites,
 * upgrades included, but `rewrites()` is evaluated by `next build` (routes-manifest.json), so the
 * worker's address would be fixed in the build. Here it is read from the running server's
 * environment (`L2SCOPE_WORKER_URL` / `L2SCOPE_LIVE_PORT`), and the worker token is added to the
 * forwarded request (the browser never holds it; any `Authorization` it sends is dropped).
 */
import { type NextRequest, NextResponse } from 'next/server';
import { workerLink, workerRequestHeaders } from '@/server/worker';

/** Forward `/socket.io` (polling and websocket) to the worker, with the worker token. */
export function proxy(req: NextRequest): NextResponse {
  const link = workerLink();
  const target = new URL(`/socket.io/${req.nextUrl.search}`, link.url);
  return NextResponse.rewrite(target, { request: { headers: workerRequestHeaders(req.headers, link) } });
}

export const config = { matcher: ['/socket.io', '/socket.io/:path*'] };
