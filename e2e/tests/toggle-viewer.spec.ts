/**
 * The admin toggles as a viewer (docs/toggles.md#from-the-dashboard-and-the-cli): the host page
 * shows the mode (report_state and ini) but no switch, the network page no "switch every host",
 * the header no Audit link and /audit refuses; the API answers 403 to a viewer's toggle.plan.
 */
import path from 'node:path';
import { execa } from 'execa';
import { expect, test } from '@playwright/test';
import { type Stack, root, startStack } from '../stack';

const VIEWER = { name: 'vera', password: 'vera-e2e-password' };
const NET = '7592da76-ae90-48b3-b213-51b1b36f8297';

test.use({ storageState: { cookies: [], origins: [] } });

let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ workerArgs: ['--replay', path.join(root, 'fixtures/lab3.jsonl'), '--speed', '0', '--until', '1795307132.9'] });
  await execa(
    path.join(root, 'node_modules/.bin/tsx'),
    [path.join(root, 'apps/cli/src/main.ts'), 'user', 'add', VIEWER.name, '--role', 'viewer', '--password-stdin'],
    {
      cwd: root,
      env: { ...process.env, DATABASE_URL: stack.db.url },
      input: `${VIEWER.password}\n`,
    },
  );
});
test.afterAll(async () => {
  await stack?.stop();
});

test('a viewer sees the mode but no switch, no network switch, no audit', async ({ page }) => {
  await page.goto(`${stack.webUrl}/login?next=${encodeURIComponent('/hosts/compute1')}`);
  await page.getByTestId('login-name').fill(VIEWER.name);
  await page.getByTestId('login-password').fill(VIEWER.password);
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(`${stack.webUrl}/hosts/compute1`);
  await expect(page.getByTestId('user-role')).toHaveText('viewer');

  const panel = page.getByTestId('mode-panel');
  await expect(panel.getByTestId('mode-state')).toBeVisible();
  await expect(panel.getByTestId('reported-l2_population')).toHaveAttribute('data-value', /^(on|off|unknown)$/);
  await expect(panel.getByTestId('mode-readonly')).toBeVisible();
  await expect(panel.getByTestId('mode-switches')).toHaveCount(0);
  await expect(page.getByTestId('plan-toggle')).toHaveCount(0);
  await expect(page.getByTestId('nav-audit')).toHaveCount(0);

  await page.goto(`${stack.webUrl}/networks/${NET}`);
  await expect(page.getByTestId('network-page')).toBeVisible();
  await expect(page.getByTestId('network-toggle')).toHaveCount(0);

  await page.goto(`${stack.webUrl}/audit`);
  await expect(page.getByTestId('audit-forbidden')).toBeVisible();

  // the API refuses the viewer's toggle even from the dashboard's own origin
  const res = await page.request.post(`${stack.webUrl}/api/trpc/toggle.plan`, {
    headers: { origin: stack.webUrl, 'content-type': 'application/json' },
    data: { hosts: ['compute1'], change: { l2_population: false }, inPlace: false },
  });
  expect(res.status()).toBe(403);
});
