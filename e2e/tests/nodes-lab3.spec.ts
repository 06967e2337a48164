/**
 * Node view, zero drift (Lab3, l2pop + ARP responder): the worker replays the real lab3 capture up
 * to step 1-ports-active and loads that step's real kernel snapshots. Every drift class counts 0, no
 * finding; every host page shows every told FDB / neighbour row held (`both`); the flood matrix has
 * no excess and no missing recipient; the topology shows clean badges and no missing/excess edge.
 */
import { expect, test } from '@playwright/test';
import { DRIFT_CLASSES } from '@l2scope/domain';
import { replayStep, analysedNetwork } from '../nodes';
import { type Stack, startStack } from '../stack';

const HOSTS = { controller: '10.0.20.11', compute1: '10.0.20.12', compute2: '10.0.20.13' } as const;

let stack: Stack;
let network: string;
test.beforeAll(async () => {
  stack = await startStack({ workerArgs: replayStep('lab3', '1-ports-active') });
  // the network id as the model knows it (the worker's live view)
  network = await analysedNetwork(stack);
});
test.afterAll(async () => {
  await stack?.stop();
});

test('overview: 0 for every drift class, no finding, every host in sync', async ({ page }) => {
  await page.goto(`${stack.webUrl}/overview`);
  await expect(page.getByTestId('overview')).toBeVisible();
  await expect(page.getByTestId('overview-host-row')).toHaveCount(3, { timeout: 15_000 });
  for (const c of DRIFT_CLASSES) await expect(page.getByTestId(`drift-count-${c}`)).toHaveAttribute('data-count', '0');
  await expect(page.getByTestId('flood-count-missing')).toHaveAttribute('data-count', '0');
  await expect(page.getByTestId('flood-count-excess')).toHaveAttribute('data-count', '0');
  await expect(page.getByTestId('finding')).toHaveCount(0);
  await expect(page.getByTestId('no-findings')).toBeVisible();
  for (const host of Object.keys(HOSTS))
    await expect(page.locator(`[data-testid="overview-host-row"][data-host="${host}"]`)).toHaveAttribute('data-drift', '0');
  await expect(page.getByTestId('nodes-status')).toHaveAttribute('data-drift', '0');
});

test('every host page: l2pop + ARP responder, every FDB and neighbour row held as told, flood list = ideal', async ({ page }) => {
  for (const [host, vtep] of Object.entries(HOSTS)) {
    await page.goto(`${stack.webUrl}/hosts/${host}`);
    await expect(page.getByTestId('host-page')).toHaveAttribute('data-host', host);
    const mode = page.getByTestId('host-mode');
    await expect(mode).toHaveAttribute('data-l2pop', 'on', { timeout: 15_000 });
    await expect(mode).toHaveAttribute('data-arp', 'on');
    await expect(mode).toHaveAttribute('data-flood-mode', 'unicast');
    await expect(page.getByTestId('drift-item')).toHaveCount(0);
    await expect(page.getByTestId('host-drift-total')).toHaveAttribute('data-count', '0');
    const rows = page.getByTestId('fdb-row');
    // 2 flood entries + 2 remote ports, all held as told
    await expect(rows).toHaveCount(4);
    expect(await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-status')))).toEqual(['both', 'both', 'both', 'both']);
    const floodTo = await page
      .locator('[data-testid="fdb-row"][data-mac="00:00:00:00:00:00"]')
      .evaluateAll((rs) => rs.map((r) => r.getAttribute('data-vtep')).sort());
    expect(floodTo).toEqual(
      Object.values(HOSTS)
        .filter((v) => v !== vtep)
        .sort(),
    );
    const neigh = page.getByTestId('neigh-row');
    await expect(neigh).toHaveCount(2);
    expect(await neigh.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-status')))).toEqual(['both', 'both']);
    const flood = page.getByTestId('flood-list');
    await expect(flood).toHaveAttribute('data-network', network);
    await expect(flood).toHaveAttribute('data-excess', '');
    await expect(flood).toHaveAttribute('data-missing', '');
    expect(await flood.getAttribute('data-actual')).toBe(await flood.getAttribute('data-ideal'));
    await expect(page.getByTestId(`convergence-${host}`)).toBeVisible();
  }
});

test('network page: the flood matrix has no excess and no missing recipient', async ({ page }) => {
  await page.goto(`${stack.webUrl}/networks/${network}`);
  await expect(page.getByTestId('network-page')).toBeVisible();
  const cells = page.getByTestId('flood-cell');
  await expect(cells).toHaveCount(9, { timeout: 15_000 });
  const states = await cells.evaluateAll((cs) =>
    cs.map((c) => `${c.getAttribute('data-host')}>${c.getAttribute('data-vtep')}:${c.getAttribute('data-state')}${c.getAttribute('data-self') ? ':self' : ''}`),
  );
  for (const s of states) expect(s).toMatch(/:(both|none:self)$/);
  expect(states.filter((s) => s.endsWith(':both'))).toHaveLength(6);
  await expect(page.getByTestId('matrix-totals')).toHaveAttribute('data-missing', '0');
  await expect(page.getByTestId('matrix-totals')).toHaveAttribute('data-excess', '0');
  await expect(page.getByTestId('finding')).toHaveCount(0);
});

test('topology: a clean drift badge on every host card, linking to its page; no missing or excess edge', async ({ page }) => {
  await page.goto(stack.webUrl);
  for (const host of Object.keys(HOSTS)) {
    const badge = page.getByTestId(`host-drift-badge-${host}`);
    await expect(badge).toHaveAttribute('data-count', '0', { timeout: 15_000 });
  }
  await expect(page.locator('[data-testid^="edge-flood-"]')).toHaveCount(6);
  await expect(page.locator('[data-testid^="edge-missing-"], [data-testid^="edge-excess-"]')).toHaveCount(0);
  await page.getByTestId('host-drift-badge-compute1').click();
  await expect(page).toHaveURL(/\/hosts\/compute1$/);
  await expect(page.getByTestId('host-page')).toHaveAttribute('data-host', 'compute1');
  await expect(page.getByTestId('fdb-row').first()).toBeVisible();
});
