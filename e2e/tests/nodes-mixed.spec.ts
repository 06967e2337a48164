/**
 * mixed step 1: controller Lab3 (l2pop + ARP responder), compute1 Lab2, compute2 Lab1. The
 * mixed_arp_responder and mixed_l2pop findings name the three hosts and say who is on and off.
 */
import { expect, test } from '@playwright/test';
import { replayStep } from '../nodes';
import { type Stack, startStack } from '../stack';

let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ workerArgs: replayStep('mixed', '1-mixed-ports-active') });
});
test.afterAll(async () => {
  await stack?.stop();
});

test('overview: mixed_arp_responder and mixed_l2pop name the hosts', async ({ page }) => {
  await page.goto(`${stack.webUrl}/overview`);
  const arp = page.locator('[data-testid="finding"][data-resolved="false"][data-kind="mixed_arp_responder"]');
  await expect(arp).toHaveCount(1, { timeout: 20_000 });
  await expect(arp).toHaveAttribute('data-hosts', 'compute1,compute2,controller');
  await expect(arp).toContainText('ARP responder on: controller; off: compute1, compute2');
  const l2pop = page.locator('[data-testid="finding"][data-resolved="false"][data-kind="mixed_l2pop"]');
  await expect(l2pop).toHaveAttribute('data-hosts', 'compute1,compute2,controller');
  await expect(l2pop).toContainText('off: compute2');
  // the finding's network and hosts lead to their pages
  const network = await arp.getAttribute('data-network');
  await arp.getByRole('link', { name: 'controller', exact: true }).click();
  await expect(page.getByTestId('host-page')).toHaveAttribute('data-host', 'controller');
  await expect(page.getByTestId('host-mode')).toHaveAttribute('data-arp', 'on', { timeout: 15_000 });
  await expect(page.locator('[data-testid="finding"][data-resolved="false"][data-kind="mixed_arp_responder"]')).toHaveCount(1);
  await page.goto(`${stack.webUrl}/networks/${network}`);
  await expect(page.locator('[data-testid="finding"][data-resolved="false"][data-kind="mixed_arp_responder"]')).toHaveCount(1, { timeout: 15_000 });
});

test('each host page shows its own mode', async ({ page }) => {
  for (const [host, l2pop, arp] of [
    ['controller', 'on', 'on'],
    ['compute1', 'on', 'off'],
    ['compute2', 'off', 'off'],
  ] as const) {
    await page.goto(`${stack.webUrl}/hosts/${host}`);
    await expect(page.getByTestId('host-mode')).toHaveAttribute('data-l2pop', l2pop, { timeout: 15_000 });
    await expect(page.getByTestId('host-mode')).toHaveAttribute('data-arp', arp);
  }
});
