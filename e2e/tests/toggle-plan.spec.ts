/**
 * The admin toggles as an operator or admin (the e2e user is an admin): the host page's switches
 * plan a toggle and open the plan dialog for the host, with the job `planned` and Apply held until
 * the agent's dry run arrives; cancelling ends it; the job and its audit entries show on /audit.
 * A cross-origin POST of the same plan gets 403.
 */
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { type Stack, root, startStack } from '../stack';

let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ workerArgs: ['--replay', path.join(root, 'fixtures/lab3.jsonl'), '--speed', '0', '--until', '1795307132.9'] });
});
test.afterAll(async () => {
  await stack?.stop();
});

test('an operator plans from the host page and sees the plan dialog', async ({ page }) => {
  await page.goto(`${stack.webUrl}/hosts/compute1`);
  const panel = page.getByTestId('mode-panel');
  await expect(panel.getByTestId('mode-switches')).toBeVisible();

  // flip l2_population from what the host runs now
  const sw = panel.getByTestId('switch-l2_population');
  await sw.click();
  const plan = panel.getByTestId('plan-toggle');
  await expect(plan).toBeEnabled();
  await expect(plan).toContainText('l2_population');
  await plan.click();

  const dialog = page.getByTestId('plan-dialog');
  await expect(dialog).toBeVisible();
  const host = dialog.getByTestId('plan-host');
  await expect(host).toHaveAttribute('data-host', 'compute1');
  await expect(host.getByTestId('job-state')).toHaveAttribute('data-state', /^(planned|failed|cancelled)$/);
  // no dry run yet (or the agent cannot answer on a replay): nothing to apply
  await expect(dialog.getByTestId('plan-apply')).toBeDisabled();

  const jobId = await host.getAttribute('data-job');
  expect(jobId).toBeTruthy();
  if ((await host.getAttribute('data-state')) === 'planned') {
    await dialog.getByTestId('plan-cancel').click();
    await expect(host).toHaveAttribute('data-state', 'cancelled');
  }
  await dialog.getByTestId('plan-close').click();
  await expect(dialog).toHaveCount(0);

  await page.getByTestId('nav-audit').click();
  await expect(page.getByTestId('audit-page')).toBeVisible();
  await expect(page.locator(`[data-testid="audit-job"][data-job="${jobId}"]`)).toBeVisible();
  await expect(page.locator('[data-testid="audit-entry"][data-action="toggle.requested"]').first()).toBeVisible();
  await expect(page.getByTestId('audit-chain-result')).toHaveAttribute('data-ok', 'true');
});

test('a cross-origin POST of a plan gets 403', async ({ page }) => {
  await page.goto(`${stack.webUrl}/overview`);
  const res = await page.request.post(`${stack.webUrl}/api/trpc/toggle.plan`, {
    headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
    data: { hosts: ['compute1'], change: { l2_population: false }, inPlace: false },
  });
  expect(res.status()).toBe(403);
});
