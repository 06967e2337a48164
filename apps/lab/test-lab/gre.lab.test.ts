/**
 * GRE end to end on the real lab (docs/lab.md#gre): l2scope's worker taps the lab's broker, the node
 * agents read br-tun, and the analysis must hold for a GRE network as it does for VXLAN.
 *
 * Lab: controller and compute1 (Linux bridge), ovs1 and ovs2 (Open vSwitch, `tunnel_types =
 * vxlan,gre`, `firewall_driver = iptables_hybrid`), l2pop on, ARP responder off, made with
 * `lab up --gre --hybrid`: seed 001's OVS compute node, its VMs plugged tap -> qbr -> qvb/qvo -> br-int
 * (docs/lab.md#hybrid). VMs, all made after the
 * worker starts: on the VXLAN network one on controller, compute1 and ovs1 (a Linux bridge host
 * without a VM would keep rows nobody maintains any more); on the GRE network (key =
 * the lab's VNI, the same number on purpose) one on ovs1 and one on ovs2.
 * 1. The model holds both networks with their `network_type` (a mixed cloud: LB VXLAN + OVS GRE);
 *    every host has a snapshot and zero drift; ovs1's br-tun maps the GRE key in table 3 and floods
 *    the GRE network's local VLAN to ovs2's `gre-<hex>` port only; every VM pair of a network pings;
 *    ovs1's node snapshot, as the worker stored it (what tRPC `nodes.host` serves), holds each VM's
 *    hybrid chain, and domain `snapshotDatapath` builds it whole: tap on qbr, qvb = qvo, qvo on br-int
 *    with the network's lvid, no finding.
 * 2. A hand-made fault: ovs1's table 22 flood flow of the GRE local VLAN deleted
 *    (`ovs-ofctl del-flows br-tun table=22,dl_vlan=<lvid>`): the analysis shows `missing_flood`
 *    of ovs2's VTEP on the GRE network, none on the VXLAN one.
 * 3. ovs1's agent restarted (it re-installs every l2pop flow): zero drift again, pings again.
 * Lab: that shape, the hybrid firewall and GRE included (`ensureLab`, ensure-lab.ts; left up for the
 * next file): 197 s from a cold lab, the lab's up and down included (2026-12-06, the machine shared). Needs root on Debian 12.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, closeDb, openDb, readNodeHost } from '@l2scope/db';
import { hybridNames, parseBrTun, parseOfctlFlows, parseOvsTunnelPorts, snapshotDatapath, type OvsPortPath } from '@l2scope/domain';
import { waitFor } from '../src/exec';
import { ovsOfctl, ovsVsctl } from '../src/ovs';
import { pingMatrix } from '../src/ping';
import { lab, startModelSource, state, untilNodes, type ModelSource } from './helpers';
import { ensureLab } from './ensure-lab';

const LB = ['controller', 'compute1'];
const OVS = ['ovs1', 'ovs2'];
const ALL = [...LB, ...OVS];
const OVS2_VTEP = '10.0.20.22';

let tmp: string;
let worker: ModelSource | undefined;
/** The worker's database (what the web's tRPC `nodes.host` reads). */
let db: Db | undefined;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('test:lab needs root (network namespaces, apt)');
  // 2 Linux bridge + 2 OVS hosts (hybrid firewall, the GRE network), l2pop without the ARP
  // responder, and no VM: every VM is made after the worker starts, so that it sees every port's casts
  await ensureLab({ hosts: 2, ovsHosts: 2, gre: true, hybrid: true, mode: { l2pop: true, arp: false } });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'l2scope-test-gre-'));
  const dbUrl = `file:${path.join(tmp, 'l2scope.db')}`;
  worker = await startModelSource(state().amqpUrl, dbUrl);
  db = await openDb(dbUrl);
  // node agents started after the worker: their first snapshots reach it
  if (Object.keys(state().procs).some((k) => k.startsWith('l2scope:agent:'))) await lab('agents', 'stop');
  await lab('agents', 'start');
  // the lab's lock orders the five; started together, their CLI start-ups overlap
  await Promise.all(
    [
      ['--host', 'controller'],
      ['--host', 'compute1'],
      ['--host', 'ovs1'],
      ['--host', 'ovs1', '--network', 'gre'],
      ['--host', 'ovs2', '--network', 'gre'],
    ].map((a) => lab('vm', 'add', ...a)),
  );
});

