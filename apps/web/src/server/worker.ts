/**
 * Where the web server reaches the worker's live server. Server side only: read from the running
 * server's environment on each call (not at build time).
 *
 * The proxy forwards a browser's own credentials (its session cookie) and nothing more: the worker
 * admits a live socket only for a signed-in browser (docs/auth.md). The worker token
 * (`L2SCOPE_WORKER_TOKEN`) is for operators and tests on the worker's `/api/*`; the web server never
 * adds it to a browser's request, or every visitor of the login page would get the live data.
 */

/** The worker as the web server reaches it. */
export interface WorkerLink {
  /** Base URL of the worker's live server: `L2SCOPE_WORKER_URL`, else `http://127.0.0.1:<L2SCOPE_LIVE_PORT or 3001>`. */
  url: URL;
}

/**
 * Read the worker link from the environment.
 * @throws Error when `L2SCOPE_WORKER_URL` is set but not an http(s) URL
 */
export function workerLink(env: Record<string, string | undefined> = process.env): WorkerLink {
  const port = Number.parseInt(env.L2SCOPE_LIVE_PORT ?? '', 10);
  const raw = env.L2SCOPE_WORKER_URL?.trim() || `http://127.0.0.1:${Number.isInteger(port) && port > 0 && port < 65536 ? port : 3001}`;
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`L2SCOPE_WORKER_URL must be http(s): ${raw}`);
  return { url };
}

/**
 * The request headers to forward to the worker for a browser's request: the browser's own (Origin,
 * session cookie), without any `authorization` it sent (a browser never presents the worker token).
 */
export function workerRequestHeaders(incoming: Headers): Headers {
  const headers = new Headers(incoming);
  headers.delete('authorization');
  return headers;
}
