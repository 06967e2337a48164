/**
 * Faults made by hand on the real lab's kernels (fixtures/faults, Lab3), one per step, each undone
 * in the next step. The worker replays the real l2pop capture; the test plays the node agents and
 * publishes each step's real kernel snapshots on `l2scope.node`. The open pages follow live (no
 * reload): each fault is flagged with its class, the host, the MAC / VTEP and the row highlighted,
 * and cleared when undone. Then history: the host page and the overview as of T (`?at=`, the
 * slider moved with the keyboard), the topology as of T (drift badges, flood edges) and "Changes
 * between T1 and T2" (`?to=`). compute1's node agent also sends BUM reports, metered from real
 * underlay captures: Lab2's (ARP crossing the tunnel) before step 1, Lab3's (none) after step 2;
 * as of step 1 the overview and the topology show Lab2's rates.
 * `HISTORY_SCREENSHOT=<path>` also writes the overview as of the oldest message (docs/history.png).
 */
import { type Page, expect, test } from '@playwright/test';
import { type BumReport, bumTotal } from '@l2scope/domain';
import { bumReportOf, bundleSnapshots, nodePublisher, stepUntil, analysedNetwork } from '../nodes';
import { type Stack, root, startStack } from '../stack';

type Step =
  | '0-baseline'
  | '1-fault-flood-deleted'
  | '2-undone-flood'
  | '3-fault-stale-mac'
  | '4-undone-stale-mac'
  | '5-fault-neigh-deleted'
  | '6-undone-neigh'
  | '7-fault-wrong-vtep'
  | '8-undone-wrong-vtep'
  | '9-fault-neigh-wrong-unicast-deleted'
  | '10-undone-neigh-unicast'
  | '11-fault-learned-unknown-mac'
  | '12-undone-learned';
const LIVE = { timeout: 15_000 };
/** compute1's BUM reports: Lab2's (no ARP responder: ARP broadcasts cross the tunnel) before step 1, Lab3's after step 2. */
const BUM = { early: bumReportOf('fixtures/bum/lab2', 'compute1', '10.0.20.12'), late: bumReportOf('fixtures/bum/lab3', 'compute1', '10.0.20.12') };
/** BUM frames/s a report says its host sent (to `remote` on VNI 649, or in all), as the page prints `data-bum-fps`. */
function txFps(r: BumReport, remote?: string): string {
  const n = r.flows
    .filter((f) => f.direction === 'tx' && (remote === undefined || (f.vni === 649 && f.remoteVtep === remote)))
    .reduce((a, f) => a + bumTotal(f), 0);
  return (n / r.seconds).toFixed(3);
}

let stack: Stack;
let nodes: Awaited<ReturnType<typeof nodePublisher>>;
let seq = 0;
let network = '';
/** Times (ISO-8601) the history tests read back: before the stack started (nothing stored), before step 1, while its fault was held, after step 2 undid it. */
const times = { start: '', before: '', fault: '', undone: '' };

async function publishStep(step: Step): Promise<void> {
  seq++;
  await nodes.snapshots(bundleSnapshots('faults', step, seq));
}

/** Every FDB / neighbour row of the open host page is held as told, and no drift item is listed. */
async function expectClean(page: Page): Promise<void> {
  await expect(page.getByTestId('drift-item')).toHaveCount(0, LIVE);
  await expect(page.getByTestId('foreign-mac')).toHaveCount(0, LIVE);
  await expect(page.getByTestId('host-drift-total')).toHaveAttribute('data-count', '0');
  await expect(page.locator('[data-testid="fdb-row"]:not([data-status="both"])')).toHaveCount(0);
  await expect(page.locator('[data-testid="neigh-row"]:not([data-status="both"])')).toHaveCount(0);
  await expect(page.getByTestId('fdb-row')).toHaveCount(4);
}

