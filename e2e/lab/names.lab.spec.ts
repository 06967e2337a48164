/**
 * Names from Neutron's API in Chromium, on the real lab (docs/neutron-api.md): the lab of 3 Linux
 * bridge hosts (Lab3) with one VM per host added after the dashboard (`npm start -- --neutron-api
 * http://127.0.0.1:9696`) started; the network page shows the network's name and every port with
 * the port id and device_id (instance) the lab's API lists, announced by l2pop; the topology's port
 * rows carry the port names. Its screenshot is docs/names.png.
 * Run with `npm -w @l2scope/e2e run e2e:lab -- names.lab` (root, Debian 12; under `flock /tmp/l2lab.lock`).
 */
import path from 'node:path';
import { type Browser, type BrowserContext, type Page, expect, test } from '@playwright/test';
import { API_URL, REPO_ROOT, listPorts } from '@l2scope/lab';
import { type Dashboard, LAB_HOSTS, ensureLab, lab, labState, startLabDashboard, stopLabDashboard } from './lab';

const log = (s: string) => console.log(`[lab-names] ${s}`);

test.describe.configure({ mode: 'serial' });

let broughtUp = false;
let dash: Dashboard | undefined;
let context: BrowserContext | undefined;
let page: Page;

test.beforeAll(async ({ browser }: { browser: Browser }) => {
  test.setTimeout(1_200_000);
  if (process.getuid?.() !== 0) throw new Error('the lab specs need root (network namespaces)');
  broughtUp = await ensureLab({ l2pop: true, arp: true }, log);
  dash = await startLabDashboard(labState().amqpUrl, ['--neutron-api', API_URL]);
  log(`dashboard ${dash.url}, database ${dash.dbUrl}`);
  // the VMs after the worker: it sees their l2pop casts
  for (const h of LAB_HOSTS) await lab('vm', 'add', '--host', h);
  context = await browser.newContext({ storageState: undefined, baseURL: dash.url });
  page = await context.newPage();
  await page.goto('/login');
  await page.getByTestId('login-name').fill(dash.admin.name);
  await page.getByTestId('login-password').fill(dash.admin.password);
  await page.getByTestId('login-submit').click();
  await expect(page).not.toHaveURL(/\/login/, { timeout: 60_000 });
});

test.afterAll(async () => {
  test.setTimeout(600_000);
  await context?.close();
  if (dash) await stopLabDashboard(dash);
  if (broughtUp) await lab('down').catch((e: Error) => console.error(e.message));
});

test("the network page names every VM port as the lab's API lists it", async () => {
  test.setTimeout(600_000);
  const s = labState();
  const ports = (await listPorts(s.networkId!)).filter((p) => p.device_owner === 'compute:nova');
  expect(ports.map((p) => p['binding:host_id']).sort()).toEqual([...LAB_HOSTS].sort());

  await page.goto(`/networks/${s.networkId}`);
  await expect(page.getByTestId('network-name')).toHaveText(/\S/, { timeout: 120_000 });
  const rows = page.getByTestId('network-port');
  // the poller reads every 60 s and the page refetches every 30 s: up to about 90 s after the VMs
  await expect(rows).toHaveCount(ports.length, { timeout: 180_000 });
  for (const p of ports) {
    const row = page.locator(`[data-testid="network-port"][data-mac="${p.mac_address}"]`);
    await expect(row).toHaveAttribute('data-port-id', p.id);
    await expect(row).toHaveAttribute('data-device-id', p.device_id);
    await expect(row).toContainText(p['binding:host_id']);
    // l2pop announced it (the model holds the MAC)
    await expect(row.locator('td').last()).toHaveText('✓', { timeout: 120_000 });
  }
  log(`named ${ports.length} ports: ${ports.map((p) => `${p.mac_address}=${p.id.slice(0, 8)}/${p.device_id.slice(0, 8)}`).join(', ')}`);
  await page.getByTestId('network-ports').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(REPO_ROOT, 'docs/names.png'), fullPage: true });

  // the topology's port rows carry the port's name and id
  await page.goto('/');
  const vm = ports[0]!;
  const portRow = page.getByTestId(`port-${vm.mac_address}`);
  await expect(portRow).toHaveAttribute('data-port-id', vm.id, { timeout: 120_000 });
  await expect(portRow.getByTestId('port-name')).toHaveText(vm.name);
});
