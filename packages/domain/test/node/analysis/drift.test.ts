/** Drift classes on faults injected into copies of real snapshots (fixtures/lab2, lab3). */
import { describe, expect, it } from 'vitest';
import { FLOOD_MAC } from '../../../src';
import { analyzeStep, driftLines, editJson, foreignLines } from '../helpers';
import type { FdbJson, LinkJson, NeighJson } from './lab';

describe('faults injected into copies of real snapshots', () => {
  it('missing_flood / stale_entry / wrong_vtep (lab2, controller)', () => {
    const a = analyzeStep('lab2', '2-after-ping', (files) =>
      editJson<FdbJson>(files, 'controller-bridge-fdb.json', (rows) => {
        const out = rows.filter((r) => !(r.mac === FLOOD_MAC && r.dst === '10.0.20.13'));
        out.push({ mac: 'fa:16:3e:aa:aa:aa', ifname: 'vxlan-649', dst: '10.0.20.12', flags: ['self'], state: 'permanent' });
        for (const r of out) if (r.mac === 'fa:16:3e:b4:2c:fc' && r.dst) r.dst = '10.0.20.12';
        return out;
      }),
    );
    expect(driftLines(a, 'controller')).toEqual([
      `missing_flood ${FLOOD_MAC} - 10.0.20.13`,
      'stale_entry fa:16:3e:aa:aa:aa - 10.0.20.12',
      'wrong_vtep fa:16:3e:b4:2c:fc 172.16.1.13 10.0.20.12',
    ]);
    expect(driftLines(a, 'compute1')).toEqual([]);
  });

  it('a flood entry to a VTEP with no ports left is stale (wasted BUM), and excess in the flood list', () => {
    const a = analyzeStep('lab2', '5-after-delete-compute2', (files) =>
      editJson<FdbJson>(files, 'controller-bridge-fdb.json', (rows) => [
        ...rows,
        { mac: FLOOD_MAC, ifname: 'vxlan-649', dst: '10.0.20.13', flags: ['self'], state: 'permanent' },
      ]),
    );
    expect(driftLines(a, 'controller')).toEqual([`stale_entry ${FLOOD_MAC} - 10.0.20.13`]);
    expect(Object.values(a.hosts.controller!.flood)[0]).toMatchObject({ excess: ['10.0.20.13'], copies: 2 });
  });

  it('learned rows with l2pop on: a foreign MAC (not drift) for an unknown MAC; missing_unicast when it replaced an l2pop entry', () => {
    const a = analyzeStep('lab2', '2-after-ping', (files) =>
      editJson<FdbJson>(files, 'compute1-bridge-fdb.json', (rows) => {
        for (const r of rows) if (r.mac === 'fa:16:3e:dd:6f:d2' && r.dst) r.state = '';
        rows.push({ mac: 'fa:16:3e:00:00:42', ifname: 'vxlan-649', dst: '10.0.20.13', flags: ['self'], state: '' });
      }),
    );
    expect(driftLines(a, 'compute1')).toEqual(['missing_unicast fa:16:3e:dd:6f:d2 172.16.1.11 10.0.20.11']);
    expect(foreignLines(a, 'compute1')).toEqual(['foreign_mac fa:16:3e:00:00:42 - 10.0.20.13']);
    expect(a.hosts.compute1!.foreignMacs[0]).toMatchObject({
      network: a.hosts.compute1!.drift[0]!.network,
      dev: 'vxlan-649',
      evidence: [{ source: 'linuxbridge.fdb' }],
    });
    expect(a.hosts.compute1!.drift[0]!.detail).toMatch(/reached only through a learned row dst 10\.0\.20\.11/);
  });

  it('neigh_missing / neigh_stale (lab3, compute2)', () => {
    const a = analyzeStep('lab3', '2-after-ping', (files) =>
      editJson<NeighJson>(files, 'compute2-ip-neigh.json', (rows) => {
        const out = rows.filter((r) => r.dst !== '172.16.1.11');
        for (const r of out) if (r.dst === '172.16.1.12') r.lladdr = 'fa:16:3e:00:00:01';
        out.push({ dst: '172.16.1.99', dev: 'vxlan-649', lladdr: 'fa:16:3e:00:00:02', state: ['PERMANENT'] });
        return out;
      }),
    );
    expect(driftLines(a, 'compute2')).toEqual([
      'neigh_missing fa:16:3e:f1:e6:0b 172.16.1.11 -',
      'neigh_stale fa:16:3e:00:00:01 172.16.1.12 -',
      'neigh_stale fa:16:3e:00:00:02 172.16.1.99 -',
    ]);
    expect(a.hosts.compute2!.drift[1]).toMatchObject({
      expectedMac: 'fa:16:3e:82:2d:00',
      evidence: [{ file: 'compute2-ip-neigh.json', text: '172.16.1.12 dev vxlan-649 lladdr fa:16:3e:00:00:01 PERMANENT' }],
    });
  });

  it('IPv6 neighbours are NDP, not ARP (lab3, compute2)', () => {
    const a = analyzeStep('lab3', '2-after-ping', (files) =>
      editJson<NeighJson>(files, 'compute2-ip-neigh.json', (rows) => [
        ...rows,
        { dst: 'fd00:16::99', dev: 'vxlan-649', lladdr: 'fa:16:3e:00:00:03', state: ['PERMANENT'] },
      ]),
    );
    const d = a.hosts.compute2!.drift.find((x) => x.ip === 'fd00:16::99');
    expect(d).toMatchObject({ class: 'neigh_stale', detail: 'NDP responder entry for fd00:16::99, which l2pop does not announce' });
    expect(a.hosts.compute2!.drift.filter((x) => x.ip !== 'fd00:16::99').map((x) => x.detail)).toEqual([]);
  });

  it('with the vxlan device gone, frames to an announced MAC are dropped, not flooded (lab3, compute2)', () => {
    const a = analyzeStep('lab3', '2-after-ping', (files) => {
      editJson<LinkJson>(files, 'compute2-ip-link-vxlan.json', (links) => links.filter((l) => l.ifname !== 'vxlan-649'));
      editJson<FdbJson>(files, 'compute2-bridge-fdb.json', (rows) => rows.filter((r) => r.ifname !== 'vxlan-649'));
      editJson<NeighJson>(files, 'compute2-ip-neigh.json', (rows) => rows.filter((r) => r.dev !== 'vxlan-649'));
    });
    const unicast = a.hosts.compute2!.drift.filter((x) => x.class === 'missing_unicast');
    expect(unicast.length).toBeGreaterThan(0);
    for (const u of unicast) expect(u.detail).toMatch(/: frames to it are dropped, vxlan-649 does not exist$/);
  });

  it('no neighbour checks without the ARP responder (lab2: PERMANENT rows are not expected, nor missing)', () => {
    const a = analyzeStep('lab2', '2-after-ping');
    expect(a.hosts.controller!.mode.arpResponder).toBe('off');
    expect(driftLines(a, 'controller')).toEqual([]);
  });
});
