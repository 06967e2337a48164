/**
 * A real HTTP server that answers like the lab's neutron-server, from the responses recorded in
 * fixtures/neutron-api (`GET /v2.0/ports|networks|agents` with Neutron's `limit` + `marker`
 * pagination and `<resource>_links`), and, with `keystone` set, like a Keystone v3 (it is NOT
 * keystone, none runs here: it implements only what l2scope calls, as keystone's api-ref describes
 * it: `POST /v3/auth/tokens` answering `X-Subject-Token` and a catalog; `GET /v3/projects` 403 for a
 * non-admin; `GET /v3/auth/projects`). Every request is recorded (method, path, token) for the tests.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/neutron-api');
const load = (f: string) => JSON.parse(readFileSync(path.join(FIXTURES, f), 'utf8')) as Record<string, Record<string, unknown>[]>;

/** What the fake keystone accepts. */
export interface FakeKeystone {
  username: string;
  password: string;
  token: string;
  projects: { id: string; name: string }[];
}

export interface ReplayServerOptions {
  keystone?: FakeKeystone;
  /** Rewrite each port's `updated_at` (Neutron's second resolution, `YYYY-MM-DDTHH:MM:SSZ`). */
  portsUpdatedAt?: () => Date;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  token: string | null;
}

/** The running server: its URL, the requests seen, and switches to make it fail. */
export interface ReplayServer {
  url: string;
  requests: RecordedRequest[];
  /** Answer the next `n` Neutron requests with this status. */
  failNext(n: number, status: number): void;
  /** Invalidate the current token (the next Neutron request with it gets 401). */
  revokeToken(): void;
  close(): Promise<void>;
}

const neutronTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Start the server on a free loopback port. */
export async function startReplayServer(opts: ReplayServerOptions = {}): Promise<ReplayServer> {
  const data = { ports: load('ports.json').ports!, networks: load('networks.json').networks!, agents: load('agents.json').agents! };
  const requests: RecordedRequest[] = [];
  let failures = { n: 0, status: 500 };
  let validToken = opts.keystone?.token ?? null;
  let issued = 0;
  let base = '';

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const token = (req.headers['x-auth-token'] as string | undefined) ?? null;
    requests.push({ method: req.method ?? '', path: u.pathname, query: u.searchParams, token });
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const ks = opts.keystone;
      if (u.pathname === '/v3/auth/tokens' && req.method === 'POST' && ks) {
        const auth = (JSON.parse(body) as { auth?: { identity?: { password?: { user?: { name?: string; password?: string } } } } }).auth;
        const user = auth?.identity?.password?.user;
        if (user?.name !== ks.username || user.password !== ks.password) return send(res, 401, { error: { code: 401, title: 'Unauthorized' } });
        validToken = `${ks.token}-${++issued}`;
        return send(
          res,
          201,
          {
            token: {
              expires_at: new Date(Date.now() + 3_600_000).toISOString(),
              catalog: [
                { type: 'identity', endpoints: [{ interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: `${base}/v3` }] },
                {
                  type: 'network',
                  endpoints: [
                    { interface: 'internal', region_id: 'RegionOne', region: 'RegionOne', url: 'http://192.0.2.1:9696' },
                    { interface: 'public', region_id: 'RegionOne', region: 'RegionOne', url: `${base}/` },
                  ],
                },
              ],
            },
          },
          { 'x-subject-token': validToken },
        );
      }
      if (u.pathname === '/v3/projects' && ks) return send(res, 403, { error: { code: 403 } });
      if (u.pathname === '/v3/auth/projects' && ks) return token === validToken ? send(res, 200, { projects: ks.projects }) : send(res, 401, {});
      const m = /^\/v2\.0\/(ports|networks|agents)$/.exec(u.pathname);
      if (!m || req.method !== 'GET') return send(res, 404, { NeutronError: { type: 'HTTPNotFound' } });
      if (ks && token !== validToken) return send(res, 401, { error: 'Authentication required' });
      if (failures.n > 0) {
        failures = { ...failures, n: failures.n - 1 };
        return send(res, failures.status, { NeutronError: { message: 'replayed failure' } });
      }
      const key = m[1] as keyof typeof data;
      let list = data[key];
      if (key === 'ports' && opts.portsUpdatedAt) list = list.map((p) => ({ ...p, updated_at: neutronTime(opts.portsUpdatedAt!()) }));
      // Neutron's pagination: sorted by id, `marker` = the last id of the previous page
      list = [...list].sort((a, b) => String(a.id).localeCompare(String(b.id)));
      const marker = u.searchParams.get('marker');
      const start = marker ? list.findIndex((e) => e.id === marker) + 1 : 0;
      const limit = Number(u.searchParams.get('limit') ?? list.length) || list.length;
      const page = list.slice(start, start + limit);
      const out: Record<string, unknown> = { [key]: page };
      if (start + limit < list.length) out[`${key}_links`] = [{ rel: 'next', href: `${base}${u.pathname}?limit=${limit}&marker=${String(page.at(-1)!.id)}` }];
      send(res, 200, out);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    failNext: (n, status) => (failures = { n, status }),
    revokeToken: () => (validToken = `${validToken}-revoked`),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
