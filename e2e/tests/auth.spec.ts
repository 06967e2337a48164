/**
 * Sign-in (docs/auth.md), starting signed out: a page redirects to /login, a wrong password shows
 * an error, the right one reaches the topology (the lab3 replay drawn) and the header names the
 * user and role; sign-out ends the session. Without a cookie, tRPC and the export answer 401.
 */
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { E2E_USER, e2eLogin } from '../auth';
import { type Stack, root, startStack } from '../stack';

test.use({ storageState: { cookies: [], origins: [] } });

let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ workerArgs: ['--replay', path.join(root, 'fixtures/lab3.jsonl'), '--speed', '0', '--until', '1795307132.9'] });
});
test.afterAll(async () => {
  await stack?.stop();
});

test('without a cookie, tRPC procedures and the export answer 401', async () => {
  for (const url of ['/api/trpc/topology.snapshot', '/api/trpc/stats.get', '/api/trpc/messages.facets', '/api/export']) {
    const res = await fetch(`${stack.webUrl}${url}`, { redirect: 'manual' });
    expect(res.status, url).toBe(401);
  }
});

test('a signed-out visit goes to /login; a wrong password shows an error; the right one reaches the topology', async ({ page }) => {
  await page.goto(`${stack.webUrl}/overview`);
  await expect(page).toHaveURL(/\/login\?next=%2Foverview$/);

  await page.getByTestId('login-name').fill(E2E_USER.name);
  await page.getByTestId('login-password').fill('not-the-password');
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('login-error')).toHaveText('Wrong user name or password.');
  await expect(page).toHaveURL(/\/login/);

  await page.getByTestId('login-password').fill(e2eLogin().password);
  await page.getByTestId('login-submit').click();
  // back to the page asked for, signed in
  await expect(page).toHaveURL(`${stack.webUrl}/overview`);
  await expect(page.getByTestId('user-name')).toHaveText(E2E_USER.name);
  await expect(page.getByTestId('user-role')).toHaveText(E2E_USER.role);

  await page.getByTestId('nav-topology').click();
  await expect(page.getByTestId('host-compute1')).toContainText('10.0.20.12');
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'connected');

  // sign out: the session is gone, the dashboard sends the browser to /login again
  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto(stack.webUrl);
  await expect(page).toHaveURL(/\/login$/);
});
