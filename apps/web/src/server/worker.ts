/**
 * Where the web server reaches the worker's live server, and the shared secret it presents there.
 * Server side only: read from the running server's environment on each call (not at build time),
 * and never handed to the browser.
 */

/** The worker as the web server reaches it. */
export interface WorkerLink {
  /** Base URL of the worker's live server: `L2SCOPE_WORKER_URL`, else `http://127.0.0.1:<L2SCOPE_LIVE_PORT or 3001>`. */
  url: URL;
  /** `L2SCOPE_WORKER_TOKEN` (sent as `Authorization: Bearer`), or null when unset. */
  token: string | null;
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
  return { url, token: env.L2SCOPE_WORKER_TOKEN?.trim() || null };
}

/**
 * The request headers to forward to the worker for a browser's request: the browser's own,
 * without any `authorization` it sent, plus the worker token when one is set.
 */
export function workerRequestHeaders(incoming: Headers, link: WorkerLink): Headers {
  const headers = new Headers(incoming);
  headers.delete('authorization');
  if (link.token) headers.set('authorization', `Bearer ${link.token}`);
  return headers;
}