async function openHost(page: Page, host: string): Promise<void> {
  await page.goto(`${stack.webUrl}/hosts/${host}`);
  await expect(page.getByTestId('host-mode')).toHaveAttribute('data-l2pop', 'on', LIVE);
  await expectClean(page);
}

test.beforeAll(async () => {
  times.start = new Date().toISOString();
  stack = await startStack({
    nodeAmqp: true,
    workerArgs: ['--replay', `${root}/fixtures/faults.jsonl`, '--speed', '0', '--until', stepUntil('faults', '12-undone-learned')],
  });
  nodes = await nodePublisher(stack.nodeAgents);
  await publishStep('0-baseline');
  network = await analysedNetwork(stack);
});
test.afterAll(async () => {
  await nodes?.close();
  await stack?.stop();
});

test('step 1: a deleted flood entry is missing_flood on controller, toward compute1’s VTEP, on every view; step 2 clears it', async ({ page, context }) => {
  const overview = await context.newPage();
  await overview.goto(`${stack.webUrl}/overview`);
  await expect(overview.getByTestId('drift-count-missing_flood')).toHaveAttribute('data-count', '0', LIVE);
  const topo = await context.newPage();
  await topo.goto(stack.webUrl);
  await expect(topo.getByTestId('host-drift-badge-controller')).toHaveAttribute('data-count', '0', LIVE);
  await openHost(page, 'controller');
  // compute1's BUM report of before the fault, stored once the live overview shows it
  await nodes.bum(BUM.early);
  await expect(overview.locator('[data-testid="overview-host-row"][data-host="compute1"] [data-testid="host-bum-tx"]')).toHaveAttribute(
    'data-bum-fps',
    txFps(BUM.early),
    LIVE,
  );
  times.before = new Date().toISOString();

  await publishStep('1-fault-flood-deleted');
  const item = page.getByTestId('drift-item');
  await expect(item).toHaveCount(1, LIVE);
  await expect(item).toHaveAttribute('data-class', 'missing_flood');
  await expect(item).toHaveAttribute('data-vtep', '10.0.20.12');
  await expect(item).toContainText('10.0.20.12');
  const row = page.locator('[data-testid="fdb-row"][data-mac="00:00:00:00:00:00"][data-vtep="10.0.20.12"]');
  await expect(row).toHaveAttribute('data-status', 'expected-only');
  await expect(row).toHaveAttribute('data-tone', 'bad');
  await expect(page.getByTestId('flood-list')).toHaveAttribute('data-missing', '10.0.20.12');
  times.fault = new Date().toISOString();
  // the overview counts it, the topology draws the missing recipient
  await expect(overview.getByTestId('drift-count-missing_flood')).toHaveAttribute('data-count', '1', LIVE);
  await expect(overview.getByTestId('flood-count-missing')).toHaveAttribute('data-count', '1');
  await overview.getByTestId('drift-count-missing_flood').click();
  await expect(overview.getByTestId('overview-host-row')).toHaveCount(1);
  await expect(overview.getByTestId('overview-host-row')).toHaveAttribute('data-host', 'controller');
  await expect(topo.getByTestId('host-drift-badge-controller')).toHaveAttribute('data-count', '1', LIVE);
  await expect(topo.getByTestId('host-drift-badge-controller')).toHaveAttribute('data-worst', 'missing_flood');
  await expect(topo.getByTestId(`edge-missing-${network}-10.0.20.11-10.0.20.12`)).toBeAttached(LIVE);
  await expect(topo.getByTestId(`edge-flood-${network}-10.0.20.11-10.0.20.12`)).toHaveCount(0);

  await publishStep('2-undone-flood');
  await expectClean(page);
  await expect(page.getByTestId('flood-list')).toHaveAttribute('data-missing', '');
  times.undone = new Date().toISOString();
  await expect(overview.getByTestId('drift-count-missing_flood')).toHaveAttribute('data-count', '0', LIVE);
  await expect(topo.getByTestId('host-drift-badge-controller')).toHaveAttribute('data-count', '0', LIVE);
  await expect(topo.getByTestId(`edge-missing-${network}-10.0.20.11-10.0.20.12`)).toHaveCount(0);
  await expect(topo.getByTestId(`edge-flood-${network}-10.0.20.11-10.0.20.12`)).toBeAttached();
  // a later BUM report (Lab3: no BUM at all) replaces the live one; history keeps the earlier
  await nodes.bum(BUM.late);
  await overview.getByTestId('host-filter-clear').click();
  await expect(overview.locator('[data-testid="overview-host-row"][data-host="compute1"] [data-testid="host-bum-tx"]')).toHaveAttribute(
    'data-bum-fps',
    txFps(BUM.late),
    LIVE,
  );
});

