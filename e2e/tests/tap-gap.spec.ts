/**
 * A broker-side disconnect of the tap (RabbitMQ closes the tap user's connections, as on a broker
 * restart or a network partition): the header shows the gap, the tap reconnects by itself, and
 * casts published after it are shown again. An agent's fanout queue keeps the auto-delete l2pop
 * fanout exchange alive meanwhile, as in a real cloud.
 */
import { expect, test } from '@playwright/test';
import { FLOOD, agentFanoutQueue, fdbArgs, neutronPublisher } from '../neutron';
import { type Stack, startStack } from '../stack';

const NET = '6a0b3c55-2222-4b2c-8d3e-0123456789cd';
const VNI = 2077;
const PORT_BEFORE: [string, string] = ['fa:16:3e:0c:00:01', '10.77.0.11'];
const PORT_AFTER: [string, string] = ['fa:16:3e:0c:00:02', '10.77.0.12'];

let stack: Stack;
test.beforeAll(async () => {
  stack = await startStack({ amqp: true });
});
test.afterAll(async () => {
  await stack?.stop();
});

test('a broker disconnect is shown as a tap gap; the tap comes back and shows new casts', async ({ page }) => {
  const neutron = await neutronPublisher(stack.vhost!.adminUrl);
  const agent = await agentFanoutQueue(stack.vhost!.adminUrl);
  try {
    await page.goto(stack.webUrl);
    await expect(page.getByTestId('tap-status')).toHaveAttribute('data-connected', 'true', { timeout: 10_000 });
    await expect(page.getByTestId('tap-gap')).toHaveCount(0);
    await neutron.report('hv-c.dc1', '192.0.2.21');
    await neutron.fanout('add_fdb_entries', fdbArgs(NET, VNI, { '192.0.2.21': [FLOOD, PORT_BEFORE] }));
    await expect(page.getByTestId(`port-${PORT_BEFORE[0]}`)).toBeVisible({ timeout: 10_000 });

    await stack.vhost!.closeConnections(stack.tapUser!);
    const gap = page.getByTestId('tap-gap');
    await expect(gap).toBeVisible({ timeout: 10_000 });
    // reconnected (backoff starts at about a second): the gap is closed and stays listed
    await expect(page.getByTestId('tap-status')).toHaveAttribute('data-connected', 'true', { timeout: 20_000 });
    await expect(gap).toContainText('Tap gap', { timeout: 10_000 });
    await expect(gap).toHaveAttribute('title', /→ \d/);

    await neutron.fanout('add_fdb_entries', fdbArgs(NET, VNI, { '192.0.2.21': [PORT_AFTER] }));
    await expect(page.getByTestId(`port-${PORT_AFTER[0]}`)).toBeVisible({ timeout: 5_000 });
  } finally {
    await agent.close();
    await neutron.close();
  }
});
