/**
 * A dead L2 agent on every page (issue 11): the derived `agent-down` capture (fixtures/README.md:
 * ovs-node with compute2's report_state cut after 01:48:49.470Z, compute2's kernel frozen before
 * compute3 joined) replayed up to the step-9 snapshot. compute2's agent is then down and its
 * drift (compute3's entries, never applied) may be caused by it.
 *
 * The worker stamps a replayed message with the time it receives it (as a live tap does), so the
 * replay runs at 10x speed with agent_down_time and report_interval scaled alike (7.5 s, 3 s):
 * compute2's last report is then 8 s (80 s in the capture) older than the last message replayed,
 * the other hosts' at most 2.5 s. The times shown are the replay's, so only their form is checked. The overview's agent column, the host header's badge and its mode "as of last
 * report", the topology card's badge and the drift rows' link to the finding all show it; compute1
 * (alive) shows none of it.
 */
import { expect, test } from '@playwright/test';
import { replayStep } from '../nodes';
import { type Stack, startStack } from '../stack';

const ANCHOR = 'finding-agent_down-agent-compute2';

let stack: Stack;
test.beforeAll(async () => {
  const args = replayStep('agent-down', '9-compute3-joined-compute2-frozen');
  args[args.indexOf('--speed') + 1] = '10';
  stack = await startStack({ workerArgs: [...args, '--agent-down-time', '7.5', '--report-interval', '3'] });
});
test.afterAll(async () => {
  await stack?.stop();
});

test('overview: the agent column says compute2 is down and links to its open agent_down finding', async ({ page }) => {
  await page.goto(`${stack.webUrl}/overview`);
  const c2 = page.locator('[data-testid="overview-host-row"][data-host="compute2"] [data-testid="host-agent"]');
  await expect(c2).toHaveAttribute('data-alive', 'false', { timeout: 60_000 }); // the replay takes ~20 s
  await expect(c2).toContainText('down');
  for (const host of ['controller', 'compute1', 'compute3']) {
    await expect(page.locator(`[data-testid="overview-host-row"][data-host="${host}"] [data-testid="host-agent"]`)).toHaveAttribute('data-alive', 'true');
  }
  const finding = page.locator('[data-testid="finding"][data-kind="agent_down"][data-resolved="false"]');
  await expect(finding).toHaveCount(1);
  await expect(finding).toHaveAttribute('data-hosts', 'compute2');
  await expect(finding).toHaveAttribute('id', ANCHOR);
  await expect(finding).toContainText('L2 agent on compute2');
  await expect(finding).toContainText('agent_down_time (7.5 s)');
  await c2.getByTestId('host-agent-finding-link').click();
  await expect(page).toHaveURL(new RegExp(`#${ANCHOR}$`));
  await expect(finding).toBeInViewport();
});

test('host page: a down badge, the mode as of the last report, and each drift row links to the finding', async ({ page }) => {
  await page.goto(`${stack.webUrl}/hosts/compute2`);
  const badge = page.getByTestId('host-agent-badge');
  await expect(badge).toHaveAttribute('data-alive', 'false', { timeout: 60_000 });
  await expect(badge).toContainText(/agent down since \d\d:\d\d:\d\d UTC/);
  await expect(badge.getByTestId('host-agent-last-report')).toContainText('last report');
  const mode = page.getByTestId('host-mode');
  await expect(mode).toHaveAttribute('data-l2pop', 'on');
  await expect(mode).toHaveAttribute('data-as-of-last-report', 'true');
  await expect(page.getByTestId('host-mode-as-of')).toHaveText(/^as of last report \d\d:\d\d:\d\d UTC$/);

  // compute3's flood entry, unicast entry and responder neighbour: never applied by the dead agent
  const drift = page.getByTestId('drift-item');
  await expect(drift).toHaveCount(3);
  expect((await drift.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-class')))).sort()).toEqual(['missing_flood', 'missing_unicast', 'neigh_missing']);
  const causes = page.getByTestId('drift-cause');
  await expect(causes).toHaveCount(3);
  expect(await causes.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-cause')))).toEqual(Array(3).fill('agent_down/agent:compute2'));
  await causes.first().click();
  await expect(page).toHaveURL(new RegExp(`/hosts/compute2#${ANCHOR}$`));
  const card = page.locator(`#${ANCHOR}`);
  await expect(card).toHaveAttribute('data-kind', 'agent_down');
  await expect(card).toBeInViewport();

  // the header badge links to the same card
  await expect(badge.getByTestId('host-agent-down-link')).toHaveAttribute('href', `/hosts/compute2#${ANCHOR}`);
  // the mode switches warn that a switch of a down agent waits on a report_state it may never send
  await expect(page.getByTestId('mode-agent-down')).toContainText('The agent of compute2 is down');
});

test('host page of a live agent: alive, the mode as current, no cause links', async ({ page }) => {
  await page.goto(`${stack.webUrl}/hosts/compute1`);
  await expect(page.getByTestId('host-agent-badge')).toHaveAttribute('data-alive', 'true', { timeout: 60_000 });
  await expect(page.getByTestId('host-agent-badge')).toContainText('agent alive');
  await expect(page.getByTestId('host-mode')).toHaveAttribute('data-as-of-last-report', 'false');
  await expect(page.getByTestId('host-mode-as-of')).toHaveCount(0);
  await expect(page.getByTestId('drift-cause')).toHaveCount(0);
  await expect(page.getByTestId('mode-agent-down')).toHaveCount(0);
});

test("topology: compute2's card carries the agent-down badge, linked to the finding; the others do not", async ({ page }) => {
  await page.goto(stack.webUrl);
  const card = page.getByTestId('host-compute2');
  await expect(card).toHaveAttribute('data-agent-down', 'true', { timeout: 60_000 });
  const mark = page.getByTestId('host-agent-down-compute2');
  await expect(mark).toContainText(/agent down since \d\d:\d\d:\d\d UTC/);
  await expect(mark).toHaveAttribute('href', `/hosts/compute2#${ANCHOR}`);
  for (const host of ['controller', 'compute1', 'compute3', 'ovs1']) await expect(page.getByTestId(`host-${host}`)).toHaveAttribute('data-agent-down', 'false');
  await expect(page.locator('[data-testid^="host-agent-down-"]')).toHaveCount(1);
  await mark.click();
  await expect(page).toHaveURL(new RegExp(`/hosts/compute2#${ANCHOR}$`));
  await expect(page.locator(`#${ANCHOR}`)).toBeVisible();
});
