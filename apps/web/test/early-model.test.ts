import { afterEach, describe, expect, it, vi } from 'vitest';
import { EARLY_MODEL_URLS, earlyModelScript, takeEarly } from '../src/lib/early-model';
import { makeTrpcClient } from '../src/lib/trpc';

const ORIGIN = 'http://127.0.0.1:3000';
const snapshot = { seq: 7, hosts: [], networks: [], vteps: [] };
const vteps = { seq: 7, vteps: [] };
/** tRPC's batch answer (one call) carrying `data`. */
const answer = (data: unknown) => new Response(JSON.stringify([{ result: { data } }]), { headers: { 'content-type': 'application/json' } });

/** A browser's `window` as far as early-model.ts reads it. */
function fakeWindow(responses: Record<string, Promise<Response> | undefined>, start: () => void = () => {}) {
  vi.stubGlobal('window', { location: { origin: ORIGIN, pathname: '/', search: '' }, __l2scopeEarly: { start, responses } });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the first model requested by the page HTML', () => {
  it('the URLs are those the tRPC client requests for the two model parts, each alone', async () => {
    const urls: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL) => {
        const url = String(input);
        urls.push(url);
        return answer(url.includes('topology.vteps') ? vteps : snapshot);
      }),
    );
    const client = makeTrpcClient();
    // in the same tick, as the live sync asks them: still two requests
    const [a, b] = await Promise.all([client.topology.snapshot.query({ vteps: false }), client.topology.vteps.query()]);
    expect(a.seq).toBe(7);
    expect(b.seq).toBe(7);
    expect(urls.sort()).toEqual([...EARLY_MODEL_URLS].sort());
  });

  it('the client takes the early responses, once each, then fetches again', async () => {
    const fetched: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL) => {
        fetched.push(String(input));
        return answer({ ...snapshot, seq: 9 });
      }),
    );
    fakeWindow({ [EARLY_MODEL_URLS[0]]: Promise.resolve(answer({ ...snapshot, seq: 5 })), [EARLY_MODEL_URLS[1]]: Promise.resolve(answer(vteps)) });
    const client = makeTrpcClient();
    expect((await client.topology.snapshot.query({ vteps: false })).seq).toBe(5);
    expect((await client.topology.vteps.query()).seq).toBe(7);
    expect(fetched).toEqual([]);
    // a resync later asks the server again
    expect((await client.topology.snapshot.query({ vteps: false })).seq).toBe(9);
    expect(fetched).toEqual([EARLY_MODEL_URLS[0]]);
  });

  it('takeEarly: only a GET of the same URL on the same origin', () => {
    const res = Promise.resolve(answer(snapshot));
    fakeWindow({ [EARLY_MODEL_URLS[0]]: res });
    expect(takeEarly(`https://elsewhere.example${EARLY_MODEL_URLS[0]}`)).toBeUndefined();
    expect(takeEarly(EARLY_MODEL_URLS[0], { method: 'POST', body: '{}' })).toBeUndefined();
    expect(takeEarly(EARLY_MODEL_URLS[1])).toBeUndefined();
    expect(takeEarly(`${ORIGIN}${EARLY_MODEL_URLS[0]}`)).toBe(res);
    expect(takeEarly(EARLY_MODEL_URLS[0])).toBeUndefined();
  });

  it('the inline script requests the hosts at once, then the entries once the hosts are read, with the page cookies', async () => {
    const calls: [string, RequestInit | undefined][] = [];
    vi.stubGlobal('window', { location: { origin: ORIGIN } });
    let answerHosts: (r: Response) => void = () => {};
    vi.stubGlobal(
      'fetch',
      vi.fn((u: string, init?: RequestInit) => {
        calls.push([u, init]);
        return u === EARLY_MODEL_URLS[0] ? new Promise<Response>((r) => (answerHosts = r)) : Promise.resolve(answer(vteps));
      }),
    );
    new Function(earlyModelScript())();
    expect(calls.map((c) => c[0])).toEqual([EARLY_MODEL_URLS[0]]);
    const hosts = takeEarly(EARLY_MODEL_URLS[0])!;
    answerHosts(answer(snapshot));
    // the client reads the hosts' body as well: the script's read was of a clone
    expect(((await (await hosts).json()) as [{ result: { data: typeof snapshot } }])[0].result.data).toEqual(snapshot);
    const entries = await takeEarly(EARLY_MODEL_URLS[1])!;
    expect(((await entries.json()) as [{ result: { data: typeof vteps } }])[0].result.data).toEqual(vteps);
    expect(calls.map((c) => c[0])).toEqual([...EARLY_MODEL_URLS]);
    expect(calls.every((c) => c[1]?.credentials === 'same-origin')).toBe(true);
    // once: a later start sends nothing
    window.__l2scopeEarly!.start();
    expect(calls).toHaveLength(2);
  });
});
