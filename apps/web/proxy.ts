/**
 * Runs before every page: hands the requested path (and query) to the `(app)` layout in the
 * `x-l2scope-path` request header, so a page that needs a session can redirect to
 * `/login?next=<path>` and the login page can send the user back. The session itself is checked
 * by the layout and by every API route (docs/auth.md), not here.
 */
import { NextResponse } from 'next/server';
import type { NextRequest } from 'next/server';

export function proxy(request: NextRequest): NextResponse {
  const headers = new Headers(request.headers);
  headers.set('x-l2scope-path', `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // pages only: not the API, Next's assets or the icon
  matcher: ['/((?!api/|_next/|icon\\.svg|favicon\\.ico).*)'],
};
