/**
 * The documentation's screenshots of a small cloud (`npm run screenshots`, not part of `npm test`):
 * docs/topology.png, docs/inspector.png, docs/overview.png, docs/host.png and docs/network.png.
 *
 * The real `faults` capture (fixtures/faults.jsonl: the lab's three Linux bridge hosts, VNI 649,
 * l2pop and ARP responder on) is replayed into a fresh stack; the node agents' side is the real
 * kernel snapshots of that lab run, published as each host's node agent over the broker: the
 * baseline, then two faults held at once (controller's flood entry toward compute1 deleted, step 1;
 * a stale MAC on compute1, step 3), and the BUM reports metered from the lab's underlay
 * captures of controller and compute1 (fixtures/bum/lab3). So the pictures show drift of two classes, a missing flood
 * recipient and measured BUM rates, as an operator would see them. Each picture is taken once the
 * page shows that state (waits on the page, never on time).
 */
import path from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { analysedNetwork, bumReportOf, bundleSnapshots, nodePublisher, stepUntil } from '../nodes';
import { type Stack, root, startStack } from '../stack';

const VTEPS = { controller: '10.0.20.11', compute1: '10.0.20.12', compute2: '10.0.20.13' } as const;
const STATE = { timeout: 60_000 };

let stack: Stack;
let network = '';

test.beforeAll(async () => {
  stack = await startStack({
    nodeAmqp: true,
    workerArgs: ['--replay', `${root}/fixtures/faults.jsonl`, '--speed', '0', '--until', stepUntil('faults', '12-undone-learned')],
  });
  const nodes = await nodePublisher(stack.nodeAgents);
  try {
    await nodes.snapshots(bundleSnapshots('faults', '0-baseline', 1));
    network = await analysedNetwork(stack);
    await nodes.snapshots(bundleSnapshots('faults', '1-fault-flood-deleted', 2));
    await nodes.snapshots(bundleSnapshots('faults', '3-fault-stale-mac', 3).filter((s) => s.host === 'compute1'));
    // the lab captured the underlay of two of the three hosts
    for (const host of ['controller', 'compute1'] as const) await nodes.bum(bumReportOf('fixtures/bum/lab3', host, VTEPS[host]));
  } finally {
    await nodes.close();
  }
});
test.afterAll(async () => {
  await stack?.stop();
});

/** Screenshot once the live socket is connected (the header says "Live", not "Connecting…": data-state connected). */
async function shot(page: Page, name: string): Promise<void> {
  await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'connected', STATE);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(root, 'docs', name) });
}

test('topology and inspector', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(stack.webUrl);
  for (const host of Object.keys(VTEPS)) await expect(page.getByTestId(`host-${host}`)).toBeVisible(STATE);
  await expect(page.getByTestId('host-drift-badge-controller')).toHaveAttribute('data-count', '1', STATE);
  await expect(page.getByTestId('host-drift-badge-compute1')).toHaveAttribute('data-count', '1', STATE);
  await expect(page.getByTestId(`edge-missing-${network}-${VTEPS.controller}-${VTEPS.compute1}`)).toBeAttached(STATE);
  await expect(page.getByTestId('inspector-row').first()).toBeVisible(STATE);
  // the cards laid out and the view fitted to them
  await page.waitForFunction(() => performance.getEntriesByName('l2scope:topology-drawn').length > 0, undefined, STATE);
  await expect(page.getByTestId('host-controller')).toBeInViewport();
  await shot(page, 'topology.png');

  await page.locator('[data-testid="inspector-row"][data-method="add_fdb_entries"]').first().click();
  await expect(page.getByTestId('message-detail')).toBeVisible();
  await shot(page, 'inspector.png');
});

test('overview, host page and network page', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(`${stack.webUrl}/overview`);
  await expect(page.getByTestId('drift-count-missing_flood')).toHaveAttribute('data-count', '1', STATE);
  await expect(page.getByTestId('drift-count-stale_entry')).toHaveAttribute('data-count', '1', STATE);
  await expect(page.getByTestId('overview-host-row')).toHaveCount(3);
  await shot(page, 'overview.png');

  await page.goto(`${stack.webUrl}/hosts/controller`);
  await expect(page.getByTestId('drift-item')).toHaveCount(1, STATE);
  await expect(page.getByTestId('flood-list')).toHaveAttribute('data-missing', VTEPS.compute1);
  await shot(page, 'host.png');

  await page.goto(`${stack.webUrl}/networks/${network}`);
  await expect(page.locator('[data-testid="flood-cell"][data-host="controller"]').first()).toBeVisible(STATE);
  await shot(page, 'network.png');
});
