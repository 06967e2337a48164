/**
 * Unmaintained leftovers on a real Lab3 kernel (fixtures/lab3, step 5: compute2's last port
 * deleted, compute2 still holding the network), then compute2's agent restarted (a report_state
 * with `start_flag`, as the Linux bridge agent sends on start): it no longer applies the network's
 * casts, but its rows are what l2pop announces today. They are `unmaintained`, not stale.
 */
import { describe, expect, it } from 'vitest';
import { analyzeNodes, decodeMessage, snapshotsFromBundle } from '../../../src';
import { loadCapture, modelAt, snapshotTimes } from '../../fixtures';
import { bundleFilesOf, driftLines } from '../helpers';

function restartReport(host: string, ip: string) {
  const body = JSON.stringify({
    'oslo.version': '2.0',
    'oslo.message': JSON.stringify({
      method: 'report_state',
      args: {
        agent_state: {
          agent_state: {
            binary: 'neutron-linuxbridge-agent',
            host,
            agent_type: 'Linux bridge agent',
            start_flag: true,
            configurations: { tunneling_ip: ip, l2_population: true, arp_responder: true, tunnel_types: ['vxlan'], devices: 0 },
          },
        },
      },
    }),
  });
  const r = decodeMessage({ exchange: 'neutron', routingKey: 'q-reports-plugin', body });
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

describe('unmaintained: rows of a network a Linux bridge host no longer serves', () => {
  const step = '5-after-delete-compute2';
  const at = snapshotTimes('lab3').get(step)!;
  const { snapshots } = snapshotsFromBundle(bundleFilesOf('lab3', step), { takenAt: at });

  it('before the restart compute2 still applies the network: no drift', () => {
    const a = analyzeNodes({ model: modelAt(loadCapture('lab3'), at), snapshots });
    expect(driftLines(a, 'compute2')).toEqual([]);
  });

  it('after a restart without a port there, its rows are unmaintained (right now), not stale', () => {
    const model = modelAt(loadCapture('lab3'), at);
    model.apply(restartReport('compute2', '10.0.20.13'), at + 1, 1e9);
    const a = analyzeNodes({ model, snapshots });
    const drift = a.hosts.compute2!.drift;
    console.log(driftLines(a, 'compute2').join('\n'));
    expect(drift.length).toBeGreaterThan(0);
    expect(drift.filter((d) => d.class !== 'unmaintained').map((d) => `${d.class} ${d.detail}`)).toEqual([]);
    // both other VTEPs' flood entries, their MACs and (ARP responder) neighbours
    expect(drift.filter((d) => d.mac === '00:00:00:00:00:00').map((d) => d.vtep)).toEqual(['10.0.20.11', '10.0.20.12']);
    expect(drift.some((d) => d.ip !== null && d.vtep === null)).toBe(true);
    for (const d of drift) {
      expect(d.detail).toMatch(/compute2 has no port on this network since its agent restarted/);
      expect(d.detail).not.toMatch(/no ports on this network|does not announce/);
      expect(d.evidence.length).toBe(1);
    }
    // the others are untouched
    expect(driftLines(a, 'controller')).toEqual([]);
  });
});
