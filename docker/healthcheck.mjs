#!/usr/bin/env node
// @ts-check
/**
 * Container health probe (the images have no curl/wget): GET http://127.0.0.1:<port><path>,
 * exit 0 on a 2xx answer, 1 otherwise (error status, refused connection, timeout).
 *
 *   node docker/healthcheck.mjs <path> <port env var> <default port>
 *   node docker/healthcheck.mjs /healthz L2SCOPE_LIVE_PORT 3001   # worker
 *   node docker/healthcheck.mjs / PORT 3000                       # web
 *
 * The port is read from the named environment variable so the probe follows the port the
 * process actually listens on. HEALTHCHECK_HOST overrides 127.0.0.1, HEALTHCHECK_TIMEOUT_MS
 * the 4 s timeout (Docker's own timeout in the Dockerfile is 5 s).
 */

const [path = '/', portVar = 'PORT', defaultPort = '3000'] = process.argv.slice(2);
const raw = process.env[portVar]?.trim() || defaultPort;
const port = Number(raw);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`healthcheck: invalid port ${JSON.stringify(raw)} (from ${portVar})`);
  process.exit(1);
}
const host = process.env.HEALTHCHECK_HOST || '127.0.0.1';
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS) || 4000;
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path.startsWith('/') ? path : `/${path}`}`;

try {
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  const body = (await res.text()).slice(0, 200).replace(/\s+/g, ' ');
  if (res.status >= 200 && res.status < 300) {
    console.log(`healthcheck: ${url} ${res.status}`);
    process.exit(0);
  }
  console.error(`healthcheck: ${url} ${res.status} ${body}`);
  process.exit(1);
} catch (err) {
  const e = /** @type {Error & { cause?: { code?: string } }} */ (err);
  console.error(`healthcheck: ${url} failed: ${e.cause?.code ?? e.name}: ${e.message}`);
  process.exit(1);
}
