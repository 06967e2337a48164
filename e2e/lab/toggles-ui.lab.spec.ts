/**
 * The admin toggles through the UI in Chromium, on the real lab (docs/toggles.md#lab-ui): the lab
 * of 3 Linux bridge hosts in Lab1 (l2pop off, ARP responder off) with VMs on every host (2 on
 * compute1), the dashboard (`npm start`) tapping its broker on a fresh SQLite database, the lab's
 * node agents holding the worker's command public key, and the browser signed in as the first admin.
 * 1. Lab1 -> Lab3 on every host from the network page's "switch every host": the plan dialog,
 *    approval, live progress host by host, one restart per host, every host page in l2pop + ARP
 *    responder mode with zero drift, every VM pair pings.
 * 2. Lab3, compute1's ARP responder off from its host page: `mixed_arp_responder` predicted,
 *    then found, and the real break in the ping matrix; back on: the finding clears, every pair pings.
 * Run with `npm -w @l2scope/e2e run e2e:lab` (root, Debian 12; under `flock /tmp/l2lab.lock`).
 */
import path from 'node:path';
import { type Browser, type BrowserContext, type Locator, type Page, expect, test } from '@playwright/test';
import { type Db, closeDb, getToggleJob, openDb } from '@l2scope/db';
import type { ToggleJobView } from '@l2scope/domain';
import { type PingResult, REPO_ROOT, pingMatrix } from '@l2scope/lab';
import { type Dashboard, LAB_HOSTS, ensureLab, lab, labState, sampleStartedAt, startLabDashboard, startedAt, stopLabDashboard, workerNodes } from './lab';

/** VMs per host: compute1 has 2 ports on the lab network, the others 1 each. */
const VMS: Record<string, number> = { controller: 1, compute1: 2, compute2: 1 };
/** From approval to every job of a plan `done` (ms): a clean switch takes 30 to 90 s per host here. */
const JOBS_DEADLINE_MS = 420_000;
/** The UI catching up with the lab (a snapshot, a report_state): generous, the machine is shared. */
const UI_MS = 120_000;
const log = (s: string) => console.log(`[lab-ui] ${s}`);

test.describe.configure({ mode: 'serial' });

let broughtUp = false;
let dash: Dashboard | undefined;
let context: BrowserContext | undefined;
let page: Page;
let db: Db | undefined;
let networkId: string;

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  test.setTimeout(1_200_000);
  if (process.getuid?.() !== 0) throw new Error('the lab specs need root (network namespaces)');
  broughtUp = await ensureLab({ l2pop: false, arp: false }, log);
  const s = labState();
  networkId = s.networkId!;
  // the toggle's verification may wait for a snapshot on a loaded machine (docs/toggles.md#verification)
  process.env.L2SCOPE_TOGGLE_DEADLINE ??= '300';
  dash = await startLabDashboard(s.amqpUrl);
  log(`dashboard ${dash.url}, database ${dash.dbUrl}`);
  await lab('agents', 'stop');
  await lab('agents', 'start', '--command-public-key', dash.commandPublicKey);
  // the VMs after the worker: it must see every port's l2pop casts to know the hosts' networks
  for (const h of LAB_HOSTS) await lab('vm', 'add', '--host', h, '--count', String(VMS[h]));
  db = await openDb(dash.dbUrl);
  await expect
    .poll(
      async () => {
        const v = await workerNodes(dash!).catch(() => null);
        return LAB_HOSTS.filter((h) => v?.analysis?.hosts[h] !== undefined).length;
      },
      { message: 'every lab host analysed by the worker', timeout: 300_000, intervals: [1000] },
    )
    .toBe(LAB_HOSTS.length);

  context = await browser.newContext({ storageState: undefined, baseURL: dash.url });
  page = await context.newPage();
  await page.goto('/login');
  await page.getByTestId('login-name').fill(dash.admin.name);
  await page.getByTestId('login-password').fill(dash.admin.password);
  await page.getByTestId('login-submit').click();
  await expect(page).not.toHaveURL(/\/login/, { timeout: 60_000 });
});

test.afterAll(async () => {
  test.setTimeout(600_000);
  await context?.close();
  if (db) await closeDb(db);
  await lab('agents', 'stop').catch((e: Error) => console.error(e.message));
  if (dash) await stopLabDashboard(dash);
  if (broughtUp) await lab('down').catch((e: Error) => console.error(e.message));
});

