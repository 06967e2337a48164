/**
 * The toggle, jobs and audit procedures over HTTP (tRPC's fetch adapter, as the web app serves
 * them) on a real SQLite database filled with lab2's real capture and real Better Auth sessions:
 * who may plan, approve and read the audit log, the Origin check, the step-up after 5 minutes,
 * and a script's bearer token. The worker's part (filling the plan) is done here by the same
 * repository call the worker makes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type L2scopeAuth, addUser, createToken, openAuth } from '@l2scope/auth';
import { advanceToggleJob, listAudit } from '@l2scope/db';
import { type TogglePlan, type ToggleJobView, parseCapture } from '@l2scope/domain';
import { type TestDatabase, createTestDatabase } from '@l2scope/testkit';
import { appRouter, createContext, exportAuditLines } from '../src';
import { Seeder } from './seed';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ORIGIN = 'http://l2scope.test';
const NET = '7592da76-ae90-48b3-b213-51b1b36f8297';

let tdb: TestDatabase;
let seed: Seeder;
let auth: L2scopeAuth;
const cookies: Record<string, string> = {};

async function signIn(username: string, password: string): Promise<string> {
  const res = await auth.handler(
    new Request(`${ORIGIN}/api/auth/sign-in/username`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      body: JSON.stringify({ username, password }),
    }),
  );
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

interface Reply<T> {
  status: number;
  data?: T;
  error?: { message: string; data: { code: string; reason: string | null } };
}

/** One tRPC call over HTTP: a query as GET, a mutation as POST with `origin`. */
async function call<T>(
  name: string,
  input: unknown,
  o: { cookie?: string; bearer?: string; origin?: string | null; mutation?: boolean } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (o.cookie) headers.cookie = o.cookie;
  if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
  const origin = o.origin === undefined ? ORIGIN : o.origin;
  let req: Request;
  if (o.mutation) {
    if (origin) headers.origin = origin;
    req = new Request(`${ORIGIN}/api/trpc/${name}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(input ?? null),
    });
  } else {
    const url = new URL(`${ORIGIN}/api/trpc/${name}`);
    if (input !== undefined) url.searchParams.set('input', JSON.stringify(input));
    req = new Request(url, { headers });
  }
  const res = await fetchRequestHandler({ endpoint: '/api/trpc', req, router: appRouter, createContext: () => createContext(seed.db, auth, req.headers) });
  const body = (await res.json()) as { result?: { data: T }; error?: Reply<T>['error'] };
  return { status: res.status, data: body.result?.data, error: body.error };
}
const mutate = <T>(name: string, input: unknown, o: { cookie?: string; bearer?: string; origin?: string | null } = {}) =>
  call<T>(name, input, { ...o, mutation: true });

const PLAN: TogglePlan = {
  agent: null,
  refusal: null,
  method: 'clean',
  downtimeS: 5,
  predicted: [{ kind: 'mixed_l2pop', severity: 'warning', networks: [NET], hosts: ['compute1'], detail: 'compute1 would differ from its peers' }],
  warnings: [],
  applicable: true,
};

/** What the worker does when the agent's dry run arrives. */
const fillPlan = (id: string, plan: TogglePlan = PLAN) =>
  advanceToggleJob(seed.db, id, {
    from: 'planned',
    actor: 'worker',
    plan,
    step: { at: new Date().toISOString(), step: 'plan', outcome: 'ok', detail: 'plan' },
  });

/** Make a user's session look signed in `ageMs` ago (the step-up reads Session.createdAt). */
async function ageSessions(ageMs: number): Promise<void> {
  await seed.db.session.updateMany({ data: { createdAt: new Date(Date.now() - ageMs) } });
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  seed = await Seeder.open(tdb.url);
  await seed.ingest(parseCapture(readFileSync(path.join(root, 'fixtures/lab2.jsonl'), 'utf8')).records);
  auth = openAuth(seed.db, tdb.url, { L2SCOPE_AUTH_SECRET: 'api-test-secret-api-test-secret-0123456', L2SCOPE_BASE_URL: ORIGIN });
  await addUser(auth, 'vera', 'viewer', 'vera-password');
  await addUser(auth, 'otto', 'operator', 'otto-password');
  await addUser(auth, 'ada', 'admin', 'ada-password1');
  cookies.vera = await signIn('vera', 'vera-password');
  cookies.otto = await signIn('otto', 'otto-password');
  cookies.ada = await signIn('ada', 'ada-password1');
});
afterAll(async () => {
  await seed?.close();
  await tdb?.drop();
});

describe('toggle.plan', () => {
  it('401 without a session, 403 for a viewer, 403 cross-origin and without Origin', async () => {
    const input = { hosts: ['compute1'], change: { l2_population: false }, inPlace: false };
    const anon = await mutate('toggle.plan', input);
    expect([anon.status, anon.error?.data.code]).toEqual([401, 'UNAUTHORIZED']);
    const viewer = await mutate('toggle.plan', input, { cookie: cookies.vera });
    expect([viewer.status, viewer.error?.data.code]).toEqual([403, 'FORBIDDEN']);
    const cross = await mutate('toggle.plan', input, { cookie: cookies.otto, origin: 'http://evil.test' });
    expect([cross.status, cross.error?.message]).toEqual([403, 'untrusted origin']);
    const none = await mutate('toggle.plan', input, { cookie: cookies.otto, origin: null });
    expect(none.status).toBe(403);
    expect(await listAudit(seed.db, {})).toEqual([]);
  });

  it('an operator plans one host: a planned job, audited with the origin', async () => {
    const r = await mutate<ToggleJobView[]>('toggle.plan', { hosts: ['compute1'], change: { l2_population: false }, inPlace: false }, { cookie: cookies.otto });
    expect(r.status, JSON.stringify(r.error)).toBe(200);
    const [job] = r.data!;
    expect(job).toMatchObject({ host: 'compute1', state: 'planned', plan: null, requestedBy: 'otto', batchId: null, change: { l2_population: false } });
    const got = await call<ToggleJobView>('jobs.get', { id: job!.id }, { cookie: cookies.vera });
    expect(got.data?.id).toBe(job!.id);
    const [entry] = await listAudit(seed.db, { jobId: job!.id });
    expect(entry).toMatchObject({ actor: 'otto', action: 'toggle.requested', target: 'compute1', origin: ORIGIN });
    // a second plan for the same host while this one is open
    const again = await mutate('toggle.plan', { hosts: ['compute1'], change: { arp_responder: true }, inPlace: false }, { cookie: cookies.otto });
    expect([again.status, again.error?.data.code]).toEqual([409, 'CONFLICT']);
    await mutate('toggle.cancel', { jobIds: [job!.id] }, { cookie: cookies.otto });
  });

  it('a network plans its hosts sorted by name as one batch; unknown hosts are refused', async () => {
    const r = await mutate<ToggleJobView[]>('toggle.plan', { network: NET, change: { arp_responder: true }, inPlace: true }, { cookie: cookies.ada });
    expect(r.status, JSON.stringify(r.error)).toBe(200);
    const hosts = r.data!.map((j) => j.host);
    expect(hosts.length).toBeGreaterThan(1);
    expect(hosts).toEqual([...hosts].sort());
    expect(new Set(r.data!.map((j) => j.batchId)).size).toBe(1);
    expect(r.data!.map((j) => j.batchIndex)).toEqual(hosts.map((_, i) => i));
    const c = await mutate<{ cancelled: ToggleJobView[] }>('toggle.cancel', { batchId: r.data![0]!.batchId }, { cookie: cookies.ada });
    expect(c.data?.cancelled.map((j) => j.state)).toEqual(hosts.map(() => 'cancelled'));
    const unknown = await mutate('toggle.plan', { hosts: ['nosuchhost'], change: { arp_responder: true }, inPlace: false }, { cookie: cookies.otto });
    expect([unknown.status, unknown.error?.message]).toEqual([400, 'unknown host nosuchhost']);
  });
});

describe('toggle.approve', () => {
  async function planned(host = 'compute2'): Promise<ToggleJobView> {
    const r = await mutate<ToggleJobView[]>('toggle.plan', { hosts: [host], change: { arp_responder: true }, inPlace: false }, { cookie: cookies.otto });
    expect(r.status, JSON.stringify(r.error)).toBe(200);
    return r.data![0]!;
  }

  it('refuses a job whose plan has not arrived or is not applicable', async () => {
    const job = await planned();
    const early = await mutate('toggle.approve', { jobIds: [job.id] }, { cookie: cookies.otto });
    expect([early.status, early.error?.data.code, early.error?.message]).toEqual([412, 'PRECONDITION_FAILED', 'compute2: the plan has not arrived yet']);
    await fillPlan(job.id, { ...PLAN, applicable: false });
    const no = await mutate('toggle.approve', { jobIds: [job.id] }, { cookie: cookies.otto });
    expect(no.error?.message).toBe('compute2: the plan is not applicable');
    await mutate('toggle.cancel', { jobIds: [job.id] }, { cookie: cookies.otto });
  });

  it('a recent sign-in approves without the password; a viewer and a cross-origin POST cannot', async () => {
    const job = await planned();
    await fillPlan(job.id);
    const viewer = await mutate('toggle.approve', { jobIds: [job.id] }, { cookie: cookies.vera });
    expect(viewer.status).toBe(403);
    const cross = await mutate('toggle.approve', { jobIds: [job.id] }, { cookie: cookies.otto, origin: 'http://evil.test' });
    expect(cross.status).toBe(403);
    const r = await mutate<{ approved: ToggleJobView[] }>('toggle.approve', { jobIds: [job.id] }, { cookie: cookies.otto });
    expect(r.status, JSON.stringify(r.error)).toBe(200);
    expect(r.data!.approved[0]).toMatchObject({ state: 'approved', approvedBy: 'otto' });
    const [entry] = await listAudit(seed.db, { jobId: job.id });
    expect(entry).toMatchObject({ actor: 'otto', action: 'toggle.approved', origin: ORIGIN });
    await mutate('toggle.cancel', { jobIds: [job.id] }, { cookie: cookies.otto });
  });

  it('after 5 minutes the password is required (STEP_UP_REQUIRED), a wrong one is audited, the right one approves', async () => {
    const job = await planned();
    await fillPlan(job.id);
    await ageSessions(6 * 60_000);
    const missing = await mutate('toggle.approve', { jobIds: [job.id] }, { cookie: cookies.otto });
    expect([missing.status, missing.error?.data.code, missing.error?.data.reason]).toEqual([403, 'FORBIDDEN', 'STEP_UP_REQUIRED']);
    const wrong = await mutate('toggle.approve', { jobIds: [job.id], password: 'not-my-password' }, { cookie: cookies.otto });
    expect([wrong.status, wrong.error?.data.reason, wrong.error?.message]).toEqual([403, 'STEP_UP_REQUIRED', 'wrong password']);
    expect((await listAudit(seed.db, { jobId: job.id }))[0]).toMatchObject({ action: 'toggle.step_up_refused', actor: 'otto' });
    // another user's password does not pass either
    const other = await mutate('toggle.approve', { jobIds: [job.id], password: 'ada-password1' }, { cookie: cookies.otto });
    expect(other.error?.data.reason).toBe('STEP_UP_REQUIRED');
    const ok = await mutate<{ approved: ToggleJobView[] }>('toggle.approve', { jobIds: [job.id], password: 'otto-password' }, { cookie: cookies.otto });
    expect(ok.status, JSON.stringify(ok.error)).toBe(200);
    expect(ok.data!.approved.map((j) => j.state)).toEqual(['approved']);
    await mutate('toggle.cancel', { jobIds: [job.id] }, { cookie: cookies.otto });
    await ageSessions(0);
  });

  it('a bearer token (l2scope user token) plans; approving with it needs the password', async () => {
    const { token } = await createToken(auth, 'otto', 1);
    const list = await call<ToggleJobView[]>('jobs.list', { limit: 5 }, { bearer: token });
    expect(list.status).toBe(200);
    const r = await mutate<ToggleJobView[]>('toggle.plan', { hosts: ['controller'], change: { arp_responder: true }, inPlace: false }, { bearer: token });
    expect(r.status, JSON.stringify(r.error)).toBe(200);
    const id = r.data![0]!.id;
    await fillPlan(id);
    await seed.db.session.updateMany({ where: { token }, data: { createdAt: new Date(Date.now() - 10 * 60_000) } });
    const no = await mutate('toggle.approve', { jobIds: [id] }, { bearer: token });
    expect(no.error?.data.reason).toBe('STEP_UP_REQUIRED');
    const yes = await mutate<{ approved: ToggleJobView[] }>('toggle.approve', { jobIds: [id], password: 'otto-password' }, { bearer: token });
    expect(yes.data?.approved[0]?.approvedBy).toBe('otto');
    await mutate('toggle.cancel', { jobIds: [id] }, { bearer: token });
    const bad = await call('jobs.list', {}, { bearer: `${token}x` });
    expect(bad.status).toBe(401);
  });
});

describe('audit', () => {
  it('the export yields every entry with its hashes, newest first, across pages', async () => {
    const lines: string[] = [];
    for await (const l of exportAuditLines(seed.db)) lines.push(l);
    const entries = lines.map((l) => JSON.parse(l) as { seq: number; hash: string; prevHash: string });
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    expect(entries.length).toBe((await listAudit(seed.db, { limit: 1000 })).length);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => entries.length - i));
    // each entry links to the one before it
    for (let i = 0; i + 1 < entries.length; i++) expect(entries[i]!.prevHash).toBe(entries[i + 1]!.hash);
  });

  it('audit.list: operators and admins, not viewers; audit.verify: admins only, and a hand edit breaks it', async () => {
    expect((await call('audit.list', {}, { cookie: cookies.vera })).status).toBe(403);
    const list = await call<{ seq: number; hash: string; action: string }[]>('audit.list', { limit: 1000 }, { cookie: cookies.otto });
    expect(list.status).toBe(200);
    expect(list.data!.length).toBeGreaterThan(5);
    expect(list.data!.map((e) => e.seq)).toEqual([...list.data!.map((e) => e.seq)].sort((a, b) => b - a));
    expect((await call('audit.verify', undefined, { cookie: cookies.otto })).status).toBe(403);
    const ok = await call<{ ok: boolean; entries: number }>('audit.verify', undefined, { cookie: cookies.ada });
    expect(ok.data).toEqual({ ok: true, entries: list.data!.length });
    const victim = list.data![2]!;
    await seed.db.auditEntry.update({ where: { seq: victim.seq }, data: { actor: 'mallory' } });
    const broken = await call<{ ok: boolean; seq: number }>('audit.verify', undefined, { cookie: cookies.ada });
    expect(broken.data).toMatchObject({ ok: false, seq: victim.seq });
  });
});
