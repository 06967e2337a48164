/**
 * BUM meter reports (Lab2: l2pop without ARP responder, so ARP requests cross the tunnel as
 * head-end replicated broadcasts). The reports are metered by the domain's BumMeter from the lab's
 * real underlay captures (fixtures/bum/lab2) and published as the node agents do (`bum.<host>`).
 * The host page lists them per VNI and remote VTEP, the topology's flood edges carry the rate, the
 * network matrix shows it per (sender, recipient).
 */
import { expect, test } from '@playwright/test';
import { type BumReport, bumTotal } from '@l2scope/domain';
import { bumReportOf, nodePublisher, replayStep, analysedNetwork } from '../nodes';
import { type Stack, startStack } from '../stack';

const VTEPS = { controller: '10.0.20.11', compute1: '10.0.20.12' } as const;
const LIVE = { timeout: 15_000 };

let stack: Stack;
const reports: Record<string, BumReport> = {};
let network = '';

/** BUM frames/s `host` sent to (`tx`) or received from (`rx`) `remote` on VNI 649, as its report says. */
function rate(host: keyof typeof VTEPS, remote: string, direction: 'tx' | 'rx'): number {
  const r = reports[host]!;
  const n = r.flows.filter((f) => f.vni === 649 && f.remoteVtep === remote && f.direction === direction).reduce((s, f) => s + bumTotal(f), 0);
  return n / r.seconds;
}
const txRate = (host: keyof typeof VTEPS, remote: string) => rate(host, remote, 'tx');

test.beforeAll(async () => {
  stack = await startStack({ nodeAmqp: true, workerArgs: replayStep('lab2', '2-after-ping') });
  const pub = await nodePublisher(stack.nodeAgents);
  try {
    for (const [host, vtep] of Object.entries(VTEPS)) {
      reports[host] = bumReportOf('fixtures/bum/lab2', host, vtep);
      await pub.bum(reports[host]);
    }
  } finally {
    await pub.close();
  }
  network = await analysedNetwork(stack);
});
test.afterAll(async () => {
  await stack?.stop();
});

test('host page: BUM counters per VNI and remote VTEP, ARP included', async ({ page }) => {
  expect(txRate('compute1', VTEPS.controller)).toBeGreaterThan(0);
  await page.goto(`${stack.webUrl}/hosts/compute1`);
  const flows = page.getByTestId('bum-flow');
  await expect(flows).toHaveCount(reports.compute1!.flows.length, LIVE);
  for (const f of reports.compute1!.flows) {
    const row = page.locator(`[data-testid="bum-flow"][data-vni="${f.vni}"][data-remote="${f.remoteVtep}"][data-direction="${f.direction}"]`);
    await expect(row).toHaveAttribute('data-arp', String(f.arp));
    await expect(row).toHaveAttribute('data-bum', String(bumTotal(f)));
  }
  await expect(page.locator('[data-testid="bum-flow"][data-remote="10.0.20.11"][data-direction="tx"]')).toContainText('controller');
});

test('topology: flood edges carry the measured BUM rate; the network matrix shows it per sender and recipient', async ({ page }) => {
  await page.goto(stack.webUrl);
  const edge = page.getByTestId(`edge-flood-${network}-${VTEPS.compute1}-${VTEPS.controller}`);
  await expect(edge).toHaveAttribute('data-bum-fps', txRate('compute1', VTEPS.controller).toFixed(3), LIVE);
  // measured, and none sent that way: still, rate 0
  await expect(page.getByTestId(`edge-flood-${network}-${VTEPS.controller}-${VTEPS.compute1}`)).toHaveAttribute(
    'data-bum-fps',
    txRate('controller', VTEPS.compute1).toFixed(3),
  );
  // compute2 has no meter: what compute1 received from it
  await expect(page.getByTestId(`edge-flood-${network}-10.0.20.13-${VTEPS.compute1}`)).toHaveAttribute(
    'data-bum-fps',
    rate('compute1', '10.0.20.13', 'rx').toFixed(3),
  );

  await page.goto(`${stack.webUrl}/networks/${network}`);
  const cell = page.locator(`[data-testid="flood-cell"][data-host="compute1"][data-vtep="${VTEPS.controller}"]`);
  await expect(cell).toHaveAttribute('data-state', 'both', LIVE);
  await expect(cell.getByTestId('flood-cell-rate')).toHaveAttribute('data-bum-fps', txRate('compute1', VTEPS.controller).toFixed(3));
});
