/**
 * The OVS host page's datapath card (issue 13 item 2) on fixture snapshots loaded by the worker
 * (`--snapshots`, no capture):
 * - fixtures/gre-ovs `1-gre-and-vxlan` as captured: ovs1's GRE port, its tap on br-int
 *   (`firewall_driver = noop`), lvid 4, patch-tun/patch-int, br-tun tables 0, 2, 20, 22 out to
 *   `gre-0a001416` and back through tables 3 and 10, lvid 4 <-> GRE key 649 agreeing;
 * - the seed 001 path: the same bundle with the hybrid chain of fixtures/hybrid-chain (tap on
 *   qbr, qvb <-> qvo, qvo on br-int in place of the tap), and a copy whose table 22 sets another
 *   tun_id for lvid 4 (the lvid_segment_mismatch finding).
 * `OVS_HOST_SCREENSHOT=<path>` also writes the seed 001 page's screenshot (docs/ovs-host.png).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { type Stack, root, startStack } from '../stack';

const STEP = path.join(root, 'fixtures', 'gre-ovs', '1-gre-and-vxlan');
const ID = '1d015803-95';

/** A copy of the gre-ovs step with ovs1's GRE port behind the hybrid chain; `edit` may change more. */
function seedBundle(edit?: (files: Record<string, string>) => void): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'l2scope-seed001-'));
  const files: Record<string, string> = {};
  for (const f of readdirSync(STEP)) files[f] = readFileSync(path.join(STEP, f), 'utf8');
  files['ovs1-ovs-vsctl-show.txt'] = files['ovs1-ovs-vsctl-show.txt']!.replaceAll(`tap${ID}`, `qvo${ID}`);
  files['ovs1-ovs-vsctl.json'] = files['ovs1-ovs-vsctl.json']!.replaceAll(`tap${ID}`, `qvo${ID}`);
  files['ovs1-ip-link.json'] = readFileSync(path.join(root, 'fixtures', 'hybrid-chain', 'ip-link.json'), 'utf8');
  edit?.(files);
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);
  return dir;
}

async function openDatapath(page: Page, stack: Stack, port: string) {
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`${stack.webUrl}/hosts/ovs1`);
  const card = page.getByTestId('ovs-datapath');
  await expect(card).toBeVisible({ timeout: 30_000 });
  await card.getByLabel('datapath port').selectOption(port);
  return card;
}

const hopNames = (page: Page, id: string) => page.getByTestId(id).locator('.dp-name').allTextContents();

test.describe('gre-ovs as captured (taps on br-int)', () => {
  let stack: Stack;
  test.beforeAll(async () => {
    stack = await startStack({ workerArgs: ['--no-demo', '--snapshots', STEP] });
  });
  test.afterAll(async () => {
    await stack?.stop();
  });

  test("ovs1's GRE port: tap, br-int lvid 4, patch, br-tun 0/2/20/22 to gre-0a001416 and back via 3/10", async ({ page }) => {
    const card = await openDatapath(page, stack, `tap${ID}`);
    await expect(card).toContainText('local VLAN 4 ↔ gre 649 (0x289)');
    expect(await hopNames(page, 'datapath-out')).toEqual([
      `tap${ID}`,
      `tap${ID}`,
      'patch-tun = patch-int',
      'table 0',
      'table 2',
      'table 20',
      'table 22',
      'gre-0a001416',
    ]);
    expect(await hopNames(page, 'datapath-in')).toEqual(['gre-0a001416', 'table 0', 'table 3', 'table 10', `tap${ID}`]);
    await expect(page.getByTestId('datapath-out')).toContainText('dl_vlan=4 -> strip_vlan, tun_id 0x289, output gre-0a001416');
    await expect(card.locator('[data-ok="false"]')).toHaveCount(0);
    await expect(page.getByTestId('datapath-findings')).toHaveCount(0);
    // the VXLAN port of the same key maps to its own lvid and port
    await card.getByLabel('datapath port').selectOption('tap9f3cc92a-62');
    await expect(card).toContainText('local VLAN 3 ↔ vxlan 649 (0x289)');
    expect((await hopNames(page, 'datapath-out')).at(-1)).toBe('vxlan-0a00140b');
  });
});

test.describe('seed 001: the hybrid chain on a GRE network', () => {
  let stack: Stack;
  let dir: string;
  test.beforeAll(async () => {
    dir = seedBundle();
    stack = await startStack({ workerArgs: ['--no-demo', '--snapshots', dir] });
  });
  test.afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('tap -> qbr -> qvb = qvo -> br-int (lvid 4) -> patch -> br-tun -> gre-0a001416', async ({ page }) => {
    const card = await openDatapath(page, stack, `qvo${ID}`);
    await expect(card).toContainText('hybrid firewall (qbr / qvb / qvo)');
    expect((await hopNames(page, 'datapath-out')).slice(0, 4)).toEqual([`tap${ID}`, `qbr${ID}`, `qvb${ID} = qvo${ID}`, `qvo${ID}`]);
    expect((await hopNames(page, 'datapath-out')).at(-1)).toBe('gre-0a001416');
    await expect(card.locator('[data-ok="false"]')).toHaveCount(0);
    if (process.env.OVS_HOST_SCREENSHOT) await card.screenshot({ path: process.env.OVS_HOST_SCREENSHOT });
  });
});

test.describe('seed 001 with table 22 setting another tun_id for lvid 4', () => {
  let stack: Stack;
  let dir: string;
  test.beforeAll(async () => {
    dir = seedBundle((f) => {
      f['ovs1-flows-br-tun.txt'] = f['ovs1-flows-br-tun.txt']!.replace(
        'priority=1,dl_vlan=4 actions=strip_vlan,load:0x289->',
        'priority=1,dl_vlan=4 actions=strip_vlan,load:0x28a->',
      );
    });
    stack = await startStack({ workerArgs: ['--no-demo', '--snapshots', dir] });
  });
  test.afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the lvid_segment_mismatch finding, and table 22 marked', async ({ page }) => {
    const card = await openDatapath(page, stack, `qvo${ID}`);
    await expect(page.getByTestId('datapath-findings')).toContainText(
      'lvid_segment_mismatch table 22 of lvid 4 sets tun_id 650, table 3 maps gre 649 to lvid 4',
    );
    await expect(card.locator('[data-ok="false"]')).toHaveCount(1);
    await expect(card.locator('[data-ok="false"] .dp-name')).toHaveText('table 22');
  });
});
