/**
 * The DVR page on fixtures/dvr-lab: **real** lab output (fixtures/README.md#dvr-lab). The worker
 * replays the real capture (neutron-server's `dvr_mac_address_update` with the three hosts' DVR
 * MACs in netaddr's `FA-16-3F-...` form, 7 `add_arp_entry` casts, the L2 and L3 agents'
 * report_state); the test plays the node agents of `ovs1`..`ovs3` and publishes each step's real
 * support bundles on `l2scope.node`. Step `1-dvr` (after a full ping matrix): no DVR finding. Step
 * `2-faults` (made by hand on the lab): exactly ovs1's missing br-tun t9 flow for ovs2's DVR MAC and
 * ovs2's missing static ARP entry 172.16.1.21. The page follows live (no reload).
 * `DVR_SCREENSHOT=<path>` also writes the page's screenshot at step 2 (docs/dvr.png).
 * What the lab cannot show (a malformed `add_arp_entry`, `del_arp_entry`, a stale entry, a MAC
 * mismatch, l2pop off) stays in the domain test on fixtures/dvr (packages/domain/test/dvr/dvr.test.ts).
 */
import { expect, test } from '@playwright/test';
import { bundleSnapshots, nodePublisher, stepUntil } from '../nodes';
import { type Stack, root, startStack } from '../stack';

const OVS2_DVR_MAC = 'fa:16:3f:a0:a0:fc';
const HOSTS = ['ovs1', 'ovs2', 'ovs3'];
// generous: the worker analyses and stores a snapshot within seconds, a busy machine takes longer
const LIVE = { timeout: 120_000 };

let stack: Stack;
let nodes: Awaited<ReturnType<typeof nodePublisher>>;

test.beforeAll(async () => {
  stack = await startStack({
    nodeAmqp: true,
    nodeHosts: HOSTS,
    // the capture up to the second snapshot: after 1-dvr it holds only heartbeats (report_state)
    workerArgs: ['--replay', `${root}/fixtures/dvr-lab.jsonl`, '--speed', '0', '--until', stepUntil('dvr-lab', '2-faults')],
  });
  nodes = await nodePublisher(stack.nodeAgents);
});
test.afterAll(async () => {
  await nodes?.close();
  await stack?.stop();
});

test('the real DVR lab: clean at 1-dvr, then exactly the missing DVR MAC flow and the missing static ARP entry', async ({ page }) => {
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(`${stack.webUrl}/dvr`);
  await nodes.snapshots(bundleSnapshots('dvr-lab', '1-dvr', 1));

  // every OVS host's flows hold both peers' DVR MACs and its qrouter namespace is read ...
  for (const h of HOSTS) {
    const row = page.locator(`[data-testid="dvr-host"][data-host="${h}"]`);
    await expect(row).toHaveAttribute('data-peers', '2/2', LIVE);
    await expect(row).toHaveAttribute('data-routers', '1', LIVE);
    await expect(row).toHaveAttribute('data-missing', '0');
  }
  // ... so no DVR finding at all, and every announced entry is held everywhere
  await expect(page.getByTestId('dvr-finding')).toHaveCount(0);
  await expect(page.getByTestId('dvr-arp-row')).toHaveCount(7);
  await expect(page.locator('[data-testid="dvr-arp-held"][data-ok="no"]')).toHaveCount(0);
  // the DVR MAC list came as FA-16-3F-A0-A0-FC: announced and installed agree on ovs2
  await expect(page.locator('[data-testid="dvr-host"][data-host="ovs2"]')).toContainText(OVS2_DVR_MAC);
  // the L3 agents' agent_mode, from their own report_state
  await expect(page.locator('[data-testid="dvr-host"][data-host="ovs1"]')).toHaveAttribute('data-l3-mode', 'dvr_snat');
  await expect(page.locator('[data-testid="dvr-host"][data-host="ovs2"]')).toHaveAttribute('data-l3-mode', 'dvr');
  await expect(page.locator('[data-testid="dvr-host"][data-host="ovs3"]')).toHaveAttribute('data-l3-mode', 'dvr');
  await expect(page.locator('[data-testid="dvr-host"][data-host="controller"]')).toHaveAttribute('data-l3-mode', '');

  await nodes.snapshots(bundleSnapshots('dvr-lab', '2-faults', 2));
  const findings = page.getByTestId('dvr-finding');
  await expect(findings).toHaveCount(2, LIVE);
  const flow = page.locator('[data-testid="dvr-finding"][data-kind="dvr_mac_flow_missing"]');
  await expect(flow).toHaveAttribute('data-host', 'ovs1');
  await expect(flow).toHaveAttribute('data-severity', 'error');
  await expect(flow).toContainText(`ovs2's DVR MAC ${OVS2_DVR_MAC} in br-tun t9`);
  const arp = page.locator('[data-testid="dvr-finding"][data-kind="arp_entry_missing"]');
  await expect(arp).toHaveAttribute('data-host', 'ovs2');
  await expect(arp).toHaveAttribute('data-severity', 'error');
  await expect(arp).toContainText('172.16.1.21 lladdr fa:16:3e:66:1f:8a');
  await expect(page.locator('[data-testid="dvr-host"][data-host="ovs1"]')).toHaveAttribute('data-missing', '1');
  await expect(page.locator('[data-testid="dvr-host"][data-host="ovs1"]')).toHaveAttribute('data-peers', '1/2');
  const held = page.locator('[data-testid="dvr-arp-row"][data-ip="172.16.1.21"] [data-testid="dvr-arp-held"][data-host="ovs2"]');
  await expect(held).toHaveAttribute('data-ok', 'no');
  await expect(held).toContainText('missing');
  await expect(page.locator('[data-testid="dvr-arp-held"][data-ok="no"]')).toHaveCount(1);
  if (process.env.DVR_SCREENSHOT) await page.screenshot({ path: process.env.DVR_SCREENSHOT, fullPage: true });
});

test("the host page shows the L3 agent's agent_mode beside the L2 agent that describes the host", async ({ page }) => {
  await page.goto(`${stack.webUrl}/hosts/ovs1`);
  await expect(page.getByTestId('host-l3-agent')).toHaveAttribute('data-mode', 'dvr_snat', LIVE);
  await expect(page.getByTestId('host-l3-agent')).toContainText('L3 agent: dvr_snat');
  // the host is still its Open vSwitch agent's (as analysed, or as report_state says), not the L3 agent's reporting beside it
  await expect(page.getByTestId('host-agent-type')).toContainText('Open vSwitch agent');
});
