/**
 * Live path on the real broker: neutron-server's casts published onto the real exchanges of an
 * isolated vhost reach the browser within 2 s (topology and inspector), and a remove takes the
 * port away again.
 */
import { expect, test } from '@playwright/test';
import { FLOOD, fdbArgs, neutronPublisher } from '../neutron';
import { type Stack, startStack } from '../stack';

const NET = '4d5e7a10-1111-4a1b-9c2d-0123456789ab';
const VNI = 1042;
const HOSTS = { 'hv-a.dc1': '192.0.2.11', 'hv-b.dc1': '192.0.2.12' } as const;
const PORT_A: [string, string] = ['fa:16:3e:0a:00:01', '10.42.0.11'];
const PORT_B: [string, string] = ['fa:16:3e:0b:00:01', '10.42.0.12'];

let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ amqp: true });
});
test.afterAll(async () => {
  await stack?.stop();
});

test('an add_fdb_entries on the broker shows the port and the message within 2 s; the remove takes it away', async ({ page }) => {
  const neutron = await neutronPublisher(stack.vhost!.adminUrl);
  try {
    await page.goto(stack.webUrl);
    await expect(page.getByTestId('live-status')).toHaveAttribute('data-state', 'connected');
    await expect(page.getByTestId('tap-status')).toHaveAttribute('data-connected', 'true');
    // set-up (not timed): agents report in, a first port is up on hv-a, the dashboard has drawn them
    for (const [host, vtep] of Object.entries(HOSTS)) await neutron.report(host, vtep);
    await neutron.fanout('add_fdb_entries', fdbArgs(NET, VNI, { [HOSTS['hv-a.dc1']]: [FLOOD, PORT_A] }));
    await expect(page.getByTestId('host-hv-a.dc1')).toContainText('192.0.2.11', { timeout: 10_000 });
    await expect(page.getByTestId('host-hv-b.dc1')).toContainText('192.0.2.12');
    await expect(page.getByTestId(`port-${PORT_A[0]}`)).toBeVisible();

    // a new port on hv-b: fanout to all, host-directed full FDB to hv-b
    const t0 = Date.now();
    await neutron.fanout('add_fdb_entries', fdbArgs(NET, VNI, { [HOSTS['hv-b.dc1']]: [FLOOD, PORT_B] }));
    await neutron.directed('hv-b.dc1', 'add_fdb_entries', fdbArgs(NET, VNI, { [HOSTS['hv-a.dc1']]: [FLOOD, PORT_A] }));
    await expect(page.getByTestId(`port-${PORT_B[0]}`)).toBeVisible({ timeout: 2_000 });
    const row = page.locator(`[data-testid="inspector-row"][data-method="add_fdb_entries"]`, { hasText: 'hv-b.dc1' });
    await expect(row.first()).toBeVisible({ timeout: 2_000 });
    expect(Date.now() - t0).toBeLessThan(2_500);

    // the port goes down: its entries are removed (flood too: it was hv-b's last port)
    await neutron.fanout('remove_fdb_entries', fdbArgs(NET, VNI, { [HOSTS['hv-b.dc1']]: [FLOOD, PORT_B] }));
    await expect(page.getByTestId(`port-${PORT_B[0]}`)).toHaveCount(0, { timeout: 2_000 });
    await expect(page.locator('[data-testid="inspector-row"][data-method="remove_fdb_entries"]').first()).toBeVisible({ timeout: 2_000 });
    // the other port is still there
    await expect(page.getByTestId(`port-${PORT_A[0]}`)).toBeVisible();
  } finally {
    await neutron.close();
  }
});