test('step 3: a MAC nobody announced is a stale_entry on compute1 (row held only); step 4 clears it', async ({ page }) => {
  await openHost(page, 'compute1');
  await publishStep('3-fault-stale-mac');
  const item = page.getByTestId('drift-item');
  await expect(item).toHaveCount(1, LIVE);
  await expect(item).toHaveAttribute('data-class', 'stale_entry');
  await expect(item).toHaveAttribute('data-mac', 'fa:16:3e:00:00:99');
  await expect(item).toHaveAttribute('data-vtep', '10.0.20.13');
  // its evidence is the kernel row, printed as `bridge fdb` prints it
  await expect(item.getByTestId('evidence-row')).toContainText('fa:16:3e:00:00:99 dev vxlan-649 dst 10.0.20.13');
  const row = page.locator('[data-testid="fdb-row"][data-mac="fa:16:3e:00:00:99"]');
  await expect(row).toHaveAttribute('data-status', 'actual-only');
  await expect(row).toHaveAttribute('data-tone', 'warn');
  await publishStep('4-undone-stale-mac');
  await expectClean(page);
});

test('step 5: a deleted responder entry is neigh_missing on controller; step 6 clears it', async ({ page }) => {
  await openHost(page, 'controller');
  await publishStep('5-fault-neigh-deleted');
  const item = page.getByTestId('drift-item');
  await expect(item).toHaveCount(1, LIVE);
  await expect(item).toHaveAttribute('data-class', 'neigh_missing');
  await expect(item).toHaveAttribute('data-ip', '172.16.1.12');
  await expect(page.locator('[data-testid="neigh-row"][data-ip="172.16.1.12"]')).toHaveAttribute('data-status', 'expected-only');
  await publishStep('6-undone-neigh');
  await expectClean(page);
});

test('step 7: a MAC pointed at the wrong VTEP is wrong_vtep on compute2, both VTEPs shown; step 8 clears it', async ({ page }) => {
  await openHost(page, 'compute2');
  await publishStep('7-fault-wrong-vtep');
  const item = page.getByTestId('drift-item');
  await expect(item).toHaveCount(1, LIVE);
  await expect(item).toHaveAttribute('data-class', 'wrong_vtep');
  await expect(item).toHaveAttribute('data-mac', 'fa:16:3e:8e:a8:0d');
  await expect(item).toHaveAttribute('data-vtep', '10.0.20.12');
  const row = page.locator('[data-testid="fdb-row"][data-mac="fa:16:3e:8e:a8:0d"]');
  await expect(row).toHaveAttribute('data-status', 'wrong-vtep');
  await expect(row).toHaveAttribute('data-vtep', '10.0.20.11');
  await expect(row).toHaveAttribute('data-actual-vtep', '10.0.20.12');
  await publishStep('8-undone-wrong-vtep');
  await expectClean(page);
});

