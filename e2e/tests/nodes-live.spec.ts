/**
 * The node view live, end to end on the real broker: neutron-server's real lab3 casts are published
 * on Neutron's exchanges step by step while the test plays the node agents with the lab's real
 * kernel snapshots. The open pages follow without reload: when the ports come up the host page
 * goes from "nothing told" to every row held, and each cast -> kernel entry is measured as a
 * convergence sample (lag per host on the overview and the host page).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { parseCapture, toCaptureLine } from '@l2scope/domain';
import { replayToBroker } from '@l2scope/worker';
import { bundleSnapshots, nodePublisher, stepUntil } from '../nodes';
import { type Stack, root, startStack } from '../stack';

const HOSTS = ['compute1', 'compute2', 'controller'];
const LIVE = { timeout: 20_000 };
const records = parseCapture(readFileSync(path.join(root, 'fixtures/lab3.jsonl'), 'utf8')).records;
const at = (step: string) => Number(stepUntil('lab3', step)) * 1000;

/** A capture file with the records captured in [from, to). */
function slice(from: number, to: number): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'l2scope-e2e-')), 'slice.jsonl');
  writeFileSync(
    file,
    records
      .filter((r) => r.ts.getTime() >= from && r.ts.getTime() < to)
      .map(toCaptureLine)
      .join('\n'),
  );
  return file;
}

/** Hosts for which the worker's convergence tracker waits for told entries (`GET /api/nodes`), sorted. */
async function pendingHosts(s: Stack): Promise<string[]> {
  const r = await s.workerApi<{ convergence?: { host: string; pending: number }[] } | null>('/api/nodes');
  return (r?.convergence ?? [])
    .filter((c) => c.pending > 0)
    .map((c) => c.host)
    .sort();
}

let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ amqp: true, nodeAmqp: true });
});
test.afterAll(async () => {
  await stack?.stop();
});

test('ports come up: the open host page and overview follow live, with per-host convergence lags', async ({ page, context }) => {
  const url = stack.vhost!.adminUrl;
  const nodes = await nodePublisher(stack.nodeAgents);
  try {
    // the agents restarted (no port yet) and their node agents report
    await replayToBroker({ file: slice(0, at('0-agents-restarted')), url, speed: 0 });
    await nodes.snapshots(bundleSnapshots('lab3', '0-agents-restarted', 1));
    const overview = await context.newPage();
    await overview.goto(`${stack.webUrl}/overview`);
    await expect(overview.getByTestId('overview-host-row')).toHaveCount(3, LIVE);
    await page.goto(`${stack.webUrl}/hosts/compute1`);
    await expect(page.getByTestId('host-mode')).toHaveAttribute('data-l2pop', 'on', LIVE);
    await expect(page.getByTestId('fdb-row')).toHaveCount(0);

    // the three VM ports come up: casts, then the kernels hold the entries
    await replayToBroker({ file: slice(at('0-agents-restarted'), at('1-ports-active')), url, speed: 0 });
    // the worker applied the casts (each host now waits for the entries it was told) before the kernels report them
    await expect.poll(() => pendingHosts(stack), LIVE).toEqual(HOSTS);
    await nodes.snapshots(bundleSnapshots('lab3', '1-ports-active', 2));

    const rows = page.getByTestId('fdb-row');
    await expect(rows).toHaveCount(4, LIVE);
    await expect(page.locator('[data-testid="fdb-row"]:not([data-status="both"])')).toHaveCount(0, LIVE);
    await expect(page.getByTestId('drift-item')).toHaveCount(0);
    const conv = page.getByTestId('convergence-compute1');
    await expect(conv).not.toHaveAttribute('data-samples', '0', LIVE);
    expect(Number(await conv.getAttribute('data-max'))).toBeLessThan(60_000);
    await expect(page.getByTestId('convergence-samples').locator('tbody tr').first()).toBeVisible(LIVE);

    for (const h of HOSTS) {
      const c = overview.getByTestId(`convergence-${h}`);
      await expect(c).not.toHaveAttribute('data-samples', '0', LIVE);
      await expect(c).toContainText('p95');
    }
    await expect(overview.getByTestId('nodes-status')).toHaveAttribute('data-drift', '0');
    await expect(overview.getByTestId('node-refusals')).toHaveCount(0);

    // compute2's snapshot, published by compute1's agent on its own routing key: refused and counted, live
    const forged = bundleSnapshots('lab3', '1-ports-active', 3).find((s) => s.host === 'compute2')!;
    await nodes.raw('compute1', 'snapshot', forged);
    await expect(overview.getByTestId('node-refusals')).toHaveAttribute('data-count', '1', LIVE);
    await expect(overview.getByTestId('node-refusals')).toContainText('1 host_mismatch');
    await expect(overview.getByTestId('nodes-status')).toHaveAttribute('data-refused', '1');
    await overview.reload();
    await expect(overview.getByTestId('node-refusals')).toHaveAttribute('data-count', '1', LIVE);
  } finally {
    await nodes.close();
  }
});
