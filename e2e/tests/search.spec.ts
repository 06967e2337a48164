/**
 * The header search: the worker replays the real `faults` capture (lab3 with its ports up); typing
 * a port's MAC in the header search box lists the port, and Enter lands on the page of the host
 * behind its VTEP, as the domain's model of the same capture says.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { ClusterModel, decodeMessage, parseCapture } from '@l2scope/domain';
import { type Stack, root, startStack } from '../stack';

const file = `${root}/fixtures/faults.jsonl`;

/** A MAC the model holds at the end of the capture, with the host whose VTEP it is behind. */
function portOnHost(): { mac: string; host: string } {
  const model = new ClusterModel();
  let seq = 0;
  for (const r of parseCapture(readFileSync(file, 'utf8')).records) {
    const d = decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body });
    if (d.ok) model.apply(d.message, r.ts.getTime(), ++seq);
  }
  const s = model.snapshot();
  for (const v of s.vteps) {
    const host = s.hosts.find((h) => h.vtep === v.vtep && h.name);
    if (host && v.macs.length) return { mac: v.macs[0]!, host: host.id };
  }
  throw new Error('no port in the capture');
}

let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ workerArgs: ['--replay', file, '--speed', '0'] });
});
test.afterAll(async () => {
  await stack?.stop();
});

test('typing a MAC lands on the host page of its port', async ({ page }) => {
  const { mac, host } = portOnHost();
  await page.goto(stack.webUrl);
  const box = page.getByTestId('header-search');
  await box.fill(mac.toUpperCase());
  const hit = page.getByTestId('search-hit-port').first();
  await expect(hit).toContainText(mac);
  await expect(hit).toContainText(host);
  await box.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/hosts/${host}\\?mac=`));
  await expect(page.getByRole('heading', { level: 1, name: host })).toBeVisible();
});

test('the arrow keys choose among hosts found by prefix', async ({ page }) => {
  await page.goto(stack.webUrl);
  const box = page.getByTestId('header-search');
  await box.fill('comp');
  await expect(page.getByTestId('search-hit-host')).toHaveCount(2);
  await box.press('ArrowDown');
  await box.press('Enter');
  await expect(page).toHaveURL(/\/hosts\/compute2$/);
});
