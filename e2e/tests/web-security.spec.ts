/**
 * The dashboard's HTTP surface: security headers on a page response (CSP, frame-ancestors, nosniff,
 * referrer policy; HSTS only behind TLS), every page rendering in Chromium with no CSP violation,
 * the live socket on the dashboard's own origin (proxied to the worker, which the browser never
 * reaches directly), and a tRPC batch over the limit refused at once with 400.
 */
import { expect, request as playwrightRequest, test, type Page } from '@playwright/test';
import { analysedNetwork, replayStep } from '../nodes';
import { type Stack, startStack } from '../stack';

let stack: Stack;
let network: string;
test.beforeAll(async () => {
  stack = await startStack({ workerArgs: replayStep('lab3', '1-ports-active') });
  network = await analysedNetwork(stack);
});
test.afterAll(async () => {
  await stack?.stop();
});

/** Collect CSP violations on a page: the DOM events and Chromium's console reports. */
function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => {
    if (/Content Security Policy/i.test(e.message)) violations.push(`error: ${e.message}`);
  });
  void page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
    });
  });
  return violations;
}

test('a page response carries the security headers; HSTS only behind TLS', async ({ request }) => {
  const res = await request.get(`${stack.webUrl}/`);
  expect(res.status()).toBe(200);
  const h = res.headers();
  const csp = h['content-security-policy'] ?? '';
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).not.toContain('unsafe-eval');
  expect(h['x-frame-options']).toBe('DENY');
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['referrer-policy']).toBe('same-origin');
  expect(h['strict-transport-security']).toBeUndefined();
  expect(h['x-powered-by']).toBeUndefined();

  const tls = await request.get(`${stack.webUrl}/overview`, { headers: { 'x-forwarded-proto': 'https' } });
  expect(tls.headers()['strict-transport-security']).toMatch(/^max-age=\d+/);
});

test('every page renders on the server: 200, never the error shell a browser would hide by rendering on the client', async ({ request }) => {
  // a server render that throws (e.g. a browser-only module evaluated in SSR) answers 500 with
  // `<html id="__next_error__">`; Chromium then renders on the client and a page test still passes
  for (const p of ['/', '/overview', '/hosts/controller', `/networks/${network}`, '/dvr', '/audit']) {
    const res = await request.get(`${stack.webUrl}${p}`);
    expect(res.status(), p).toBe(200);
    expect(await res.text(), p).not.toContain('__next_error__');
  }
});

test('every page renders live with no CSP violation; the socket is on the page origin', async ({ page }) => {
  const violations = watchCsp(page);
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));

  await page.goto(stack.webUrl);
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'connected');
  await expect(page.getByTestId('host-controller')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('inspector-row').first()).toBeVisible();

  await page.goto(`${stack.webUrl}/overview`);
  await expect(page.getByTestId('overview-host-row')).toHaveCount(3, { timeout: 15_000 });
  await page.goto(`${stack.webUrl}/hosts/controller`);
  await expect(page.getByTestId('fdb-row').first()).toBeVisible({ timeout: 15_000 });
  await page.goto(`${stack.webUrl}/networks/${network}`);
  await expect(page.getByTestId('flood-matrix')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'connected');

  expect(violations).toEqual([]);
  expect(sockets.length).toBeGreaterThan(0);
  const web = new URL(stack.webUrl);
  for (const u of sockets) {
    const url = new URL(u);
    expect(url.host).toBe(web.host);
    expect(url.pathname).toBe('/socket.io');
  }
});

test("the worker's port refuses a browser's direct socket.io handshake (foreign origin: 403; no session, no token: 401)", async ({ request }) => {
  const direct = await request.get(`http://127.0.0.1:${stack.livePort}/socket.io/?EIO=4&transport=polling`, {
    headers: { origin: 'https://evil.example.net' },
  });
  expect(direct.status()).toBe(403);
  // a client that never signed in (the test's own `request` carries the signed-in storage state)
  const anonymous = await playwrightRequest.newContext({ storageState: { cookies: [], origins: [] } });
  try {
    const noSession = await anonymous.get(`http://127.0.0.1:${stack.livePort}/socket.io/?EIO=4&transport=polling`, { headers: { origin: stack.webUrl } });
    expect(noSession.status()).toBe(401);
    const proxiedNoSession = await anonymous.get(`${stack.webUrl}/socket.io/?EIO=4&transport=polling`);
    expect(proxiedNoSession.status()).toBe(401);
  } finally {
    await anonymous.dispose();
  }
  // through the dashboard's origin the signed-in browser's handshake is forwarded with its session cookie
  const proxied = await request.get(`${stack.webUrl}/socket.io/?EIO=4&transport=polling`);
  expect(proxied.status()).toBe(200);
  expect(await proxied.text()).toContain('"sid"');
});

test('a tRPC batch of 200 calls gets 400 at once; one within the limit answers', async ({ request }) => {
  const batch = (n: number) => {
    const paths = Array.from({ length: n }, () => 'stats.get').join(',');
    // stats.get takes no input: an empty input object (no call has one)
    return `${stack.webUrl}/api/trpc/${paths}?batch=1&input=${encodeURIComponent('{}')}`;
  };
  const t0 = Date.now();
  const big = await request.get(batch(200));
  const elapsed = Date.now() - t0;
  expect(big.status()).toBe(400);
  expect(await big.text()).toContain('Batch call exceeds maximum size');
  expect(elapsed).toBeLessThan(5_000);

  const ok = await request.get(batch(8));
  expect(ok.status()).toBe(200);
  expect((await ok.json()) as unknown[]).toHaveLength(8);
});
