/**
 * Golden tests against a real neutron-server and real Linux bridge agents: after replaying the
 * captured l2pop stream up to each snapshot, what the model says the server told each host
 * equals what that host's kernel holds on vxlan-649.
 */
import { describe, expect, it } from 'vitest';
import { FLOOD_MAC, l2popFdbRows, parseBridgeFdb, parseIpNeigh, permanentNeighRows } from '../src';
import { loadCapture, modelAt, readFixture, snapshotTimes } from './fixtures';

const HOSTS = ['controller', 'compute1', 'compute2'] as const;
const VTEP = { controller: '10.0.20.11', compute1: '10.0.20.12', compute2: '10.0.20.13' } as const;
const DEV = 'vxlan-649';
const STEPS = ['1-ports-active', '2-after-ping', '3-after-agent-restart', '4-after-ip-change', '5-after-delete-compute2', '6-all-deleted'];

function kernelFdb(lab: string, step: string, host: string): string[] {
  const rows = l2popFdbRows(parseBridgeFdb(readFixture(lab, step, `${host}-bridge-fdb.json`)), DEV);
  return rows.map((r) => `${r.mac} dst ${r.dst}`).sort();
}

function kernelNeigh(lab: string, step: string, host: string): string[] {
  return permanentNeighRows(parseIpNeigh(readFixture(lab, step, `${host}-ip-neigh.json`)), DEV)
    .map((r) => `${r.ip} lladdr ${r.mac}`)
    .sort();
}

describe.each(['lab2', 'lab3'])('%s: told by the server == held by the kernel', (lab) => {
  const records = loadCapture(lab);
  const times = snapshotTimes(lab);

  it.each(STEPS)('step %s', (step) => {
    const model = modelAt(records, times.get(step)!);
    for (const host of HOSTS) {
      const told = model.toldFdb(host);
      const rows = told
        .flatMap((n) => (n.vni === 649 ? n.fdb : []))
        .map((r) => `${r.mac} dst ${r.vtep}`)
        .sort();
      expect({ host, fdb: rows }).toEqual({ host, fdb: kernelFdb(lab, step, host) });
      for (const n of told) expect(n.applied).toBe(true);
      // the own VTEP is never in a host's told entries
      expect(told.flatMap((n) => n.fdb).some((r) => r.vtep === VTEP[host])).toBe(false);
    }
  });

  it('took every step of the scenario', () => {
    expect(STEPS.every((s) => times.has(s))).toBe(true);
  });
});

describe('lab3: ARP responder neighbour entries == the kernel PERMANENT rows on vxlan-649', () => {
  const records = loadCapture('lab3');
  const times = snapshotTimes('lab3');
  it.each(STEPS)('step %s', (step) => {
    const model = modelAt(records, times.get(step)!);
    for (const host of HOSTS) {
      const neigh = model
        .toldFdb(host)
        .flatMap((n) => n.neigh)
        .map((r) => `${r.ip} lladdr ${r.mac}`)
        .sort();
      expect({ host, neigh }).toEqual({ host, neigh: kernelNeigh('lab3', step, host) });
    }
  });
});

describe('lab2: no neighbour entries without arp_responder', () => {
  it('the kernel holds no PERMANENT neighbour rows on vxlan-649 while the model has l2pop data', () => {
    const times = snapshotTimes('lab2');
    const model = modelAt(loadCapture('lab2'), times.get('2-after-ping')!);
    expect(model.toldFdb('controller').flatMap((n) => n.neigh).length).toBeGreaterThan(0);
    for (const host of HOSTS) expect(kernelNeigh('lab2', '2-after-ping', host)).toEqual([]);
  });
});

describe('lab1: the server casts l2pop, the agents (l2_population=false) never apply it', () => {
  const records = loadCapture('lab1');
  const times = snapshotTimes('lab1');

  it('the server did send l2pop casts in lab1', () => {
    const model = modelAt(records, times.get('1-ports-active')!);
    const told = HOSTS.flatMap((h) => model.toldFdb(h));
    expect(told.flatMap((n) => n.fdb).filter((r) => r.mac !== FLOOD_MAC).length).toBeGreaterThan(0);
  });

  it.each(STEPS)('step %s: every host is told but does not apply; kernel holds no l2pop rows', (step) => {
    const model = modelAt(records, times.get(step)!);
    for (const host of HOSTS) {
      const h = model.host(host)!;
      expect(h.l2population).toBe(false);
      for (const n of model.toldFdb(host)) expect(n.applied).toBe(false);
      expect(kernelFdb('lab1', step, host)).toEqual([]);
    }
  });

  it('the kernel floods to the multicast group instead (vxlan-649 group 224.0.0.1)', () => {
    const rows = parseBridgeFdb(readFixture('lab1', '1-ports-active', 'controller-bridge-fdb.json'));
    expect(rows.some((r) => r.dev === DEV && r.mac === FLOOD_MAC && r.dst === '224.0.0.1' && r.state === 'permanent')).toBe(true);
  });
});
