/**
 * The OVS host page's datapath card (issue 13 item 2) on fixture snapshots loaded by the worker
 * (`--snapshots`, no capture):
 * - fixtures/gre-ovs `1-gre-and-vxlan` as captured: ovs1's GRE port, its tap on br-int
 *   (`firewall_driver = noop`), lvid 4, patch-tun/patch-int, br-tun tables 0, 2, 20, 22 out to
 *   `gre-0a001416` and back through tables 3 and 10, lvid 4 <-> GRE key 649 agreeing;
 * - the seed 001 path as the lab captured it (fixtures/gre-hybrid `1-hybrid`, `lab up --gre
 *   --hybrid`): ovs1's GRE port behind the hybrid firewall's chain (tap on qbr, qvb <-> qvo, qvo on
 *   br-int), lvid 2 <-> GRE key 649 out to `gre-0a001416`; and a copy whose table 22 sets another
 *   tun_id for lvid 2 (the lvid_segment_mismatch finding).
 * `OVS_HOST_SCREENSHOT=<path>` also writes the seed 001 page's screenshot (docs/ovs-host.png).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { type Stack, root, startStack } from '../stack';

const STEP = path.join(root, 'fixtures', 'gre-ovs', '1-gre-and-vxlan');
const ID = '1d015803-95';

/** seed 001 on the lab: GRE and VXLAN on OVS hosts with `firewall_driver = iptables_hybrid`. */
const HYBRID_STEP = path.join(root, 'fixtures', 'gre-hybrid', '1-hybrid');
/** ovs1's GRE VM port in HYBRID_STEP (br-int tag 2; its VXLAN one is 4ef489f4-3f, tag 1). */
const GRE_ID = '79f93f88-7a';

/** A copy of the gre-hybrid step with `edit` applied to its files. */
function hybridBundle(edit: (files: Record<string, string>) => void): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'l2scope-seed001-'));
  const files: Record<string, string> = {};
  for (const f of readdirSync(HYBRID_STEP)) files[f] = readFileSync(path.join(HYBRID_STEP, f), 'utf8');
  edit(files);
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

test.describe('seed 001: the hybrid chain on a GRE network, as the lab captured it', () => {
  let stack: Stack;
  test.beforeAll(async () => {
    stack = await startStack({ workerArgs: ['--no-demo', '--snapshots', HYBRID_STEP] });
  });
  test.afterAll(async () => {
    await stack?.stop();
  });

  test('tap -> qbr -> qvb = qvo -> br-int (lvid 2) -> patch -> br-tun -> gre-0a001416', async ({ page }) => {
    const card = await openDatapath(page, stack, `qvo${GRE_ID}`);
    await expect(card).toContainText('hybrid firewall (qbr / qvb / qvo)');
    await expect(card).toContainText('local VLAN 2 ↔ gre 649 (0x289)');
    expect((await hopNames(page, 'datapath-out')).slice(0, 4)).toEqual([`tap${GRE_ID}`, `qbr${GRE_ID}`, `qvb${GRE_ID} = qvo${GRE_ID}`, `qvo${GRE_ID}`]);
    expect((await hopNames(page, 'datapath-out')).at(-1)).toBe('gre-0a001416');
    await expect(card.locator('[data-ok="false"]')).toHaveCount(0);
    await expect(page.getByTestId('datapath-findings')).toHaveCount(0);
    if (process.env.OVS_HOST_SCREENSHOT) await card.screenshot({ path: process.env.OVS_HOST_SCREENSHOT });
  });
});

test.describe('seed 001 with table 22 setting another tun_id for lvid 2', () => {
  let stack: Stack;
  let dir: string;
  test.beforeAll(async () => {
    dir = hybridBundle((f) => {
      const flows = f['ovs1-flows-br-tun.txt']!;
      const edited = flows.replace('priority=1,dl_vlan=2 actions=strip_vlan,load:0x289->', 'priority=1,dl_vlan=2 actions=strip_vlan,load:0x28a->');
      if (edited === flows) throw new Error("ovs1's table 22 flow of lvid 2 is not in the fixture");
      f['ovs1-flows-br-tun.txt'] = edited;
    });
    stack = await startStack({ workerArgs: ['--no-demo', '--snapshots', dir] });
  });
  test.afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the lvid_segment_mismatch finding, and table 22 marked', async ({ page }) => {
    const card = await openDatapath(page, stack, `qvo${GRE_ID}`);
    await expect(page.getByTestId('datapath-findings')).toContainText(
      'lvid_segment_mismatch table 22 of lvid 2 sets tun_id 650, table 3 maps gre 649 to lvid 2',
    );
    await expect(card.locator('[data-ok="false"]')).toHaveCount(1);
    await expect(card.locator('[data-ok="false"] .dp-name')).toHaveText('table 22');
  });
});
