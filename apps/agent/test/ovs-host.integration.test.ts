/**
 * The node agent on an OVS host reads the hybrid firewall chain from the kernel: a real namespace
 * holding the devices os-vif makes for `firewall_driver = iptables_hybrid` (a Linux bridge
 * `qbr<id>` with the VM's `tap<id>` and the `qvb<id>` end of a veth pair, `qvo<id>` the other end),
 * the REAL agent (main.ts) run there with `--type openvswitch --bundle`. No Open vSwitch runs here
 * (the lab's does, docs/lab.md#ovs-host): the OVS commands fail and the bundle says so, while the
 * kernel's `ip -j -d link show` arrives and becomes the snapshot's `openvswitch.host.links`.
 * Needs root; skipped otherwise.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotDatapath, snapshotsFromBundle } from '@l2scope/domain';
import { Harness, integrationSkipReason } from './netns';

const skip = integrationSkipReason();
if (skip) console.warn(`apps/agent OVS host integration tests: ${skip}`);

const HOST = 'ovs-hybrid.l2scope.test';
const ID = '1d015803-95';

describe.skipIf(skip !== null)('node agent on an OVS host: the hybrid chain (real kernel devices, real agent)', () => {
  let h: Harness;
  let ns: string;

  beforeAll(async () => {
    h = new Harness();
    ns = await h.addNamespace('hyb');
    await h.ip(ns, 'link', 'add', `qbr${ID}`, 'type', 'bridge');
    await h.ip(ns, 'tuntap', 'add', 'dev', `tap${ID}`, 'mode', 'tap');
    await h.ip(ns, 'link', 'add', `qvb${ID}`, 'type', 'veth', 'peer', 'name', `qvo${ID}`);
    await h.ip(ns, 'link', 'set', `tap${ID}`, 'master', `qbr${ID}`);
    await h.ip(ns, 'link', 'set', `qvb${ID}`, 'master', `qbr${ID}`);
    for (const d of ['qbr', 'tap', 'qvb', 'qvo']) await h.ip(ns, 'link', 'set', `${d}${ID}`, 'up');
    writeFileSync(
      path.join(h.dir, 'openvswitch_agent.ini'),
      '[ovs]\nlocal_ip = 10.97.0.1\n[agent]\ntunnel_types = gre\nl2_population = true\n[securitygroup]\nfirewall_driver = iptables_hybrid\n',
    );
  });

  afterAll(async () => {
    await h?.cleanup();
  });

  it('sends the chain as tap -> qbr, qvb <-> qvo, bounded and validated like the rest of the snapshot', async () => {
    const dir = path.join(h.dir, 'bundle');
    const r = await h.runAgent(ns, ['--host', HOST, '--type', 'openvswitch', '--ini', path.join(h.dir, 'openvswitch_agent.ini'), '--bundle', dir]);
    expect(r.code, r.lines.join('\n')).toBe(0);
    const names = readdirSync(dir).sort();
    expect(names).toContain(`${HOST}-ip-link.json`);
    const files = Object.fromEntries(names.map((n) => [n, readFileSync(path.join(dir, n), 'utf8')]));
    const { snapshots } = snapshotsFromBundle(files);
    const snap = snapshots.find((s) => s.host === HOST)!;
    expect(snap.agent.type).toBe('openvswitch');
    expect(snap.openvswitch!.host!.links).toEqual([
      { name: `qbr${ID}`, kind: 'bridge', master: null, peer: null, up: true },
      { name: `qvb${ID}`, kind: 'veth', master: `qbr${ID}`, peer: `qvo${ID}`, up: true },
      { name: `qvo${ID}`, kind: 'veth', master: null, peer: `qvb${ID}`, up: true },
      { name: `tap${ID}`, kind: 'tun', master: `qbr${ID}`, peer: null, up: true },
    ]);
    // no OVS here: no bridges, so no br-int port to draw a path for
    expect(snap.openvswitch!.host!.bridges).toEqual([]);
    expect(snapshotDatapath(snap)!.ports).toEqual([]);
  });
});