afterAll(async () => {
  await lab('agents', 'stop').catch((e: Error) => console.error(e.message));
  if (db) await closeDb(db);
  if (worker) await worker.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** ovs1's br-tun as OVS holds it, parsed as the node agent does. */
async function ovs1BrTun(): Promise<{ brTun: ReturnType<typeof parseBrTun>; ports: ReturnType<typeof parseOvsTunnelPorts> }> {
  const h = state().hosts.ovs1!;
  const [flows, ports] = await Promise.all([
    ovsOfctl(h, ['--no-names', 'dump-flows', 'br-tun']),
    ovsVsctl(h, ['--format=json', '--columns=name,ofport,type,options', 'list', 'Interface']),
  ]);
  return { brTun: parseBrTun(parseOfctlFlows(String(flows.stdout)).flows), ports: parseOvsTunnelPorts(String(ports.stdout)) };
}

/** Every host analysed from a snapshot with zero drift, and ovs1 holding the GRE network. */
async function zeroDrift(label: string, greNet: string): Promise<void> {
  await untilNodes(
    worker!,
    `${label}: zero drift on every host, ovs1 holding the GRE network`,
    (v) =>
      ALL.every((h) => v.analysis?.hosts[h]?.snapshot && v.analysis.hosts[h].drift.length === 0) &&
      (v.analysis?.hosts.ovs1?.flood[greNet]?.actual ?? []).includes(OVS2_VTEP),
    180_000,
  );
}

/**
 * ovs1's VM ports as domain `snapshotDatapath` builds them from ovs1's latest node snapshot stored
 * by the worker, once that snapshot holds a qvo port of every VM of ovs1 with its hybrid chain.
 */
async function ovs1HybridPaths(): Promise<OvsPortPath[]> {
  const vms = Object.values(state().vms).filter((v) => v.host === 'ovs1');
  return waitFor(
    `ovs1's node snapshot holding the hybrid chain of ${vms.map((v) => v.name).join(', ')}`,
    async () => {
      const snap = (await readNodeHost(db!, 'ovs1'))?.snapshot;
      const ports = snap ? (snapshotDatapath(snap)?.ports ?? []) : [];
      const mine = vms.map((v) => ports.find((p) => p.port === hybridNames.qvo(v.portId)));
      if (mine.every((p) => p?.hybrid?.qbr && p.lvid !== null)) return mine as OvsPortPath[];
      // waitFor reports the last probe error on timeout: what the datapath held
      throw new Error(
        snap
          ? `its VM ports: ${ports.map((p) => `${p.port} ${p.hybrid ? `${p.hybrid.qbr}/${p.hybrid.qvb}` : 'no chain'} tag ${p.lvid}`).join(', ') || 'none'}`
          : 'no snapshot',
      );
    },
    120_000,
    500,
  );
}

async function expectPings(label: string): Promise<void> {
  const vms = Object.values(state().vms);
  const r = await pingMatrix(vms);
  const failed = r.filter((p) => !p.ok).map((p) => `${p.from}->${p.to}`);
  console.log(`${label}: ${r.length - failed.length} of ${r.length} pings answered`);
  expect(failed, label).toEqual([]);
  // three VXLAN VMs (6 ordered pairs) and two GRE VMs (2), none across
  expect(r.length).toBe(8);
}

describe('GRE network on Open vSwitch hosts, next to a VXLAN network (docs/lab.md#gre)', () => {
  it('models both network types, reads table 3 and gre- ports with zero drift, and pings', async () => {
    const s = state();
    const greNet = s.gre!.networkId!;
    await zeroDrift('VMs up', greNet);
    const m = await worker!.snapshot();
    const types = Object.fromEntries(m.networks.map((n) => [n.id, `${n.networkType}:${n.vni}`]));
    expect(types[greNet]).toBe(`gre:${s.vni}`);
    expect(types[s.networkId!]).toBe(`vxlan:${s.vni}`);
    const { brTun, ports } = await ovs1BrTun();
    const greLv = brTun.localVlans.find((l) => l.tunnelType === 'gre');
    const vxLv = brTun.localVlans.find((l) => l.tunnelType === 'vxlan');
    expect(greLv?.vni).toBe(s.vni);
    expect(vxLv?.vni).toBe(s.vni);
    expect(greLv!.lvid).not.toBe(vxLv!.lvid);
    const grePort = ports.find((p) => p.type === 'gre');
    expect(grePort).toMatchObject({ name: 'gre-0a001416', remoteIp: OVS2_VTEP });
    expect(brTun.flood.find((f) => f.lvid === greLv!.lvid)?.ofports).toEqual([grePort!.ofport]);
    await expectPings('GRE + VXLAN');

    // seed 001's chain, read by ovs1's node agent (`ip -j -d link`, ovs-vsctl) and stored by the worker
    const ovs1Vms = Object.values(s.vms).filter((v) => v.host === 'ovs1');
    const paths = await ovs1HybridPaths();
    expect(paths).toHaveLength(2);
    for (const vm of ovs1Vms) {
      const p = paths.find((x) => x.port === hybridNames.qvo(vm.portId))!;
      expect(p.tap).toBe(vm.tap);
      expect(p.hybrid).toEqual({ qbr: hybridNames.bridge(vm.portId), qvb: hybridNames.qvb(vm.portId), qvo: hybridNames.qvo(vm.portId) });
      expect(p.findings).toEqual([]);
      // tap (on qbr), qbr, qvb = qvo, then the br-int port with its lvid: every hop whole
      expect(p.outbound.slice(0, 4).map((h) => [h.at, h.name, h.ok])).toEqual([
        ['kernel', vm.tap, true],
        ['kernel', hybridNames.bridge(vm.portId), true],
        ['kernel', `${hybridNames.qvb(vm.portId)} = ${hybridNames.qvo(vm.portId)}`, true],
        ['br-int', hybridNames.qvo(vm.portId), true],
      ]);
      expect(p.segment).toEqual({ tunnelType: vm.network === 'gre' ? 'gre' : 'vxlan', vni: s.vni });
    }
    console.log(`ovs1 hybrid chains: ${paths.map((p) => `${p.tap} -> ${p.hybrid!.qbr} -> ${p.hybrid!.qvb} = ${p.port} (tag ${p.lvid})`).join('; ')}`);
  });

  it('catches a deleted table 22 flood flow of the GRE network as missing_flood, and clears after an agent restart', async () => {
    const s = state();
    const greNet = s.gre!.networkId!;
    const { brTun } = await ovs1BrTun();
    const lvid = brTun.localVlans.find((l) => l.tunnelType === 'gre')!.lvid;
    await ovsOfctl(s.hosts.ovs1!, ['del-flows', 'br-tun', `table=22,dl_vlan=${lvid}`]);
    const items = await untilNodes(
      worker!,
      'missing_flood of ovs2 on the GRE network',
      (v) => {
        const d = v.analysis?.hosts.ovs1?.drift ?? [];
        return d.some((x) => x.class === 'missing_flood' && x.network === greNet && x.vtep === OVS2_VTEP) ? d : null;
      },
      120_000,
    );
    console.log(`fault: ${items.map((d) => `${d.class} ${d.network} ${d.vtep} (${d.dev})`).join('; ')}`);
    // only the GRE network is broken
    expect(items.filter((d) => d.network !== greNet)).toEqual([]);
    await lab('agent', 'restart', 'ovs1');
    await zeroDrift('after ovs1 restart', greNet);
    await expectPings('after ovs1 restart');
  });
});
