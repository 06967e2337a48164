/**
 * Network lifecycle on the real lab (issue 11, item 8; docs/l2pop.md#lifecycle): a second network
 * with a port on compute1 is listed by l2scope; once its port and the network are deleted through
 * the Neutron API, neutron-server's `network_delete` fanout takes it out of l2scope's live model (the
 * message stays stored); a new network reusing the VNI (segmentation id set explicitly) is listed
 * once. Before the fix the deleted network stayed listed and the VNI showed twice.
 *
 * Uses a running lab with compute1 (and leaves it up), or brings one up with two Linux bridge hosts
 * and no VMs (left up; the suite's global setup takes it down at the end). Needs root on Debian 12. Run it under the lab lock:
 * `flock /tmp/l2lab.lock npx vitest run -c apps/lab/vitest.lab.config.ts apps/lab/test-lab/network-lifecycle.lab.test.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { type ModelSnapshot, linuxBridgeNames } from '@l2scope/domain';
import { type Db, closeDb, openDb } from '@l2scope/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentKey } from '../src/agents';
import { findNetworks, getPort, neutron, type NeutronNetwork, type NeutronPort } from '../src/api';
import { waitFor } from '../src/exec';
import { vmNs } from '../src/paths';
import { isRunning } from '../src/procs';
import { loadState, type VmState } from '../src/state';
import { deleteVm, plugVm, waitPortActive } from '../src/vms';
import { type ModelSource, lab, startModelSource, state } from './helpers';

const HOST = 'compute1';
const NAME = 'l2lab-lifecycle';
const CIDR = { net: '172.16.9.0/24', vmIp: '172.16.9.12' };

let worker: ModelSource | undefined;
let db: Db | undefined;
let tmp = '';
const vms: VmState[] = [];

/** Create a VXLAN network with an explicit segmentation id (admin: the lab's API is noauth) and a DHCP-less subnet. */
async function createNetwork(vni: number): Promise<NeutronNetwork> {
  const net = (
    await neutron<{ network: NeutronNetwork }>('POST', '/v2.0/networks', {
      network: { name: NAME, 'provider:network_type': 'vxlan', 'provider:segmentation_id': vni, port_security_enabled: false },
    })
  ).network;
  await neutron('POST', '/v2.0/subnets', { subnet: { name: `${NAME}-v4`, network_id: net.id, ip_version: 4, cidr: CIDR.net, enable_dhcp: false } });
  return net;
}

/** A "VM" on `net` bound to compute1, plugged as the lab plugs its own (vms.ts `plugVm`), ACTIVE in the API. */
async function addVmOn(net: NeutronNetwork): Promise<VmState> {
  const s = state();
  const deviceId = randomUUID();
  const port = (
    await neutron<{ port: NeutronPort }>('POST', '/v2.0/ports', {
      port: {
        name: `${NAME}-vm`,
        network_id: net.id,
        'binding:host_id': HOST,
        device_owner: 'compute:nova',
        device_id: deviceId,
        fixed_ips: [{ ip_address: CIDR.vmIp }],
      },
    })
  ).port;
  const name = `vm-lc-${net.id.slice(0, 6)}`;
  const vm: VmState = {
    name,
    host: HOST,
    ns: vmNs(name),
    portId: port.id,
    deviceId,
    mac: port.mac_address,
    ip: port.fixed_ips[0]!.ip_address,
    tap: linuxBridgeNames.tap(port.id),
    createdAt: Date.now(),
  };
  vms.push(vm);
  // the bridge of THIS network (plugVm names it after the state's network id)
  await plugVm({ ...s, networkId: net.id, namespaces: [...s.namespaces] }, s.hosts[HOST]!, vm);
  await waitPortActive(port.id);
  return vm;
}

/** Unplug and delete a VM made by {@link addVmOn}. */
async function removeVm(vm: VmState): Promise<void> {
  const s = state();
  await deleteVm({ ...s, vms: { [vm.name]: vm }, namespaces: [...s.namespaces] }, vm, s.hosts);
  vms.splice(vms.indexOf(vm), 1);
}

/** Delete every network of this test left by an earlier run (ports first: Neutron refuses a network in use). */
async function deleteLeftovers(): Promise<void> {
  for (const n of await findNetworks(NAME)) {
    const ports = (await neutron<{ ports: NeutronPort[] }>('GET', `/v2.0/ports?network_id=${n.id}`)).ports;
    for (const p of ports) await neutron('DELETE', `/v2.0/ports/${p.id}`);
    await neutron('DELETE', `/v2.0/networks/${n.id}`);
  }
}

