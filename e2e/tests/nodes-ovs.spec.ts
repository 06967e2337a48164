/**
 * ovs-node: three Linux bridge hosts and ovs1 running the Open vSwitch agent. Step 3 (Lab3): ovs1's
 * br-tun flows (tables 20/21/22) are read into the same model as the kernels' FDB: its host page
 * lists them as its held rows, all as told, and its flood list is the three Linux bridge VTEPs.
 * Step 9: compute3 joins while ovs1's new tunnel port uses UDP 4789: a udp_port_mismatch finding.
 */
import { expect, test } from '@playwright/test';
import { replayStep } from '../nodes';
import { type Stack, startStack } from '../stack';

const LB = ['10.0.20.11', '10.0.20.12', '10.0.20.13'];

test.describe('step 3: Lab3 with an OVS host', () => {
  let stack: Stack;
  test.beforeAll(async () => {
    stack = await startStack({ workerArgs: replayStep('ovs-node', '3-lab3') });
  });
  test.afterAll(async () => {
    await stack?.stop();
  });

  test('ovs1: br-tun flows as its actual FDB and responder, all as told; flood list = the three Linux bridge VTEPs', async ({ page }) => {
    await page.goto(`${stack.webUrl}/hosts/ovs1`);
    const mode = page.getByTestId('host-mode');
    await expect(mode).toHaveAttribute('data-l2pop', 'on', { timeout: 20_000 });
    await expect(mode).toHaveAttribute('data-arp', 'on');
    await expect(page.getByTestId('host-page')).toContainText('Open vSwitch agent');
    const flood = page.getByTestId('flood-list');
    await expect(flood).toHaveAttribute('data-actual', LB.join(','));
    await expect(flood).toHaveAttribute('data-ideal', LB.join(','));
    await expect(flood).toHaveAttribute('data-missing', '');
    await expect(flood).toHaveAttribute('data-excess', '');
    // three flood outputs (table 22) and three unicast flows (table 20), each held as told
    const rows = page.getByTestId('fdb-row');
    await expect(rows).toHaveCount(6);
    expect(await rows.evaluateAll((rs) => rs.every((r) => r.getAttribute('data-status') === 'both'))).toBe(true);
    const floodTo = await page
      .locator('[data-testid="fdb-row"][data-mac="00:00:00:00:00:00"]')
      .evaluateAll((rs) => rs.map((r) => r.getAttribute('data-actual-vtep')));
    expect(floodTo.sort()).toEqual(LB);
    await expect(page.getByTestId('fdb-table')).toContainText('table=22');
    await expect(page.getByTestId('fdb-table')).toContainText('table=20');
    await expect(page.getByTestId('neigh-table')).toContainText('table=21');
    expect(await page.getByTestId('neigh-row').evaluateAll((rs) => rs.length > 0 && rs.every((r) => r.getAttribute('data-status') === 'both'))).toBe(true);
    await expect(page.getByTestId('ovs-tunnel-ports')).toContainText('vxlan-0a00140b');
    await expect(page.getByTestId('drift-item')).toHaveCount(0);
  });

  test('the Linux bridge hosts flood to ovs1 like to each other', async ({ page }) => {
    await page.goto(`${stack.webUrl}/hosts/controller`);
    await expect(page.getByTestId('flood-list')).toHaveAttribute('data-actual', '10.0.20.12,10.0.20.13,10.0.20.21', { timeout: 20_000 });
    await expect(page.getByTestId('drift-item')).toHaveCount(0);
  });
});

test.describe('step 9: UDP port mismatch', () => {
  let stack: Stack;
  test.beforeAll(async () => {
    stack = await startStack({ workerArgs: replayStep('ovs-node', '9-compute3-joined') });
  });
  test.afterAll(async () => {
    await stack?.stop();
  });

  test('a udp_port_mismatch finding names ovs1 and compute3', async ({ page }) => {
    await page.goto(`${stack.webUrl}/overview`);
    const f = page.locator('[data-testid="finding"][data-resolved="false"][data-kind="udp_port_mismatch"]');
    await expect(f).toHaveCount(1, { timeout: 20_000 });
    const hosts = (await f.getAttribute('data-hosts'))!.split(',');
    expect(hosts).toContain('ovs1');
    expect(hosts).toContain('compute3');
    await expect(f).toContainText('4789');
  });
});
