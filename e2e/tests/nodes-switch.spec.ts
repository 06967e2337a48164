/**
 * switch-noclean step 3: every agent switched from Lab1 to Lab3 in place (`vxlan-649` kept with
 * `group 224.0.0.1`, no `proxy`): a half_switched_vxlan finding naming all three hosts, each host's
 * BUM leaving three times (two l2pop flood entries + the group, the group an excess copy).
 */
import { expect, test } from '@playwright/test';
import { replayStep } from '../nodes';
import { type Stack, startStack } from '../stack';

const HOSTS = ['compute1', 'compute2', 'controller'];

let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ workerArgs: replayStep('switch-noclean', '3-inplace-switched') });
});
test.afterAll(async () => {
  await stack?.stop();
});

test('overview: one half_switched_vxlan finding naming every host, with its evidence', async ({ page }) => {
  await page.goto(`${stack.webUrl}/overview`);
  const f = page.locator('[data-testid="finding"][data-resolved="false"][data-kind="half_switched_vxlan"]');
  await expect(f).toHaveCount(1, { timeout: 20_000 });
  await expect(f).toHaveAttribute('data-hosts', HOSTS.join(','));
  for (const h of HOSTS) await expect(f.getByRole('link', { name: h, exact: true })).toBeVisible();
  await expect(f).toContainText('224.0.0.1');
  await f.getByText(/^Evidence/).click();
  await expect(f.getByTestId('evidence-row').first()).toContainText('vxlan-649');
  await expect(page.getByTestId('flood-count-excess')).toHaveAttribute('data-count', '3');
});

test('every host: half-switched mode, the group an excess flood recipient; the matrix and the topology show it', async ({ page }) => {
  for (const h of HOSTS) {
    await page.goto(`${stack.webUrl}/hosts/${h}`);
    await expect(page.getByTestId('host-mode')).toHaveAttribute('data-flood-mode', 'multicast+unicast', { timeout: 15_000 });
    const flood = page.getByTestId('flood-list');
    await expect(flood).toHaveAttribute('data-excess', '224.0.0.1');
    await expect(flood).toHaveAttribute('data-copies', '3');
    await expect(page.locator('[data-testid="finding"][data-resolved="false"][data-kind="half_switched_vxlan"]')).toHaveCount(1);
  }
  const network = await page.getByTestId('flood-list').getAttribute('data-network');
  await page.goto(`${stack.webUrl}/networks/${network}`);
  for (const h of HOSTS)
    await expect(page.locator(`[data-testid="flood-cell"][data-host="${h}"][data-vtep="224.0.0.1"]`)).toHaveAttribute('data-state', 'excess', {
      timeout: 15_000,
    });
  await page.goto(stack.webUrl);
  for (const h of HOSTS) await expect(page.getByTestId(`host-flood-note-${h}`)).toContainText('224.0.0.1', { timeout: 15_000 });
});
