/**
 * The fleet view: past the threshold (60 hosts) the topology opens on grouped points drawn by
 * sigma.js in WebGL, not one React Flow card per host; a click on a point drills down to the
 * host's neighbourhood in React Flow, a group's "open" to the group's cards, and "← Fleet" back.
 * An 80-host, 30-network capture (re-addressed real lab3 casts, racks of 40: two groups).
 */
import { expect, test } from '@playwright/test';
import { fleetCapture, fleetPoint } from '../fleet';
import { type Stack, startStack } from '../stack';

const capture = fleetCapture({ hosts: 80, networks: 30, minSpan: 5, maxSpan: 20 });
let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ workerArgs: ['--replay', capture.file, '--speed', '0'] });
});
test.afterAll(async () => {
  await stack?.stop();
  capture.remove();
});

test('80 hosts open on the fleet view: two rack groups drawn in WebGL, no host cards', async ({ page }) => {
  await page.goto(stack.webUrl);
  const fleet = page.getByTestId('fleet-view');
  await expect(fleet).toHaveAttribute('data-hosts', '80');
  await expect(fleet).toHaveAttribute('data-drawn', 'true');
  await expect(page.getByTestId('fleet-rule')).toContainText('80 hosts in 2 groups by host name pattern');
  await expect(page.getByTestId('fleet-group-compute-r00-*')).toBeVisible();
  await expect(page.getByTestId('fleet-group-compute-r01-*')).toBeVisible();
  // sigma's WebGL canvases, and no React Flow host card
  const webgl = await page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-testid="fleet-canvas"] canvas')).some(
      (c) => (c as HTMLCanvasElement).getContext('webgl2') !== null || (c as HTMLCanvasElement).getContext('webgl') !== null,
    ),
  );
  expect(webgl).toBe(true);
  await expect(page.locator('[data-testid^="host-compute-"]')).toHaveCount(0);
  expect(await page.evaluate(() => window.l2scopeFleet?.hosts().length)).toBe(80);
  // the matrix of the first group: its 40 hosts over their networks
  await expect(page.getByTestId('fleet-matrix')).toHaveAttribute('data-cols', '40');
});

test('a click on a host point drills down to its neighbourhood in React Flow, and back', async ({ page }) => {
  await page.goto(stack.webUrl);
  await expect(page.getByTestId('fleet-view')).toHaveAttribute('data-drawn', 'true');
  const p = await fleetPoint(page, 'compute-r01-0047');
  expect(p).not.toBeNull();
  await page.mouse.click(p!.x, p!.y);
  await expect(page.getByTestId('fleet-drill')).toContainText("compute-r01-0047's neighbourhood");
  await expect(page.getByTestId('host-compute-r01-0047')).toBeVisible();
  const cards = await page.locator('.react-flow__node').count();
  expect(cards).toBeGreaterThan(1);
  expect(cards).toBeLessThanOrEqual(40);
  await page.getByTestId('fleet-back').click();
  await expect(page.getByTestId('fleet-view')).toHaveAttribute('data-drawn', 'true');
});

test("a group's open drills down to its hosts' cards", async ({ page }) => {
  await page.goto(stack.webUrl);
  await page.getByTestId('fleet-open-compute-r00-*').click();
  await expect(page.getByTestId('fleet-drill')).toContainText('group compute-r00-*: 40 hosts');
  await expect(page.getByTestId('host-compute-r00-0000')).toBeVisible();
  await expect(page.locator('[data-testid^="host-compute-r01-"]')).toHaveCount(0);
});
