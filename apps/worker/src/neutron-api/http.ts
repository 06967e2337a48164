/**
 * Bounded JSON over HTTP for the Neutron and Keystone APIs: a timeout per request, a cap on the
 * body (read as a stream, cut at the cap), the domain's JSON depth / entry caps before
 * `JSON.parse`, and errors that name the URL's path and the status only (never a header or a body:
 * they may carry tokens).
 */
import { checkJsonLimits } from '@l2scope/domain';

/** Limits of one request. */
export interface HttpLimits {
  /** Abort after this long (ms). */
  timeoutMs: number;
  /** Refuse bodies larger than this (bytes). */
  maxBytes: number;
}

/** A failed request: its status (0 for a network error / timeout) and a message without secrets. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The URL as messages show it: origin and path, no query (markers are harmless, but keep it short). */
export const shownUrl = (url: string) => {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(bad URL)';
  }
};

/** The body as text, read up to `maxBytes` (then the request is aborted and this throws). */
async function boundedText(res: Response, maxBytes: number, url: string, abort: AbortController): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    abort.abort();
    throw new HttpError(`${shownUrl(url)}: body of ${declared} bytes is over the ${maxBytes}-byte cap`, res.status);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      abort.abort();
      throw new HttpError(`${shownUrl(url)}: body over the ${maxBytes}-byte cap`, res.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * One request returning parsed JSON, its headers and status.
 * @param init method, headers, body (the caller's token goes in `X-Auth-Token`)
 * @throws HttpError on a network error, timeout, non-2xx status, oversize or non-JSON body
 */
export async function requestJson(
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  limits: HttpLimits,
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`timed out after ${limits.timeoutMs} ms`)), limits.timeoutMs);
  try {
    let res: Response;
    try {
      res = await fetch(url, {
        method: init.method ?? 'GET',
        headers: { Accept: 'application/json', ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...init.headers },
        body: init.body,
        signal: abort.signal,
        redirect: 'error',
      });
    } catch (err) {
      const why = abort.signal.aborted
        ? String((abort.signal.reason as Error)?.message ?? 'aborted')
        : ((err as Error).cause as Error)?.message || (err as Error).message;
      throw new HttpError(`${shownUrl(url)}: ${why}`, 0);
    }
    const text = await boundedText(res, limits.maxBytes, url, abort).catch((err: unknown) => {
      if (err instanceof HttpError) throw err;
      throw new HttpError(`${shownUrl(url)}: reading the body failed: ${abort.signal.aborted ? 'timed out' : (err as Error).message}`, res.status);
    });
    if (res.status < 200 || res.status > 299) throw new HttpError(`${shownUrl(url)}: HTTP ${res.status}`, res.status);
    const problem = checkJsonLimits(text);
    if (problem) throw new HttpError(`${shownUrl(url)}: ${problem.message}`, res.status);
    try {
      return { status: res.status, headers: res.headers, json: JSON.parse(text) as unknown };
    } catch {
      throw new HttpError(`${shownUrl(url)}: the body is not JSON`, res.status);
    }
  } finally {
    clearTimeout(timer);
  }
}
