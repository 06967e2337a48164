/**
 * The DVR page on fixtures/dvr (messages and node bundles built from the Neutron 21.0.0 source's
 * shapes, fixtures/README.md#dvr; not a capture): the worker replays `dvr.jsonl` and loads the
 * `1-dvr` bundles; the page shows every host's DVR MAC announced and installed, the static ARP
 * entries per router, and catches the fixture's two faults: dvr2's flows miss dvr3's DVR MAC, and
 * dvr3's qrouter namespace misses vm-a's static ARP entry (192.168.10.11).
 * `DVR_SCREENSHOT=<path>` also writes the page's screenshot (docs/dvr.png).
 */
import { expect, test } from '@playwright/test';
import { replayStep } from '../nodes';
import { type Stack, startStack } from '../stack';

test.describe('DVR page', () => {
  let stack: Stack;
  test.beforeAll(async () => {
    stack = await startStack({ workerArgs: replayStep('dvr', '1-dvr') });
  });
  test.afterAll(async () => {
    await stack?.stop();
  });

  test('catches one missing DVR MAC flow and one missing static ARP entry', async ({ page }) => {
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.goto(`${stack.webUrl}/dvr`);
    const findings = page.locator('[data-testid="dvr-finding"][data-severity="error"]');
    await expect(findings).toHaveCount(2, { timeout: 30_000 });
    await expect(page.locator('[data-testid="dvr-finding"][data-kind="dvr_mac_flow_missing"]')).toHaveAttribute('data-host', 'dvr2');
    await expect(page.locator('[data-testid="dvr-finding"][data-kind="dvr_mac_flow_missing"]')).toContainText("dvr3's DVR MAC fa:16:3f:3c:9e:03");
    await expect(page.locator('[data-testid="dvr-finding"][data-kind="arp_entry_missing"]')).toHaveAttribute('data-host', 'dvr3');
    await expect(page.locator('[data-testid="dvr-finding"][data-kind="arp_entry_missing"]')).toContainText('192.168.10.11');

    const hosts = page.getByTestId('dvr-host');
    await expect(hosts).toHaveCount(3);
    await expect(page.locator('[data-testid="dvr-host"][data-host="dvr2"]')).toHaveAttribute('data-missing', '1');
    await expect(page.locator('[data-testid="dvr-host"][data-host="dvr1"]')).toHaveAttribute('data-missing', '0');
    await expect(page.locator('[data-testid="dvr-host"][data-host="dvr3"]')).toContainText('fa:16:3f:3c:9e:03');

    // the deleted entry (del_arp_entry) is gone; the three VM entries are listed
    await expect(page.getByTestId('dvr-arp-row')).toHaveCount(3);
    const held = page.locator('[data-testid="dvr-arp-row"][data-ip="192.168.10.11"] [data-testid="dvr-arp-held"][data-host="dvr3"]');
    await expect(held).toHaveAttribute('data-ok', 'no');
    await expect(held).toContainText('missing');
    await expect(page.locator('[data-testid="dvr-arp-held"][data-ok="no"]')).toHaveCount(1);
    if (process.env.DVR_SCREENSHOT) await page.screenshot({ path: process.env.DVR_SCREENSHOT, fullPage: true });
  });

  test('the inspector lists the DVR casts, and the malformed one as undecodable', async ({ page }) => {
    await page.goto(`${stack.webUrl}/`);
    const rows = page.locator('[data-testid="inspector-row"][data-method="add_arp_entry"]');
    await expect(rows.first()).toBeVisible({ timeout: 30_000 });
    const bad = page.locator('[data-testid="inspector-row"][data-method="undecodable"]');
    await expect(bad).toHaveCount(1);
    await expect(bad).toHaveAttribute('title', /^invalid_args: add_arp_entry: payload\.arp_table\.mac_address/);
  });
});
