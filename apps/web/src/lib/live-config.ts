/**
 * Where the browser finds the worker's socket.io server. Decided on the server (environment)
 * and handed to the client as plain data.
 */

/** Live endpoint configuration passed from the server component to the client. */
export interface LiveConfig {
  /** Full URL from `L2SCOPE_LIVE_URL`, or null to derive it from the page's location. */
  url: string | null;
  /** Port used with the page's host when `url` is null (`L2SCOPE_LIVE_PORT`, default 3001). */
  port: number;
}

/** Read the live configuration from the environment (server side). */
export function liveConfigFromEnv(env: Record<string, string | undefined> = process.env): LiveConfig {
  const url = env.L2SCOPE_LIVE_URL?.trim() || null;
  const port = Number.parseInt(env.L2SCOPE_LIVE_PORT ?? '', 10);
  return { url, port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 3001 };
}

/** The socket.io URL for a page location: the configured URL, else `<protocol>//<hostname>:<port>`. */
export function liveSocketUrl(cfg: LiveConfig, loc: { protocol: string; hostname: string }): string {
  return cfg.url ?? `${loc.protocol}//${loc.hostname}:${cfg.port}`;
}