/** The plan dialog's job of one host. */
const jobOf = (dialog: Locator, host: string) => dialog.locator(`[data-testid="plan-host"][data-host="${host}"]`);

/** Approve the open plan, answering the password step-up when the dialog asks for it. */
async function approve(dialog: Locator, opts: { stepUp?: boolean } = {}): Promise<void> {
  await dialog.getByTestId('plan-apply').click();
  const stepUp = dialog.getByTestId('step-up-password');
  const planned = dialog.locator('[data-testid="plan-host"][data-state="planned"]');
  let outcome: 'step-up' | 'approved' | null = null;
  await expect
    .poll(async () => (outcome = (await stepUp.isVisible()) ? 'step-up' : (await planned.count()) === 0 ? 'approved' : null), {
      message: 'the jobs approved, or the password step-up',
      timeout: 30_000,
    })
    .not.toBeNull();
  if (opts.stepUp) {
    expect(outcome, 'a sign-in older than 5 minutes must be asked for the password').toBe('step-up');
    // a wrong password is refused and nothing is approved
    await stepUp.fill(`${dash!.admin.password}-wrong`);
    await dialog.getByTestId('plan-apply').click();
    await expect(dialog.getByTestId('step-up-error')).toContainText('wrong password', { timeout: UI_MS });
    expect(await planned.count()).toBeGreaterThan(0);
  }
  if (outcome === 'step-up') {
    log('step-up: the dialog asked for the password');
    await stepUp.fill(dash!.admin.password);
    await dialog.getByTestId('plan-apply').click();
    await expect(planned).toHaveCount(0, { timeout: 30_000 });
  }
}

/**
 * Wait until every job in the dialog is `done`, failing at once on a job that failed, rolled back
 * or was cancelled (with the dialog's text, steps and evidence).
 */
async function untilDone(dialog: Locator, hosts: readonly string[]): Promise<void> {
  await expect
    .poll(
      async () => {
        const states = await dialog.getByTestId('plan-host').evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
        if (states.some((s) => s === 'failed' || s === 'rolled_back' || s === 'cancelled' || s === 'rolling_back'))
          throw new Error(`a job did not reach done: ${states.join(', ')}\n${await dialog.innerText()}`);
        return states.filter((s) => s === 'done').length;
      },
      { message: 'every job done', timeout: JOBS_DEADLINE_MS, intervals: [1000] },
    )
    .toBe(hosts.length);
}

/** The jobs of the dialog as stored (ids from the UI, rows from the worker's database). */
async function storedJobs(dialog: Locator): Promise<ToggleJobView[]> {
  const ids = await dialog.getByTestId('plan-host').evaluateAll((els) => els.map((e) => e.getAttribute('data-job')!));
  return Promise.all(ids.map(async (id) => (await getToggleJob(db!, id))!));
}

/** A host page shows `l2pop` / `arp` as the analysed mode and zero drift. */
async function expectHostPage(host: string, mode: { l2pop: 'on' | 'off'; arp: 'on' | 'off' }): Promise<void> {
  await page.goto(`/hosts/${host}`);
  await expect(page.getByTestId('host-page')).toHaveAttribute('data-host', host);
  const m = page.getByTestId('host-mode');
  await expect(m).toHaveAttribute('data-l2pop', mode.l2pop, { timeout: UI_MS });
  await expect(m).toHaveAttribute('data-arp', mode.arp, { timeout: UI_MS });
  await expect(page.getByTestId('host-drift-total')).toHaveAttribute('data-count', '0', { timeout: UI_MS });
}

const pairKey = (p: Pick<PingResult, 'from' | 'to'>) => `${p.from}->${p.to}`;
const vms = () => Object.values(labState().vms);

