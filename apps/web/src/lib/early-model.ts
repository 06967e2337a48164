/**
 * The first model's two requests, sent by the topology page's HTML as it is parsed, not once
 * React has hydrated the page. Without this they went out once the live sync had started
 * (2 to 3 s after the document at load 10 on 2 cores, measured by the perf script), and the server
 * only then began reading the model. The page's inline script ({@link earlyModelScript}) sends
 * them at once; the tRPC client's `fetch` hands those responses to the first
 * `topology.snapshot({ vteps: false })` and `topology.vteps` queries it makes ({@link takeEarly}),
 * which the live sync treats as any model read before its socket connected (kept only when the
 * connection's `subscribed` confirms it, docs/fleet-view.md).
 *
 * The URLs are the ones tRPC's batch link builds for those two calls, each in a batch of its own
 * (lib/trpc.ts; a unit test holds them equal). A URL that no longer matches only loses the head
 * start: the client then sends its own request.
 */

/** `topology.snapshot({ vteps: false })` and `topology.vteps`, as the batch link requests them (GET, path relative to the origin). */
export const EARLY_MODEL_URLS = [
  `/api/trpc/topology.snapshot?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { vteps: false } }))}`,
  `/api/trpc/topology.vteps?batch=1&input=${encodeURIComponent(JSON.stringify({}))}`,
] as const;

declare global {
  interface Window {
    /** Left by the inline script: `start()` sends the requests (once), `responses` maps URL -> the `fetch` promise (taken once). */
    __l2scopeEarly?: { start(): void; responses: Record<string, Promise<Response> | undefined> };
  }
}

/**
 * The inline script (a string for `<script dangerouslySetInnerHTML>`). It sends the hosts' part of
 * {@link EARLY_MODEL_URLS} as it runs (the HTML is being parsed), with the page's cookies, and
 * the VTEP entries once the hosts' part has been read whole (a large cloud's first picture needs
 * only the hosts, and its entries were 1.9 of its 3.2 MB; a small cloud's are a few KB). Both
 * promises stay on `window`. It used to wait for the window's `load`: sent as the HTML was parsed,
 * the hosts' part of a 1,000-host model held the web server's one thread for 2.4 s (load 25) while
 * the page's scripts waited behind it. The server now answers from its prepared model
 * (packages/db `PreparedModel`), and waiting for `load` cost the first paint 0.8 to 1.2 s (perf
 * script, load 10). It does nothing in a browser without `fetch`.
 */
export function earlyModelScript(): string {
  const [hosts, vteps] = EARLY_MODEL_URLS.map((u) => JSON.stringify(u));
  return (
    `(function(){if(typeof fetch!=='function')return;var r={},o={credentials:'same-origin'},s=false;` +
    `function entries(){return fetch(${vteps},o);}` +
    `function start(){if(s)return;s=true;` +
    `var h=r[${hosts}]=fetch(${hosts},o);h.catch(function(){});` +
    `var v=r[${vteps}]=h.then(function(x){return x.clone().arrayBuffer().then(entries,entries);},entries);v.catch(function(){});}` +
    `window.__l2scopeEarly={start:start,responses:r};start();})();`
  );
}

/**
 * The response the page's inline script requested for this URL (started now if it has not been), once: the next call gets `undefined`; `undefined` as well for another URL, a
 * request with a body, or outside a browser.
 * @param input the `fetch` input of a tRPC request (a path relative to the origin, or a URL)
 */
export function takeEarly(input: RequestInfo | URL, init?: RequestInit): Promise<Response> | undefined {
  const early = typeof window === 'undefined' ? undefined : window.__l2scopeEarly;
  if (!early || (init?.method && init.method !== 'GET') || init?.body) return undefined;
  const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const url = new URL(raw, window.location.origin);
  if (url.origin !== window.location.origin) return undefined;
  const key = url.pathname + url.search;
  if (!(key in early.responses) && !EARLY_MODEL_URLS.some((u) => u === key)) return undefined;
  early.start();
  const res = early.responses[key];
  if (res) early.responses[key] = undefined;
  return res;
}