test('step 9: a wrong responder MAC and a deleted unicast entry on compute1 are neigh_stale and missing_unicast; step 10 clears them', async ({ page }) => {
  await openHost(page, 'compute1');
  await publishStep('9-fault-neigh-wrong-unicast-deleted');
  await expect(page.getByTestId('drift-item')).toHaveCount(2, LIVE);
  await expect(page.locator('[data-testid="drift-item"][data-class="missing_unicast"]')).toHaveAttribute('data-mac', 'fa:16:3e:f3:4d:52');
  await expect(page.locator('[data-testid="drift-item"][data-class="neigh_stale"]')).toHaveAttribute('data-ip', '172.16.1.13');
  await expect(page.locator('[data-testid="fdb-row"][data-mac="fa:16:3e:f3:4d:52"]')).toHaveAttribute('data-status', 'expected-only');
  const neigh = page.locator('[data-testid="neigh-row"][data-ip="172.16.1.13"]');
  await expect(neigh).toHaveAttribute('data-status', 'wrong-mac');
  await expect(neigh).toHaveAttribute('data-actual-mac', 'fa:16:3e:00:00:98');
  await publishStep('10-undone-neigh-unicast');
  await expectClean(page);
});

test('step 11: a MAC unknown to Neutron learned on controller (l2pop on) is a foreign MAC, not drift; step 12 clears it', async ({ page }) => {
  await openHost(page, 'controller');
  await publishStep('11-fault-learned-unknown-mac');
  const item = page.locator('[data-testid="foreign-mac"][data-class="foreign_mac"]');
  await expect(item).toHaveCount(1, LIVE);
  await expect(item).toHaveAttribute('data-mac', 'fa:16:3e:00:00:77');
  await expect(page.getByTestId('drift-item')).toHaveCount(0);
  await expect(page.getByTestId('host-drift-total')).toHaveAttribute('data-count', '0');
  await expect(page.locator('[data-testid="fdb-row"][data-mac="fa:16:3e:00:00:77"]')).toHaveAttribute('data-status', 'actual-only');
  await publishStep('12-undone-learned');
  await expectClean(page);
});

/**
 * Move a range input as a hand does, with the keyboard: focus it and press `key` (`Home`: its
 * min, `End`: its max); the input's own events reach React. Returns the value it rests on, as ISO-8601.
 */
async function press(page: Page, testid: string, key: 'Home' | 'End'): Promise<string> {
  const slider = page.getByTestId(testid);
  await slider.focus();
  await slider.press(key);
  const bound = await slider.getAttribute(key === 'Home' ? 'min' : 'max');
  return new Date(Number(bound)).toISOString();
}

test('history: the time slider shows controller as it held step 1’s fault, then before and after it; Live returns', async ({ page }) => {
  test.skip(!times.fault || !times.undone, 'needs step 1 to have run');
  await page.goto(`${stack.webUrl}/hosts/controller?at=${encodeURIComponent(times.fault)}`);
  await expect(page.getByTestId('host-page')).toHaveAttribute('data-at', times.fault, LIVE);
  await expect(page.getByTestId('host-as-of')).toHaveAttribute('data-at', times.fault);
  await expect(page.getByTestId('as-of-badge')).toBeVisible();
  // as the fixtures say: controller's flood entry toward compute1 (10.0.20.12) was missing then
  const item = page.getByTestId('drift-item');
  await expect(item).toHaveCount(1);
  await expect(item).toHaveAttribute('data-class', 'missing_flood');
  await expect(item).toHaveAttribute('data-vtep', '10.0.20.12');
  await expect(page.locator('[data-testid="fdb-row"][data-mac="00:00:00:00:00:00"][data-vtep="10.0.20.12"]')).toHaveAttribute('data-status', 'expected-only');

  // End: the slider's newest time (the page's now, after step 12): every fault undone
  const end = await press(page, 'time-slider', 'End');
  expect(Date.parse(end)).toBeGreaterThan(Date.parse(times.undone));
  await expect(page).toHaveURL(new RegExp(`at=${encodeURIComponent(end)}`), LIVE);
  await expect(page.getByTestId('host-page')).toHaveAttribute('data-at', end, LIVE);
  await expect(page.getByTestId('as-of-badge')).toHaveAttribute('data-at', end);
  await expectClean(page);

  // a shared link to the time before step 1
  await page.goto(`${stack.webUrl}/hosts/controller?at=${encodeURIComponent(times.before)}`);
  await expect(page.getByTestId('host-page')).toHaveAttribute('data-at', times.before, LIVE);
  await expectClean(page);

  await page.getByTestId('history-live').click();
  await expect(page).not.toHaveURL(/at=/, LIVE);
  await expect(page.getByTestId('host-as-of')).toHaveCount(0);
  await expect(page.getByTestId('history-open')).toBeVisible();
  await expectClean(page);
});

