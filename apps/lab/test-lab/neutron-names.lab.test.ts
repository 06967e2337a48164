/**
 * Names from Neutron's API on the real lab (docs/neutron-api.md): l2scope's worker taps the lab's
 * broker and polls its neutron-server (`--neutron-api http://127.0.0.1:9696`, noauth). A VM added
 * while it watches must come out named: its MAC with its port id and device_id (the "instance"),
 * its network's name; and on this healthy lab the API's checks must stay quiet after they could
 * judge (the port ACTIVE for longer than the cast grace, the tap listening for longer than
 * agent_down_time): no `port_without_l2pop`, no `agent_silent_on_tap`. The lab runs short
 * heartbeats (`--report-interval 5 --agent-down-time 20`, docs/lab.md#heartbeats), told to the
 * worker too, so that the tap can judge after 20 s rather than Neutron's default 75 s. Lab: 2 Linux
 * bridge hosts with those heartbeats (`ensureLab`, ensure-lab.ts: liveness.lab's is reused; left up). Needs root on Debian 12; run under
 * `flock /tmp/l2lab.lock`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingView, NeutronApiView } from '@l2scope/domain';
import { listPorts } from '../src/api';
import { type WorkerHandle, startWorker, workerHeaders } from '../src/l2scope';
import { API_URL } from '../src/paths';
import { waitFor } from '../src/exec';
import { stopDaemon } from '../src/procs';
import { freePort, lab, state } from './helpers';
import { ensureLab } from './ensure-lab';

/** The lab's agents' report_interval and neutron-server's agent_down_time (seconds), told to the worker too. */
const HEARTBEATS = ['--report-interval', '5', '--agent-down-time', '20'];
/** agent_down_time (ms). */
const AGENT_DOWN_MS = 20_000;
/** The worker's default cast grace of `port_without_l2pop` (ms). */
const CAST_GRACE_MS = 15_000;

let worker: WorkerHandle | undefined;
let tmp: string;
let watchingFrom = 0;

async function neutronView(): Promise<NeutronApiView> {
  const r = await fetch(`${worker!.baseUrl}/api/neutron`, { headers: workerHeaders(worker!), signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`GET /api/neutron: ${r.status}`);
  return (await r.json()) as NeutronApiView;
}

async function findings(): Promise<FindingView[]> {
  const r = await fetch(`${worker!.baseUrl}/api/nodes`, { headers: workerHeaders(worker!), signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`GET /api/nodes: ${r.status}`);
  return ((await r.json()) as { findings: FindingView[] }).findings;
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('test:lab needs root (network namespaces, apt)');
  await ensureLab({ hosts: 2, heartbeats: { reportInterval: 5, agentDownTime: 20 }, mode: { l2pop: true, arp: false } });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'l2scope-names-lab-'));
  worker = await startWorker(state().amqpUrl, await freePort(), `file:${path.join(tmp, 'l2scope.db')}`, [
    '--neutron-api',
    API_URL,
    '--neutron-api-interval',
    '3',
    ...HEARTBEATS,
  ]);
  // healthy: the tap listens since before now
  watchingFrom = Date.now();
});

afterAll(async () => {
  if (worker) await stopDaemon(worker.proc);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("names from the lab's Neutron API", () => {
  it("a VM's MAC is named with its port id and device_id, its network with its name", async () => {
    await lab('vm', 'add', '--host', 'compute1');
    const s = state();
    const port = (await listPorts(s.networkId!)).find((p) => p['binding:host_id'] === 'compute1' && p.status === 'ACTIVE');
    expect(port, 'an ACTIVE port on compute1').toBeDefined();
    const named = await waitFor(
      'the VM port named by the worker',
      async () => (await neutronView()).names?.ports.find((p) => p.mac === port!.mac_address && p.announced),
      120_000,
      1000,
    );
    expect(named).toMatchObject({ portId: port!.id, deviceId: port!.device_id, deviceOwner: 'compute:nova', networkId: s.networkId, host: 'compute1' });
    const view = await neutronView();
    expect(view.names!.networks.find((n) => n.id === s.networkId)?.name).toBeTruthy();
    expect(view.names!.agents.map((a) => [a.host, a.alive])).toEqual([
      ['compute1', true],
      ['controller', true],
    ]);
    expect(view.status).toMatchObject({ endpoint: API_URL, auth: 'noauth', consecutiveFailures: 0, lastError: null });
    console.log(
      `named ${named.mac} as port ${named.portId} device ${named.deviceId} on "${named.networkName}"; API read: ${JSON.stringify(view.status.counts)}`,
    );
  });

  it('the checks stay quiet on the healthy lab once they can judge', async () => {
    await lab('vm', 'add', '--host', 'controller');
    const activeAt = Date.now();
    // a read after the ports' cast grace and after the tap listened for agent_down_time
    const judgeFrom = Math.max(activeAt + CAST_GRACE_MS, watchingFrom + AGENT_DOWN_MS) + 1000;
    const view = await waitFor(
      'a read that can judge both checks',
      async () => {
        const v = await neutronView();
        return v.status.lastSuccessAt && Date.parse(v.status.lastSuccessAt) > judgeFrom ? v : undefined;
      },
      300_000,
      2000,
    );
    expect(view.names!.ports.filter((p) => p.status === 'ACTIVE').map((p) => p.announced)).toEqual([true, true]);
    const api = (await findings()).filter((f) => f.kind === 'port_without_l2pop' || f.kind === 'agent_silent_on_tap');
    console.log(`read at ${view.status.lastSuccessAt}: ${view.status.counts.ports} ports, ${view.status.counts.agents} agents; API findings: ${api.length}`);
    expect(api).toEqual([]);
  });
});