test('Lab1 -> Lab3 on every host through the UI', async () => {
  test.setTimeout(900_000);
  const before = await startedAt();
  await page.goto(`/networks/${networkId}`);
  const card = page.getByTestId('network-toggle');
  await card.getByTestId('network-l2_population').selectOption('on');
  await card.getByTestId('network-arp_responder').selectOption('on');
  await expect(card.getByTestId('plan-network')).toContainText('on every host');
  await card.getByTestId('plan-network').click();

  const dialog = page.getByTestId('plan-dialog');
  await expect(dialog.getByTestId('plan-host')).toHaveCount(LAB_HOSTS.length, { timeout: 30_000 });
  // every host's dry run: the ini change, a clean switch, the downtime warning, the predicted findings
  for (const h of LAB_HOSTS) {
    const j = jobOf(dialog, h);
    await expect(j.getByTestId('plan-diff')).toBeVisible({ timeout: UI_MS });
    await expect(j.getByTestId('plan-diff')).toContainText(/\+\s*l2_population\s*=\s*true/i);
    await expect(j.getByTestId('plan-diff')).toContainText(/\+\s*arp_responder\s*=\s*true/i);
    await expect(j.getByTestId('plan-method')).toHaveAttribute('data-method', 'clean');
    await expect(j.getByTestId('plan-downtime')).toContainText('traffic of this host’s VMs is interrupted');
    expect(Number(await j.getByTestId('plan-downtime').getAttribute('data-seconds'))).toBeGreaterThan(0);
    // each host's plan predicts the batch's end state (every host in Lab3: nothing mixed); the
    // mixed state while the batch runs is shown as transient on every host but the last
    // (docs/toggles.md#lab-ui)
    const predicted = await j
      .locator('[data-testid="plan-predicted"] li')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-kind')}${e.getAttribute('data-transient') ? ' (transient)' : ''}`));
    log(`plan of ${h}: predicted ${predicted.join(', ') || 'none'}`);
    if (h === LAB_HOSTS.at(-1)) expect(predicted).toEqual([]);
    else expect(predicted).toContain('mixed_arp_responder (transient)');
    expect(predicted.filter((p) => !p.endsWith('(transient)'))).toEqual([]);
  }
  await expect(dialog).toHaveAttribute('data-can-apply', 'true');
  await expect(dialog.getByTestId('plan-summary')).toContainText('0 error(s)');
  await expect(dialog.getByTestId('plan-apply')).toHaveText('Apply');
  if (process.env.L2SCOPE_DOCS_SCREENSHOT) await dialog.screenshot({ path: path.join(REPO_ROOT, 'docs/toggle-plan.png') });
  await dialog.screenshot({ path: test.info().outputPath('toggle-plan.png') });

  const sampler = sampleStartedAt();
  await approve(dialog);
  await untilDone(dialog, LAB_HOSTS);
  const seen = await sampler.stop();
  const after = await startedAt();

  const jobs = (await storedJobs(dialog)).sort((a, b) => a.batchIndex - b.batchIndex);
  expect(jobs.map((j) => j.host)).toEqual([...LAB_HOSTS]);
  for (const [i, j] of jobs.entries()) {
    // exactly one restart of the Neutron agent per job, and the API saw exactly one new agent
    const restarts = j.steps.filter((s) => s.step === 'recreate_vxlan' || s.step === 'restart_agent');
    expect(restarts.map((s) => s.step)).toEqual(['recreate_vxlan']);
    await expect(jobOf(dialog, j.host).locator('tr[data-step="recreate_vxlan"]')).toHaveCount(1);
    await expect(jobOf(dialog, j.host).locator('tr[data-step="restart_agent"]')).toHaveCount(0);
    expect(after[j.host]).not.toBe(before[j.host]);
    expect(
      seen[j.host]?.filter((at) => at !== before[j.host]),
      `started_at of ${j.host}: ${seen[j.host]?.join(' -> ')}`,
    ).toEqual([after[j.host]]);
    // host by host: a job starts only once the previous one is done
    if (i > 0) {
      const prevDone = jobs[i - 1]!.steps.at(-1)!.at;
      const applyAt = j.steps.find((s) => s.step === 'apply')!.at;
      expect(Date.parse(applyAt), `${j.host} applied before ${jobs[i - 1]!.host} was done`).toBeGreaterThanOrEqual(Date.parse(prevDone));
    }
  }
  await dialog.getByTestId('plan-close').click();

  for (const h of LAB_HOSTS) await expectHostPage(h, { l2pop: 'on', arp: 'on' });
  const ping = await pingMatrix(vms());
  log(`ping after Lab1 -> Lab3: ${ping.filter((p) => p.ok).length}/${ping.length} pairs pass`);
  expect(ping.filter((p) => !p.ok).map(pairKey)).toEqual([]);
});

