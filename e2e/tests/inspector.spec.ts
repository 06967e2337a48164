/**
 * The message inspector on a real capture republished onto the broker: filters, undecodable rows,
 * pause/resume, the decoded tree and raw body, and the JSONL export of the filtered set.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { decodeMessage, parseCapture } from '@l2scope/domain';
import { replayToBroker } from '@l2scope/worker';
import { collectInspectorRows } from '../inspector';
import { neutronPublisher } from '../neutron';
import { type Stack, root, startStack } from '../stack';

const file = path.join(root, 'fixtures/lab2.jsonl');
const records = parseCapture(readFileSync(file, 'utf8')).records;
const methodOf = (r: (typeof records)[number]) => {
  const d = decodeMessage(r);
  return d.ok ? d.message.method : 'undecodable';
};
/** What the default tap binds: l2pop casts and report_state. */
const tapped = records.filter((r) => ['add_fdb_entries', 'remove_fdb_entries', 'update_fdb_entries', 'report_state'].includes(methodOf(r)));

let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ amqp: true });
  await replayToBroker({ file, url: stack.vhost!.adminUrl, speed: 0 });
  // one undecodable message after the capture
  const neutron = await neutronPublisher(stack.vhost!.adminUrl);
  await neutron.raw('q-agent-notifier-l2population-update_fanout', '', Buffer.from('{"oslo.version": "2.0", "oslo.message": "{truncated'));
  await neutron.close();
});
test.afterAll(async () => {
  await stack?.stop();
});

test('lists every tapped message, the undecodable one marked with its error', async ({ page }) => {
  await page.goto(stack.webUrl);
  await expect(page.getByTestId('inspector-row').first()).toBeVisible();
  // "N of M": unfiltered, every stored message matches
  const all = tapped.length + 1;
  await expect(page.getByTestId('inspector-count')).toHaveText(`${all} of ${all} messages`);
  const rows = await collectInspectorRows(page);
  expect(rows.map((r) => r.method)).toEqual([...tapped.map(methodOf), 'undecodable']);
  const bad = page.locator('[data-testid="inspector-row"][data-method="undecodable"]');
  await expect(bad.getByTestId('inspector-row-error')).toContainText('invalid_json');
  await bad.click();
  await expect(page.getByTestId('message-raw')).toContainText('{truncated');
});

test('filters by method, host and free text', async ({ page }) => {
  await page.goto(stack.webUrl);
  const all = tapped.length + 1;
  await page.getByTestId('inspector-filter-method').selectOption('update_fdb_entries');
  await expect.poll(async () => (await collectInspectorRows(page)).map((r) => r.method)).toEqual(['update_fdb_entries']);
  await expect(page.getByTestId('inspector-count')).toHaveText(`1 of ${all} messages`);
  await page.getByTestId('inspector-filter-method').selectOption('');

  // the host field suggests hosts from the server as one types, and filters on a suggested one
  const host = page.getByTestId('inspector-filter-host');
  await host.fill('comp');
  const suggested = page.getByTestId('inspector-host-suggestions').locator('option');
  await expect.poll(async () => suggested.evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['compute1', 'compute2']);
  await host.fill('compute2');
  await expect.poll(async () => (await collectInspectorRows(page)).length).toBeGreaterThan(0);
  for (const row of await page.getByTestId('inspector-row').all()) await expect(row).toContainText(/compute2|10\.0\.20\.13/);
  const toCompute2 = (await collectInspectorRows(page)).length;
  await expect(page.getByTestId('inspector-count')).toHaveText(`${toCompute2} of ${all} messages`);
  await host.fill('');
  await expect(page.getByTestId('inspector-count')).toHaveText(`${all} of ${all} messages`);

  await page.getByTestId('inspector-filter-text').fill('fa:16:3e:98:b9:f6');
  const withMac = tapped.filter((r) => Buffer.from(r.body).toString().includes('fa:16:3e:98:b9:f6'));
  await expect.poll(async () => (await collectInspectorRows(page)).length).toBe(withMac.length);
});

test('pause holds new rows back and counts them; resume shows them', async ({ page }) => {
  await page.goto(stack.webUrl);
  await expect(page.getByTestId('inspector-row').first()).toBeVisible();
  await page.getByTestId('inspector-pause').click();
  const neutron = await neutronPublisher(stack.vhost!.adminUrl);
  try {
    await neutron.report('paused-host', '192.0.2.99');
    await expect(page.getByTestId('inspector-new-count')).toContainText('1');
    await expect(page.locator('[data-testid="inspector-row"]', { hasText: '192.0.2.99' })).toHaveCount(0);
    await page.getByTestId('inspector-pause').click();
    await expect(page.locator('[data-testid="inspector-row"]', { hasText: '192.0.2.99' })).toHaveCount(1);
  } finally {
    await neutron.close();
  }
});

test('opens the decoded arguments of a message', async ({ page }) => {
  await page.goto(stack.webUrl);
  await page.getByTestId('inspector-filter-method').selectOption('update_fdb_entries');
  await page.locator('[data-testid="inspector-row"][data-method="update_fdb_entries"]').first().click();
  const detail = page.getByTestId('message-detail');
  await expect(detail).toContainText('chg_ip');
  await expect(detail).toContainText('172.16.1.22');
});

test('exports the filtered set as a capture file that decodes back to the same messages', async ({ page }) => {
  await page.goto(stack.webUrl);
  await page.getByTestId('inspector-filter-method').selectOption('add_fdb_entries');
  await expect.poll(async () => (await collectInspectorRows(page)).length).toBe(18);
  const download = page.waitForEvent('download');
  await page.getByTestId('inspector-export').click();
  const text = readFileSync(await (await download).path(), 'utf8');
  const exported = parseCapture(text);
  expect(exported.errors).toEqual([]);
  const expected = tapped.filter((r) => methodOf(r) === 'add_fdb_entries');
  expect(exported.records.map((r) => Buffer.from(r.body).toString())).toEqual(expected.map((r) => Buffer.from(r.body).toString()));
  expect(exported.records.map((r) => r.routingKey)).toEqual(expected.map((r) => r.routingKey));
});