test('history: the overview as of step 1 lists the model’s hosts and no l2pop change to the fault nor its repair; from before the replay the changes are the replay', async ({
  page,
}) => {
  test.skip(!times.fault || !times.undone, 'needs step 1 to have run');
  await page.goto(`${stack.webUrl}/overview`);
  const live = page.getByTestId('overview-host-row');
  await expect(live).toHaveCount(3, LIVE);
  // the header's model seq is the stored model's, though the overview does not sync the model itself
  await expect(page.getByTestId('model-seq').locator('dd')).toHaveText(/^[1-9][\d,]*$/, LIVE);
  const hosts = (await live.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-host') ?? ''))).sort();
  // History opens the same page as of now
  await page.getByTestId('history-open').click();
  await expect(page).toHaveURL(/at=/, LIVE);
  const view = page.getByTestId('overview-at');
  await expect(view).toHaveAttribute('data-at', /^\d{4}-/, LIVE);

  // as of step 1's fault: the hosts the model knew, no finding; from the fault to its repair l2pop told
  // nothing (the fault was the kernel's: drift, shown on the host page as of T, not a model change)
  await page.goto(`${stack.webUrl}/overview?at=${encodeURIComponent(times.fault)}&to=${encodeURIComponent(times.undone)}`);
  await expect(view).toHaveAttribute('data-at', times.fault, LIVE);
  await expect(page.getByTestId('as-of-badge')).toHaveAttribute('data-at', times.fault);
  await expect(page.getByTestId('history-inexact')).toHaveCount(0);
  const rows = page.getByTestId('history-host-row');
  await expect(rows).toHaveCount(hosts.length);
  const vteps = Object.fromEntries(await rows.evaluateAll((r) => r.map((x) => [x.getAttribute('data-host') ?? '', x.children[1]?.textContent ?? ''])));
  expect(Object.keys(vteps).sort()).toEqual(hosts);
  expect(vteps).toMatchObject({ controller: '10.0.20.11', compute1: '10.0.20.12' });
  await expect(page.getByTestId('history-no-findings')).toBeVisible();
  await expect(page.getByTestId('history-no-changes')).toBeVisible(LIVE);
  // the drift of T is the hosts' analyses of T: step 1's missing flood entry on controller, counted as the live overview counted it
  await expect(page.getByTestId('drift-count-missing_flood')).toHaveAttribute('data-count', '1', LIVE);
  await expect(page.getByTestId('flood-count-missing')).toHaveAttribute('data-count', '1');
  await expect(page.getByTestId('overview-host-row')).toHaveCount(hosts.length);
  await expect(page.locator('[data-testid="overview-host-row"][data-host="controller"]')).toHaveAttribute('data-drift', '1');
  // compute1's BUM rate of T: its report of before step 1, not the later one the live overview shows
  expect(txFps(BUM.early)).not.toBe(txFps(BUM.late));
  await expect(page.locator('[data-testid="overview-host-row"][data-host="compute1"] [data-testid="host-bum-tx"]')).toHaveAttribute(
    'data-bum-fps',
    txFps(BUM.early),
  );
  await expect(page.getByTestId('host-link-controller')).toHaveAttribute('href', `/hosts/controller?at=${encodeURIComponent(times.fault)}`);
  // Home: the oldest retained message (the capture's first: controller's report_state), exact; the
  // changes from it to the repair are the rest of the replay (how much of it shares that millisecond varies)
  const home = await press(page, 'time-slider', 'Home');
  await expect(page).toHaveURL(new RegExp(`at=${encodeURIComponent(home)}`), LIVE);
  await expect(page).toHaveURL(new RegExp(`to=${encodeURIComponent(times.undone)}`));
  await expect(view).toHaveAttribute('data-at', home, LIVE);
  await expect(page.getByTestId('as-of-badge')).toHaveAttribute('data-exact', 'true');
  await expect(page.getByTestId('history-inexact')).toHaveCount(0);
  await expect(page.locator('[data-testid="history-host-row"][data-host="controller"]')).toBeVisible();
  await expect(page.getByTestId('history-change-list').or(page.getByTestId('history-no-changes'))).toBeVisible(LIVE);
  if (process.env.HISTORY_SCREENSHOT) await page.screenshot({ path: process.env.HISTORY_SCREENSHOT, fullPage: true });

  await page.goto(`${stack.webUrl}/overview?at=${encodeURIComponent(times.before)}&to=${encodeURIComponent(times.fault)}`);
  await expect(view).toHaveAttribute('data-at', times.before, LIVE);
  await expect(page.getByTestId('history-host-row')).toHaveCount(hosts.length);
  await expect(page.getByTestId('history-no-changes')).toBeVisible(LIVE);
  await expect(page.getByTestId('overview-host-row')).toHaveCount(hosts.length, LIVE);
  await expect(page.getByTestId('drift-count-missing_flood')).toHaveAttribute('data-count', '0');
  await expect(page.locator('[data-testid="overview-host-row"][data-host="controller"]')).toHaveAttribute('data-drift', '0');

  // from before the stack started (nothing stored: inexact) to the fault: the replay's model, as the fixtures say
  await page.goto(`${stack.webUrl}/overview?at=${encodeURIComponent(times.start)}&to=${encodeURIComponent(times.fault)}`);
  await expect(view).toHaveAttribute('data-at', times.start, LIVE);
  await expect(page.getByTestId('history-inexact')).toBeVisible();
  await expect(page.getByTestId('history-host-row')).toHaveCount(0);
  await expect(page.getByTestId('history-drift')).toContainText('0 hosts with a node agent', LIVE);
  // nothing analysed: every count reads "not analysed", none a green 0
  await expect(page.getByTestId('drift-count-missing_flood').locator('.tile-n')).toHaveText('—');
  await expect(page.getByTestId('flood-count-missing').locator('.tile-n')).toHaveText('—');
  await expect(page.getByTestId('flood-count-excess').locator('.tile-n')).toHaveText('—');
  await expect(page.getByTestId('overview-host-row')).toHaveCount(0);
  const list = page.getByTestId('history-change-list');
  await expect(list).toBeVisible(LIVE);
  await expect(page.getByTestId('change-host')).toHaveCount(hosts.length);
  for (const h of hosts) await expect(list.locator(`[data-testid="change-host"][data-host="${h}"]`)).toHaveAttribute('data-change', 'added');
  await expect(page.getByTestId('change-network')).toHaveCount(1);
  await expect(page.getByTestId('change-network')).toHaveAttribute('data-change', 'added');
  await expect(page.getByTestId('change-vtep')).toHaveCount(hosts.length);
  for (const v of Object.values(vteps)) await expect(list.locator(`[data-testid="change-vtep"][data-vtep="${v}"]`)).toContainText('flood entry added');
  await expect(list.locator('[data-testid="change-vtep"][data-vtep="10.0.20.11"]')).toContainText('FDB +fa:16:3e:8e:a8:0d');
  await expect(list.locator('[data-testid="change-vtep"][data-vtep="10.0.20.11"]')).toContainText('ARP +172.16.1.11 fa:16:3e:8e:a8:0d');
  await expect(page.getByTestId('change-finding')).toHaveCount(0);

  // the topology as of T colours the hosts by their drift of T (a badge links to the host page as of T)
  await page.goto(`${stack.webUrl}/?at=${encodeURIComponent(times.fault)}`);
  const badge = page.getByTestId('host-drift-badge-controller');
  await expect(badge).toHaveAttribute('data-count', '1', LIVE);
  await expect(badge).toHaveAttribute('data-worst', 'missing_flood');
  await expect(badge).toHaveAttribute('href', `/hosts/controller?at=${encodeURIComponent(times.fault)}`);
  await expect(page.getByTestId('host-drift-badge-compute1')).toHaveAttribute('data-count', '0');
  // and the flood lists of T: controller's entry toward compute1 missing (drawn red), none drawn as present
  await expect(page.getByTestId(`edge-missing-${network}-10.0.20.11-10.0.20.12`)).toBeAttached(LIVE);
  await expect(page.getByTestId(`edge-flood-${network}-10.0.20.11-10.0.20.12`)).toHaveCount(0);
  await expect(page.getByTestId(`edge-flood-${network}-10.0.20.11-10.0.20.13`)).toBeAttached();
  // compute1's flood edge to controller carries the BUM rate of T
  await expect(page.getByTestId(`edge-flood-${network}-10.0.20.12-10.0.20.11`)).toHaveAttribute('data-bum-fps', txFps(BUM.early, '10.0.20.11'), LIVE);
  await page.goto(`${stack.webUrl}/?at=${encodeURIComponent(times.undone)}`);
  await expect(page.getByTestId('host-drift-badge-controller')).toHaveAttribute('data-count', '0', LIVE);
  await expect(page.getByTestId(`edge-flood-${network}-10.0.20.11-10.0.20.12`)).toBeAttached(LIVE);
  await expect(page.getByTestId(`edge-missing-${network}-10.0.20.11-10.0.20.12`)).toHaveCount(0);
  // the network page as of T: the flood matrix of T (controller's entry toward compute1 missing), host links
  // kept at T, no toggle (it acts now); at the repair's T the matrix is whole again
  const cell = page.locator('[data-testid="flood-cell"][data-host="controller"][data-vtep="10.0.20.12"]');
  await page.goto(`${stack.webUrl}/networks/${network}?at=${encodeURIComponent(times.fault)}`);
  await expect(page.getByTestId('network-as-of')).toHaveAttribute('data-at', times.fault, LIVE);
  await expect(cell).toHaveAttribute('data-state', 'missing', LIVE);
  await expect(page.getByTestId('matrix-totals')).toHaveAttribute('data-missing', '1');
  await expect(page.getByRole('link', { name: 'controller', exact: true }).first()).toHaveAttribute(
    'href',
    `/hosts/controller?at=${encodeURIComponent(times.fault)}`,
  );
  await expect(page.getByTestId('network-toggle')).toHaveCount(0);
  await page.goto(`${stack.webUrl}/networks/${network}?at=${encodeURIComponent(times.undone)}`);
  await expect(cell).toHaveAttribute('data-state', 'both', LIVE);
  await expect(page.getByTestId('matrix-totals')).toHaveAttribute('data-missing', '0');
  // the time slider: the thumb moves at once; once it rests, the URL's T and the page follow (T's matrix again)
  await page.getByTestId('time-slider').fill(String(Date.parse(times.fault)));
  await expect(page.getByTestId('as-of-badge')).toHaveAttribute('data-at', new Date(Date.parse(times.fault)).toISOString(), LIVE);
  await expect(page).toHaveURL(new RegExp(`at=${encodeURIComponent(new Date(Date.parse(times.fault)).toISOString())}`));
  await expect(cell).toHaveAttribute('data-state', 'missing', LIVE);
});