test('Lab3: arp_responder off on one host, then back', async () => {
  test.setTimeout(900_000);
  const HOST = 'compute1';
  const unresolved = page.locator('[data-testid="finding"][data-resolved="false"][data-kind="mixed_arp_responder"]');

  /** On the host page, flip arp_responder to `on`, plan, check the plan, approve, wait for done. */
  const switchArp = async (on: boolean, checkPlan: (dialog: Locator) => Promise<void>, stepUp = false) => {
    await page.goto(`/hosts/${HOST}`);
    const panel = page.getByTestId('mode-panel');
    const sw = panel.getByTestId('switch-arp_responder');
    await expect(sw).toBeVisible({ timeout: UI_MS });
    await expect(panel.getByTestId('ini-arp_responder')).toHaveAttribute('data-value', on ? 'off' : 'on', { timeout: UI_MS });
    await sw.setChecked(on);
    await expect(panel.getByTestId('plan-toggle')).toContainText('arp_responder');
    await panel.getByTestId('plan-toggle').click();
    const dialog = page.getByTestId('plan-dialog');
    const j = jobOf(dialog, HOST);
    await expect(j.getByTestId('plan-method')).toHaveAttribute('data-method', 'clean', { timeout: UI_MS });
    await expect(j.getByTestId('plan-diff')).toContainText(new RegExp(`\\+\\s*arp_responder\\s*=\\s*${on}`, 'i'));
    await checkPlan(dialog);
    await approve(dialog, { stepUp });
    await untilDone(dialog, [HOST]);
    const [job] = await storedJobs(dialog);
    expect(job!.steps.filter((s) => s.step === 'recreate_vxlan' || s.step === 'restart_agent')).toHaveLength(1);
    await dialog.getByTestId('plan-close').click();
  };

  // off: the plan predicts the mixed ARP responder (an error: Apply reads "Apply anyway")
  await switchArp(false, async (dialog) => {
    const p = jobOf(dialog, HOST).locator('[data-testid="plan-predicted"] li[data-kind="mixed_arp_responder"]');
    await expect(p).toHaveAttribute('data-severity', 'error');
    await expect(dialog.getByTestId('plan-apply')).toHaveText('Apply anyway');
  });
  await expect(page.getByTestId('host-mode')).toHaveAttribute('data-arp', 'off', { timeout: UI_MS });
  await expect(unresolved).toHaveCount(1, { timeout: UI_MS });
  await expect(unresolved).toHaveAttribute('data-hosts', [...LAB_HOSTS].sort().join(','));
  await page.goto(`/networks/${networkId}`);
  await expect(unresolved).toHaveCount(1, { timeout: UI_MS });

  // the real break (docs/lab.md#gotcha-13): the kernel `proxy` on controller and compute2 swallows
  // their VMs' ARP replies, so every pair between compute1 (responder off, broadcasting ARP) and
  // the others fails both ways; compute1's own VMs and controller <-> compute2 still ping
  const broken = await pingMatrix(vms());
  const hostOfVm = Object.fromEntries(vms().map((v) => [v.name, v.host]));
  const failed = broken.filter((p) => !p.ok).map(pairKey);
  log(`ping with ${HOST}'s ARP responder off: failing ${failed.join(', ') || 'none'}`);
  const expected = broken.filter((p) => (hostOfVm[p.from] === HOST) !== (hostOfVm[p.to] === HOST)).map(pairKey);
  expect(failed.sort()).toEqual(expected.sort());

  // back on, with a sign-in older than 5 minutes (the session's creation moved back in the
  // database): Apply asks for the password again, refuses a wrong one, then approves.
  // Nothing is predicted, the finding clears, every pair pings again.
  await db!.session.updateMany({ data: { createdAt: new Date(Date.now() - 6 * 60_000) } });
  await switchArp(
    true,
    async (dialog) => {
      await expect(jobOf(dialog, HOST).getByTestId('plan-no-findings')).toBeVisible();
      await expect(dialog.getByTestId('plan-apply')).toHaveText('Apply');
    },
    true,
  );
  await expectHostPage(HOST, { l2pop: 'on', arp: 'on' });
  await page.goto(`/networks/${networkId}`);
  await expect(page.getByTestId('network-page')).toBeVisible();
  await expect(unresolved).toHaveCount(0, { timeout: UI_MS });
  const ping = await pingMatrix(vms());
  expect(ping.filter((p) => !p.ok).map(pairKey)).toEqual([]);
});
