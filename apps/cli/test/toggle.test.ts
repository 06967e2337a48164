/**
 * `l2scope toggle`'s command line (parsing, refusals with exit 2, as the user runs it), how a plan
 * and progress print, when it stops; and `l2scope user token`, whose token Better Auth accepts as
 * a bearer on a real database.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ToggleJobView } from '@l2scope/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, connectAuth } from '@l2scope/auth';
import { type TestDatabase, createTestDatabase } from '@l2scope/testkit';
import { PAST_DEADLINE_MS, UsageError, applicable, formatPlan, outcome, parseToggleOptions, plansArrived, progressLines } from '../src/toggle-args';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const SECRET = 'cli-test-secret-cli-test-secret-01234567';

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      path.join(root, 'node_modules/.bin/tsx'),
      [path.join(here, '../src/main.ts'), ...args],
      { cwd: root, env: { ...process.env, L2SCOPE_TOKEN: '', ...env }, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end('');
  });
}

function job(o: Partial<ToggleJobView>): ToggleJobView {
  return {
    id: 'j1',
    host: 'compute1',
    batchId: null,
    batchIndex: 0,
    change: { l2_population: true },
    inPlace: false,
    state: 'planned',
    before: null,
    plan: null,
    steps: [],
    evidence: [],
    error: null,
    requestedBy: 'otto',
    approvedBy: null,
    createdAt: '2026-12-05T12:00:00.000Z',
    updatedAt: '2026-12-05T12:00:00.000Z',
    ...o,
  };
}

describe('toggle options', () => {
  it('parses hosts, the change, the URL and the token', () => {
    const r = parseToggleOptions(
      { host: ['compute1,compute2', 'compute1'], l2pop: 'off', arpResponder: 'on', inPlace: true, url: 'http://dash:3000/x' },
      { L2SCOPE_TOKEN: 't' },
    );
    expect(r).toEqual({
      target: { hosts: ['compute1', 'compute2'] },
      change: { l2_population: false, arp_responder: true },
      inPlace: true,
      planOnly: false,
      yes: false,
      url: 'http://dash:3000',
      token: 't',
      timeoutS: 900,
    });
    expect(parseToggleOptions({ network: 'n1', l2pop: 'on', token: 'x' }).target).toEqual({ network: 'n1' });
    expect(parseToggleOptions({ network: 'n1', l2pop: 'on', token: 'x' }).url).toBe('http://localhost:3000');
  });

  it.each([
    [{ l2pop: 'on', token: 't' }, 'give --host'],
    [{ host: ['a'], network: 'n', l2pop: 'on', token: 't' }, 'not both'],
    [{ host: ['a'], token: 't' }, '--l2pop on|off'],
    [{ host: ['a'], l2pop: 'maybe', token: 't' }, '--l2pop takes on or off'],
    [{ host: ['a'], l2pop: 'on' }, 'L2SCOPE_TOKEN'],
    [{ host: ['a'], l2pop: 'on', token: 't', url: 'ftp://x' }, 'http://'],
    [{ host: ['a'], l2pop: 'on', token: 't', timeout: '-1' }, '--timeout'],
  ])('refuses %j', (o, msg) => {
    expect(() => parseToggleOptions(o)).toThrow(UsageError);
    expect(() => parseToggleOptions(o)).toThrow(msg);
  });

  it('a bad command line exits 2 with the reason', async () => {
    const r = await run(['toggle', '--host', 'compute1', '--l2pop', 'sideways', '--token', 't']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--l2pop takes on or off');
  });

  it('an API that cannot be reached exits 1', async () => {
    const r = await run(['toggle', '--host', 'compute1', '--l2pop', 'on', '--token', 't', '--url', 'http://127.0.0.1:9', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('l2scope toggle:');
  });
});

describe('plan and progress', () => {
  const plan = {
    agent: {
      agentType: 'linuxbridge' as const,
      iniPath: '/etc/neutron/plugins/ml2/linuxbridge_agent.ini',
      section: 'vxlan',
      before: { l2_population: false, arp_responder: null },
      after: { l2_population: true, arp_responder: null },
      diff: '@@ -2 +2 @@\n-l2_population = false\n+l2_population = true\n',
      service: { method: 'command' as const, name: 'lab-restart' },
      vxlanVnis: [1001],
      warnings: [],
    },
    refusal: null,
    method: 'clean' as const,
    downtimeS: 5,
    predicted: [
      { kind: 'mixed_l2pop', severity: 'warning' as const, networks: ['n'], hosts: ['compute1'], detail: 'compute1 differs' },
      { kind: 'mixed_arp_responder', severity: 'error' as const, networks: ['n'], hosts: ['compute1'], detail: 'ARP breaks' },
    ],
    warnings: ['kolla-ansible reconfigure reverts it'],
    applicable: true,
  };

  it('prints the plan: method, downtime, diff, findings errors first, warnings', () => {
    expect(formatPlan([job({ plan })])).toEqual([
      'compute1: l2_population on',
      '  restart: clean (command lab-restart), downtime ~5 s',
      '  ini: /etc/neutron/plugins/ml2/linuxbridge_agent.ini [vxlan]',
      '    @@ -2 +2 @@',
      '    -l2_population = false',
      '    +l2_population = true',
      '  predicted error: mixed_arp_responder: ARP breaks',
      '  predicted warning: mixed_l2pop: compute1 differs',
      '  warning: kolla-ansible reconfigure reverts it',
    ]);
    expect([
      plansArrived([job({})]),
      plansArrived([job({ plan })]),
      applicable([job({ plan })]),
      applicable([job({ plan: { ...plan, applicable: false } })]),
    ]).toEqual([false, true, true, false]);
  });

  it('prints new steps and states once, and the evidence at the end', () => {
    const a = job({ state: 'approved' });
    const b = job({ state: 'restarting', steps: [{ at: '2026-12-05T12:00:03.000Z', step: 'set_mode', outcome: 'ok', detail: 'ini written' }] });
    const c = job({ ...b, state: 'done', evidence: ['report_state start_flag l2_population=true'] });
    expect(progressLines(undefined, a)).toEqual(['compute1: approved']);
    expect(progressLines(a, b)).toEqual(['compute1: 12:00:03 set_mode ok: ini written', 'compute1: restarting']);
    expect(progressLines(b, c)).toEqual(['compute1: done', 'compute1:   report_state start_flag l2_population=true']);
    expect(progressLines(c, c)).toEqual([]);
  });

  it("stops when every job is over: final, or failed with its rollback run; a failed job owing its rollback waits for it, bounded by the job's own deadline", () => {
    const t0 = Date.parse('2026-12-05T12:00:00.000Z');
    const until = new Date(t0 + 120_000).toISOString();
    const applied = [
      { at: '2026-12-05T12:00:00.000Z', step: 'apply', outcome: 'ok' as const, detail: '' },
      { at: '2026-12-05T12:00:01.000Z', step: 'verify', outcome: 'failed' as const, detail: 'no report_state', until },
    ];
    expect(outcome([job({ state: 'verifying', steps: applied.slice(0, 1) })], t0)).toEqual({ over: false });
    expect(outcome([job({ state: 'done' }), job({ state: 'done' })], t0)).toEqual({ over: true, code: 0 });
    expect(outcome([job({ state: 'done' }), job({ state: 'rolled_back' })], t0)).toEqual({ over: true, code: 1 });
    // failed after apply, no rollback step yet: the worker owes the rollback, however long ago it failed ...
    const owing = job({ state: 'failed', steps: applied });
    expect(outcome([owing], t0 + 60_000)).toEqual({ over: false });
    expect(outcome([owing], t0 + 120_000 + PAST_DEADLINE_MS)).toEqual({ over: false });
    // ... until the job's own deadline is past by the margin: no worker is running it
    expect(outcome([owing], t0 + 120_000 + PAST_DEADLINE_MS + 1)).toEqual({ over: true, code: 1 });
    // failed with its rollback run (the rollback itself failed), or failed before anything was applied: over at once
    const rolledBackFailed = job({
      state: 'failed',
      steps: [...applied, { at: '2026-12-05T12:02:01.000Z', step: 'rollback', outcome: 'failed', detail: 'restore failed' }],
    });
    expect(outcome([rolledBackFailed], t0)).toEqual({ over: true, code: 1 });
    expect(outcome([job({ state: 'failed', steps: [] })], t0)).toEqual({ over: true, code: 1 });
  });
});

describe('l2scope user token', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    const { auth, close } = await connectAuth({ url: tdb.url, migrate: true, env: { L2SCOPE_AUTH_SECRET: SECRET } });
    await addUser(auth, 'otto', 'operator', 'otto-password');
    await close();
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  it('prints a token Better Auth reads as the user (bearer), with the role', async () => {
    const r = await run(['user', 'token', 'otto', '--days', '2'], { DATABASE_URL: tdb.url, L2SCOPE_AUTH_SECRET: SECRET });
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^\S{20,}$/);
    const { auth, close } = await connectAuth({ url: tdb.url, env: { L2SCOPE_AUTH_SECRET: SECRET } });
    try {
      const user = await auth.sessionFromHeaders({ authorization: `Bearer ${token}` });
      expect(user).toMatchObject({ username: 'otto', role: 'operator' });
      expect(await auth.sessionFromHeaders({ authorization: `Bearer ${token}x` })).toBeNull();
    } finally {
      await close();
    }
    const bad = await run(['user', 'token', 'nobody'], { DATABASE_URL: tdb.url, L2SCOPE_AUTH_SECRET: SECRET });
    expect([bad.code, bad.stderr.trim()]).toEqual([1, 'l2scope user: no user "nobody"']);
  });
});
