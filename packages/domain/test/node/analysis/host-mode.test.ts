/**
 * hostMode's flood summary per device (issue: a Lab1 host with its multicast `vxlan-649` and a
 * leftover l2pop `vxlan-650` was summarised as "half-switched"). The held state is built by hand
 * in the shape the held-state readers produce; the rows are the lab's (fixtures/lab1).
 */
import { describe, expect, it } from 'vitest';
import { FLOOD_MAC } from '../../../src/l2pop';
import type { Held } from '../../../src/node/analysis/held-state';
import { deviceFloodMode, hostMode } from '../../../src/node/analysis/host-mode';
import type { VxlanDevice } from '../../../src/node/linuxbridge';
import type { FullNodeSnapshot } from '../../../src/node/snapshot';

const device = (vni: number, group: string | null): VxlanDevice =>
  ({ name: `vxlan-${vni}`, vni, group, local: '10.0.20.12', proxy: false, learning: true, dstport: 8472, dev: 'ul0' }) as unknown as VxlanDevice;

function held(network: string, vni: number, group: string | null, flood: string[]): Held {
  const d = device(vni, group);
  const ev = { h: 'compute1', vxlan: d };
  return {
    network,
    vni,
    tunnelType: 'vxlan',
    present: true,
    dev: `vxlan-${vni}`,
    floodUnicast: new Map(flood.map((v) => [v, { h: 'compute1', fdb: { mac: FLOOD_MAC, dst: v } } as never])),
    floodGroups: new Map(group ? [[group, ev]] : []),
    rows: [],
    neigh: [],
    responder: false,
    device: d,
    lvid: null,
    l2popRows: flood.map((v) => ({ h: 'compute1', fdb: { mac: FLOOD_MAC, dst: v } }) as never),
    notes: [],
  };
}

const snap = { agent: { ini: null } } as unknown as FullNodeSnapshot;

describe('hostMode: flood mode and summary per device', () => {
  it('a multicast device beside a leftover l2pop device is not "half-switched": each device is summarised', () => {
    const m = new Map([
      ['net-a', held('net-a', 649, '224.0.0.1', [])],
      ['net-b', held('net-b', 650, null, ['10.0.20.11', '10.0.20.13'])],
    ]);
    const mode = hostMode({ host: null, snap, type: 'linuxbridge', vtep: '10.0.20.12', held: m });
    // no ini, no report_state: l2pop is inferred from the kernel only when the devices agree
    expect(mode.floodMode).toBe('per-device');
    expect(mode.networks.map((n) => [n.dev, n.floodMode])).toEqual([
      ['vxlan-649', 'multicast'],
      ['vxlan-650', 'unicast'],
    ]);
    expect(mode.summary).toBe('vxlan-649: flood-and-learn (multicast group 224.0.0.1); vxlan-650: l2pop (head-end replication)');
    expect(mode.summary).not.toMatch(/half-switched/);
  });

  it('with l2_population off, the l2pop device is named a leftover nobody maintains', () => {
    const m = new Map([
      ['net-a', held('net-a', 649, '224.0.0.1', [])],
      ['net-b', held('net-b', 650, null, ['10.0.20.11'])],
    ]);
    const host = { l2population: false, arpResponder: null, vtep: '10.0.20.12', lastReportAt: null } as never;
    const mode = hostMode({ host, snap, type: 'linuxbridge', vtep: '10.0.20.12', held: m });
    expect(mode.summary).toBe(
      'vxlan-649: flood-and-learn (multicast group 224.0.0.1); vxlan-650: 1 flood entry left from l2pop, not maintained (l2_population off, no multicast group)',
    );
  });

  it('one device with both a group and flood entries is half-switched, whatever the others do', () => {
    const m = new Map([
      ['net-a', held('net-a', 649, '224.0.0.1', ['10.0.20.11'])],
      ['net-b', held('net-b', 650, '224.0.0.1', [])],
    ]);
    const mode = hostMode({ host: null, snap, type: 'linuxbridge', vtep: '10.0.20.12', held: m });
    expect(mode.floodMode).toBe('multicast+unicast');
    expect(mode.summary).toBe(
      'vxlan-649: half-switched: multicast group 224.0.0.1 and 1 l2pop flood entry; vxlan-650: flood-and-learn (multicast group 224.0.0.1)',
    );
    expect(deviceFloodMode({ floodGroups: new Map(), floodUnicast: new Map() })).toBe('none');
  });
});
