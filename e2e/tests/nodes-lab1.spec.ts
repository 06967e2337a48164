/**
 * Lab1 (l2_population = false, flood-and-learn) after the ping matrix: the real capture up to
 * step 2-after-ping and that step's real kernel snapshots. Every host floods to multicast group
 * 224.0.0.1 and learns remote MACs; nothing l2pop told is expected, so no missing_* / neigh_* item
 * (only learned_only), and the told rows read "told, not applied" rather than missing.
 */
import { expect, test } from '@playwright/test';
import { replayStep } from '../nodes';
import { type Stack, startStack } from '../stack';

const HOSTS = ['controller', 'compute1', 'compute2'];

let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ workerArgs: replayStep('lab1', '2-after-ping') });
});
test.afterAll(async () => {
  await stack?.stop();
});

test('overview: no missing or neighbour drift, no flood problem; the learned MACs are counted as learned_only', async ({ page }) => {
  await page.goto(`${stack.webUrl}/overview`);
  await expect(page.getByTestId('overview-host-row')).toHaveCount(3, { timeout: 20_000 });
  for (const c of ['missing_flood', 'missing_unicast', 'neigh_missing', 'neigh_stale', 'stale_entry', 'wrong_vtep']) {
    await expect(page.getByTestId(`drift-count-${c}`)).toHaveAttribute('data-count', '0');
  }
  expect(Number(await page.getByTestId('drift-count-learned_only').getAttribute('data-count'))).toBeGreaterThan(0);
  await expect(page.getByTestId('flood-count-missing')).toHaveAttribute('data-count', '0');
  await expect(page.getByTestId('flood-count-excess')).toHaveAttribute('data-count', '0');
  await expect(page.getByTestId('finding')).toHaveCount(0);
});

test('every host: flood-and-learn with group 224.0.0.1, BUM to the group reaching every other host, told rows not applied', async ({ page }) => {
  for (const host of HOSTS) {
    await page.goto(`${stack.webUrl}/hosts/${host}`);
    const mode = page.getByTestId('host-mode');
    await expect(mode).toHaveAttribute('data-l2pop', 'off', { timeout: 15_000 });
    await expect(mode).toHaveAttribute('data-flood-mode', 'multicast');
    await expect(mode).toHaveAttribute('data-groups', '224.0.0.1');
    await expect(mode).toContainText('224.0.0.1');
    const flood = page.getByTestId('flood-list');
    await expect(flood).toHaveAttribute('data-actual', '224.0.0.1');
    await expect(flood).toHaveAttribute('data-missing', '');
    await expect(flood).toHaveAttribute('data-excess', '');
    // no complaint about missing l2pop entries: only learned rows
    const classes = await page.getByTestId('drift-item').evaluateAll((xs) => xs.map((x) => x.getAttribute('data-class')));
    expect(classes.length).toBeGreaterThan(0);
    expect(classes.every((c) => c === 'learned_only')).toBe(true);
    // told rows that are not held are not applied (muted), never "missing" (red)
    await expect(page.locator('[data-testid="fdb-row"][data-tone="bad"]')).toHaveCount(0);
    await expect(page.locator('[data-testid="fdb-row"][data-status="expected-only"]').first()).toHaveAttribute('data-tone', 'muted');
    await expect(page.locator('[data-testid="fdb-row"][data-vtep="224.0.0.1"]')).toHaveAttribute('data-status', 'actual-only');
  }
});

test('network page: every host reaches the others through the group, none missing', async ({ page }) => {
  await page.goto(`${stack.webUrl}/hosts/controller`);
  const network = await page.getByTestId('flood-list').getAttribute('data-network', { timeout: 15_000 });
  await page.goto(`${stack.webUrl}/networks/${network}`);
  await expect(page.getByTestId('flood-cell')).toHaveCount(12, { timeout: 15_000 });
  for (const host of HOSTS) {
    await expect(page.locator(`[data-testid="flood-cell"][data-host="${host}"][data-vtep="224.0.0.1"]`)).toHaveAttribute('data-state', 'actual');
    await expect(page.locator(`[data-testid="flood-cell"][data-host="${host}"][data-state="expected"]`)).toHaveCount(2);
  }
  await expect(page.locator('[data-testid="flood-cell"][data-state="missing"], [data-testid="flood-cell"][data-state="excess"]')).toHaveCount(0);
});
