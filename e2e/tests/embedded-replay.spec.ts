/**
 * The embedded default (no broker): the worker replays the bundled real lab3 capture in-process.
 * Stopped at lab3's "2-after-ping" snapshot, while the three VM ports exist.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { parseCapture } from '@l2scope/domain';
import { collectInspectorRows } from '../inspector';
import { type Stack, root, startStack } from '../stack';

const UNTIL = 1795307132.9; // fixtures/lab3/events.tsv: snapshot 2-after-ping
const capture = parseCapture(readFileSync(path.join(root, 'fixtures/lab3.jsonl'), 'utf8')).records;
const replayed = capture.filter((r) => r.ts.getTime() <= UNTIL * 1000);

let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ workerArgs: ['--replay', path.join(root, 'fixtures/lab3.jsonl'), '--speed', '0', '--until', String(UNTIL)] });
});
test.afterAll(async () => {
  await stack?.stop();
});

test('topology shows the lab: three hosts with VTEP IPs, network VNI 649, every VM port MAC', async ({ page }) => {
  await page.goto(stack.webUrl);
  for (const [host, vtep] of [
    ['controller', '10.0.20.11'],
    ['compute1', '10.0.20.12'],
    ['compute2', '10.0.20.13'],
  ] as const) {
    const node = page.getByTestId(`host-${host}`);
    await expect(node).toBeVisible();
    await expect(node).toContainText(host);
    await expect(node).toContainText(vtep);
  }
  await expect(page.getByTestId('network-picker')).toContainText('649');
  for (const mac of ['fa:16:3e:f1:e6:0b', 'fa:16:3e:82:2d:00', 'fa:16:3e:aa:b5:55']) {
    await expect(page.getByTestId(`port-${mac}`)).toBeVisible();
  }
});

test('inspector lists every replayed message with its method, and opens the decoded arguments', async ({ page }) => {
  await page.goto(stack.webUrl);
  await expect(page.getByTestId('inspector-row').first()).toBeVisible();
  const rows = await collectInspectorRows(page);
  // every message, in the capture's order (ids are assigned in arrival order), with its method
  expect(rows.map((r) => r.id)).toEqual(replayed.map((_, i) => i + 1));
  const expected = replayed.map((r) => JSON.parse(JSON.parse(Buffer.from(r.body).toString())['oslo.message']).method as string);
  expect(rows.map((r) => r.method)).toEqual(expected);
  await page.locator('[data-testid="inspector-row"][data-method="add_fdb_entries"]').first().click();
  const detail = page.getByTestId('message-detail');
  await expect(detail).toBeVisible();
  await expect(detail).toContainText('fdb_entries');
  await expect(detail).toContainText('segment_id');
  await expect(detail).toContainText('00:00:00:00:00:00');
});
