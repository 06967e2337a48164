/**
 * Every procedure of the app router needs a session: over HTTP (tRPC's fetch adapter, the web
 * app's handler and context), each one answers 401 UNAUTHORIZED without a session cookie and
 * 200 with the cookie of a viewer who signed in through Better Auth, on a real database filled
 * with lab2's real capture. The procedures are enumerated from the router, not listed by hand.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type L2scopeAuth, type Role, addUser, openAuth } from '@l2scope/auth';
import { createToggleJobs } from '@l2scope/db';
import { parseCapture } from '@l2scope/domain';
import { type TestDatabase, createTestDatabase } from '@l2scope/testkit';
import { adminProcedure, appRouter, createCallerFactory, createContext, operatorProcedure, viewerProcedure } from '../src';
import { router } from '../src/trpc';
import { Seeder } from './seed';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ORIGIN = 'http://l2scope.test';
const NET = '7592da76-ae90-48b3-b213-51b1b36f8297';

/**
 * Inputs for the procedures whose input schema refuses `undefined` and `{}` (a real id, host,
 * network of lab2). A new procedure with a required input must be added here: the test says so.
 */
const SAMPLE_INPUTS: Record<string, unknown> = {
  'messages.get': { id: 1 },
  'messages.hosts': { prefix: 'compute' },
  'nodes.host': { host: 'compute1' },
  'nodes.network': { network: NET },
  'search.find': { q: 'compute1' },
  'history.at': { at: '2026-01-01T00:00:00Z' },
  'history.diff': { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' },
  'history.host': { host: 'compute1', at: '2100-01-01T00:00:00Z' },
  'history.network': { network: NET, at: '2100-01-01T00:00:00Z' },
  'history.overview': { at: '2026-01-01T00:00:00Z' },
  'jobs.get': { id: 'set-in-beforeAll' },
  'toggle.plan': { hosts: ['compute1'], change: { l2_population: false }, inPlace: false },
  'toggle.approve': { jobIds: ['set-in-beforeAll'] },
  'toggle.cancel': { jobIds: ['set-in-beforeAll'] },
};

/** Procedures above a viewer's role: a viewer gets 403 (the toggles and the audit log, docs/auth.md#roles). */
const MIN_ROLE: Record<string, Role> = {
  'toggle.plan': 'operator',
  'toggle.approve': 'operator',
  'toggle.cancel': 'operator',
  'audit.list': 'operator',
  'audit.verify': 'admin',
};

interface ProcDef {
  _def: { type: 'query' | 'mutation' | 'subscription'; inputs: { safeParse?: (v: unknown) => { success: boolean } }[] };
}
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, ProcDef>);

/** undefined when the procedure takes no input or accepts {} with defaults; else its sample. */
function inputFor(name: string, proc: ProcDef): unknown {
  const schema = proc._def.inputs[0];
  if (!schema?.safeParse || schema.safeParse(undefined).success) return undefined;
  if (schema.safeParse({}).success) return {};
  if (!(name in SAMPLE_INPUTS)) throw new Error(`procedure ${name} needs an input: add one to SAMPLE_INPUTS`);
  return SAMPLE_INPUTS[name];
}

let tdb: TestDatabase;
let seed: Seeder;
let auth: L2scopeAuth;
let viewerCookie: string;

function call(name: string, proc: ProcDef, cookie?: string): Promise<Response> {
  const input = inputFor(name, proc);
  const url = new URL(`${ORIGIN}/api/trpc/${name}`);
  if (input !== undefined) url.searchParams.set('input', JSON.stringify(input));
  const req =
    proc._def.type === 'mutation'
      ? new Request(url.origin + url.pathname, {
          method: 'POST',
          headers: { origin: ORIGIN, 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
          body: JSON.stringify(input ?? null),
        })
      : new Request(url, { headers: cookie ? { cookie } : {} });
  return fetchRequestHandler({ endpoint: '/api/trpc', req, router: appRouter, createContext: () => createContext(seed.db, auth, req.headers) });
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  seed = await Seeder.open(tdb.url);
  await seed.ingest(parseCapture(readFileSync(path.join(root, 'fixtures/lab2.jsonl'), 'utf8')).records);
  auth = openAuth(seed.db, tdb.url, { L2SCOPE_AUTH_SECRET: 'api-test-secret-api-test-secret-0123456', L2SCOPE_BASE_URL: ORIGIN });
  await addUser(auth, 'vera', 'viewer', 'vera-password');
  const res = await auth.handler(
    new Request(`${ORIGIN}/api/auth/sign-in/username`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      body: JSON.stringify({ username: 'vera', password: 'vera-password' }),
    }),
  );
  expect(res.status).toBe(200);
  viewerCookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const [job] = await createToggleJobs(seed.db, { hosts: ['compute2'], change: { arp_responder: true }, inPlace: false, requestedBy: 'test', origin: null });
  for (const name of ['jobs.get']) SAMPLE_INPUTS[name] = { id: job!.id };
  for (const name of ['toggle.approve', 'toggle.cancel']) SAMPLE_INPUTS[name] = { jobIds: [job!.id] };
});
afterAll(async () => {
  await seed?.close();
  await tdb?.drop();
});

describe('every procedure needs a session', () => {
  it('the router has procedures to check', () => {
    expect(procedures.length).toBeGreaterThanOrEqual(8);
  });

  it.each(procedures)('%s: 401 UNAUTHORIZED without a session', async (name, proc) => {
    const res = await call(name, proc);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { json?: { data: { code: string } }; data?: { code: string } } };
    expect(body.error.data?.code ?? body.error.json?.data.code).toBe('UNAUTHORIZED');
  });

  it.each(procedures.filter(([name]) => !(name in MIN_ROLE)))('%s: 200 with a viewer session', async (name, proc) => {
    const res = await call(name, proc, viewerCookie);
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as { result: { data: unknown } };
    expect(body.result.data).toBeDefined();
  });

  it.each(procedures.filter(([name]) => name in MIN_ROLE))('%s: 403 FORBIDDEN with a viewer session', async (name, proc) => {
    const res = await call(name, proc, viewerCookie);
    expect(res.status, await res.clone().text()).toBe(403);
  });
});

describe('role and origin helpers', () => {
  const r = router({
    read: viewerProcedure.query(({ ctx }) => ctx.user.role),
    toggle: operatorProcedure.mutation(() => 'toggled'),
    admin: adminProcedure.query(() => 'admin'),
  });
  const make = createCallerFactory(r);
  const as = (role: Role, originTrusted = true) =>
    make({ db: seed.db, user: { id: role, name: role, username: role, email: null, role, anonymous: false }, originTrusted });

  it('operator procedures need operator or admin; admin procedures need admin', async () => {
    await expect(as('viewer').toggle()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(as('operator').toggle()).resolves.toBe('toggled');
    await expect(as('admin').toggle()).resolves.toBe('toggled');
    await expect(as('operator').admin()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(as('admin').admin()).resolves.toBe('admin');
    await expect(as('viewer').read()).resolves.toBe('viewer');
  });

  it('a mutation from an untrusted origin is refused, a query is not', async () => {
    await expect(as('admin', false).toggle()).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'untrusted origin' });
    await expect(as('viewer', false).read()).resolves.toBe('viewer');
  });
});