/** Poll the worker's model until `check` holds. @throws Error with the last networks after `timeoutMs` */
async function untilModel(label: string, check: (m: ModelSnapshot) => boolean, timeoutMs = 60_000): Promise<ModelSnapshot> {
  let last: ModelSnapshot | null = null;
  try {
    return await waitFor(
      label,
      async () => {
        last = await worker!.snapshot();
        return check(last) ? last : undefined;
      },
      timeoutMs,
      250,
    );
  } catch (e) {
    const nets = (last as ModelSnapshot | null)?.networks.map((n) => `${n.id.slice(0, 8)} VNI ${n.vni}`).join(', ');
    throw new Error(`${(e as Error).message}; l2scope lists networks: ${nets ?? 'none'}`, { cause: e });
  }
}

const withVni = (m: ModelSnapshot, vni: number) => m.networks.filter((n) => n.vni === vni).map((n) => n.id);

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('test:lab needs root (network namespaces, apt)');
  const s = loadState();
  const running = s !== null && isRunning(s.procs.server) && s.hosts[HOST] !== undefined && isRunning(s.procs[agentKey(HOST)]);
  if (!running) {
    await lab('down');
    await lab('up', '--hosts', '2', '--l2pop', 'on', '--no-vms');
  }
  await deleteLeftovers();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'l2scope-lifecycle-'));
  const dbUrl = `file:${path.join(tmp, 'l2scope.db')}`;
  worker = await startModelSource(state().amqpUrl, dbUrl);
  db = await openDb(dbUrl);
});

afterAll(async () => {
  for (const vm of [...vms]) await removeVm(vm).catch((e: Error) => console.error(e.message));
  await deleteLeftovers().catch((e: Error) => console.error(e.message));
  if (db) await closeDb(db);
  if (worker) await worker.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('network lifecycle: l2scope follows network_delete', () => {
  it('a deleted network leaves the live view (its network_delete stored), and a new network reusing its VNI is listed once', async () => {
    const vni = state().vni + 1000;

    // 1. a second network with a port on compute1: l2pop casts it, l2scope lists it
    const first = await createNetwork(vni);
    const vm = await addVmOn(first);
    await untilModel(`network ${first.id} (VNI ${vni}) listed`, (m) => withVni(m, vni).includes(first.id));
    console.log(`listed: ${first.id} VNI ${vni}`);

    // 2. its port, then the network, deleted through the API
    await removeVm(vm);
    expect(await getPort(vm.portId)).toBeNull();
    await neutron('DELETE', `/v2.0/networks/${first.id}`);
    // before the fix: still listed ('VNI n · 0 hosts') until the deadline
    const after = await untilModel(`network ${first.id} out of the live view after network_delete`, (m) => !m.networks.some((n) => n.id === first.id));
    expect(withVni(after, vni)).toEqual([]);
    expect(after.vteps.filter((v) => v.network === first.id)).toEqual([]);
    expect(after.hosts.filter((h) => h.networks[first.id]).map((h) => h.id)).toEqual([]);

    // history: the cast is stored (the inspector shows it) and the row is marked deleted; the worker's
    // model answers before its batch is written (~50 ms windows), so wait for the row
    const stored = await waitFor(
      'the network_delete stored',
      async () => {
        const rows = await db!.message.findMany({
          where: { method: 'network_delete', refs: { some: { kind: 'network', value: first.id } } },
          include: { refs: true },
        });
        return rows.length > 0 ? rows : undefined;
      },
      15_000,
    );
    expect(stored.map((m) => [m.kind, m.exchange, m.target])).toEqual([['network_delete', 'q-agent-notifier-network-delete_fanout', 'fanout']]);
    expect(stored[0]!.refs.map((r) => `${r.kind}=${r.value}`).sort()).toEqual([`network=${first.id}`, `vni=${vni}`]);
    expect((await db!.network.findUnique({ where: { id: first.id } }))?.deletedAt).toBeInstanceOf(Date);
    console.log(`deleted: ${first.id} out of the live view; network_delete stored as message ${stored[0]!.id}`);

    // 3. a new network with the same VNI: one network listed for that VNI, the new one
    const second = await createNetwork(vni);
    expect(second['provider:segmentation_id']).toBe(vni);
    await addVmOn(second);
    // before the fix: [first, second] (the VNI shows twice)
    const reused = await untilModel(`network ${second.id} (VNI ${vni}) listed`, (m) => withVni(m, vni).includes(second.id));
    expect(withVni(reused, vni)).toEqual([second.id]);
    console.log(`reused VNI ${vni}: l2scope lists ${withVni(reused, vni).length} network (${second.id})`);
  });
});
