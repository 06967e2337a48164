/**
 * DVR on fixtures/dvr (messages and node bundles built from the Neutron 21.0.0 source's shapes,
 * fixtures/README.md#dvr): every DVR message decodes, a malformed one does not, and the analysis
 * catches the fixture's two faults (dvr2's flows miss dvr3's DVR MAC; dvr3's router namespace
 * misses vm-a's static ARP entry) and nothing else.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type DvrPayload,
  analyzeDvr,
  decodeMessage,
  diffNodeSnapshots,
  dvrHostInputs,
  emptyDvrAnnounced,
  foldDvr,
  messageRefs,
  parseDvrFlows,
  parseOfctlFlows,
  parseQrouterNeigh,
  snapshotsFromBundle,
  tapBindings,
} from '../../src';
import { FIXTURES, loadCapture } from '../fixtures';

const records = loadCapture('dvr');
const decoded = records.map((r) => ({ r, d: decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body }) }));

function bundle(step: string) {
  const dir = path.join(FIXTURES, 'dvr', step);
  const files: Record<string, string> = {};
  for (const f of readdirSync(dir)) files[f] = readFileSync(path.join(dir, f), 'utf8');
  const { snapshots, errors } = snapshotsFromBundle(files);
  expect(errors).toEqual([]);
  return snapshots;
}

function announced() {
  const state = emptyDvrAnnounced();
  const reports = new Map<string, { host: string; distributedRouting: boolean | null; l2population: boolean | null; arpResponder: boolean | null }>();
  for (const { r, d } of decoded) {
    if (!d.ok) continue;
    if (d.message.kind === 'dvr') foldDvr(state, d.message.dvr, r.ts.getTime());
    if (d.message.kind === 'report_state') {
      const a = d.message.agent;
      reports.set(a.host, { host: a.host, distributedRouting: a.distributedRouting, l2population: a.l2population, arpResponder: a.arpResponder });
    }
  }
  return { state, reports: [...reports.values()] };
}

describe('DVR messages', () => {
  it('decode every DVR method of the fixture with its fields', () => {
    const byMethod = new Map<string, DvrPayload[]>();
    for (const { d } of decoded)
      if (d.ok && d.message.kind === 'dvr') byMethod.set(d.message.method, [...(byMethod.get(d.message.method) ?? []), d.message.dvr]);
    expect([...byMethod.keys()].sort()).toEqual([
      'add_arp_entry',
      'del_arp_entry',
      'dvr_mac_address_update',
      'get_dvr_mac_address_by_host',
      'get_dvr_mac_address_list',
      'get_ports_on_host_by_subnet',
      'get_subnet_for_dvr',
    ]);
    expect(byMethod.get('dvr_mac_address_update')!.at(-1)).toEqual({
      method: 'dvr_mac_address_update',
      macs: [
        { host: 'dvr1', mac: 'fa:16:3f:3c:9e:01' },
        { host: 'dvr2', mac: 'fa:16:3f:3c:9e:02' },
        { host: 'dvr3', mac: 'fa:16:3f:3c:9e:03' },
      ],
    });
    expect(byMethod.get('add_arp_entry')![0]).toEqual({
      method: 'add_arp_entry',
      entry: { router: 'b8f3c2e1-5d4a-4f6e-9a7b-1c2d3e4f5a6b', subnet: '3f9a0c41-7b2e-4d18-a6c5-0e1f2a3b4c51', ip: '192.168.10.11', mac: 'fa:16:3e:aa:00:11' },
    });
    expect(byMethod.get('get_dvr_mac_address_by_host')![0]).toEqual({ method: 'get_dvr_mac_address_by_host', host: 'dvr1' });
    expect(byMethod.get('get_subnet_for_dvr')![0]).toMatchObject({ subnet: '3f9a0c41-7b2e-4d18-a6c5-0e1f2a3b4c51', fixedIps: [{ ip: '192.168.10.1' }] });
    const casts = decoded.filter(({ d }) => d.ok && d.message.kind === 'dvr' && d.message.target === 'fanout').map(({ r }) => r.exchange);
    expect(new Set(casts)).toEqual(new Set(['q-agent-notifier-dvr-update_fanout', 'l3_agent_fanout']));
  });

  it('name the hosts of a DVR message for the inspector', () => {
    const upd = decoded.find(
      ({ d }) =>
        d.ok &&
        d.message.method === 'dvr_mac_address_update' &&
        d.message.kind === 'dvr' &&
        d.message.dvr.method === 'dvr_mac_address_update' &&
        d.message.dvr.macs.length === 3,
    )!;
    expect(messageRefs(upd.d).hosts).toEqual(['dvr1', 'dvr2', 'dvr3']);
  });

  it('reject an add_arp_entry without a MAC as invalid_args, naming the field', () => {
    const bad = decoded.filter(({ d }) => !d.ok);
    expect(bad).toHaveLength(1);
    const d = bad[0]!.d;
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.method).toBe('add_arp_entry');
      expect(d.error.reason).toBe('invalid_args');
      expect(d.error.message).toContain('payload.arp_table.mac_address');
    }
  });

  it('reject a dvr_mac_address_update whose MAC is not a MAC', () => {
    const body = JSON.stringify({
      'oslo.version': '2.0',
      'oslo.message': JSON.stringify({ method: 'dvr_mac_address_update', args: { dvr_macs: [{ host: 'h', mac_address: 'zz' }] } }),
    });
    const d = decodeMessage({ exchange: 'q-agent-notifier-dvr-update_fanout', routingKey: '', body });
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.error.message).toBe('dvr_mac_address_update: dvr_macs.0.mac_address: not a MAC address');
  });

  it('are tapped: the DVR fanouts are bound by default', () => {
    const names = tapBindings().map((b) => b.exchange.name);
    expect(names).toContain('q-agent-notifier-dvr-update_fanout');
    expect(names).toContain('l3_agent_fanout');
  });
});

describe('DVR fold', () => {
  it('keeps the last full MAC list, adds and deletes static ARP entries', () => {
    const { state } = announced();
    expect([...state.macs]).toEqual([
      ['dvr1', 'fa:16:3f:3c:9e:01'],
      ['dvr2', 'fa:16:3f:3c:9e:02'],
      ['dvr3', 'fa:16:3f:3c:9e:03'],
    ]);
    expect([...state.arp.values()].map((e) => e.ip).sort()).toEqual(['192.168.10.11', '192.168.20.12', '192.168.20.13']);
    expect([...state.askedMac].sort()).toEqual(['dvr1', 'dvr2', 'dvr3']);
  });
});

describe('DVR node side', () => {
  it('read br-tun t1/t9 and br-int t0/t1/t3 from dump-flows text', () => {
    const tun = parseOfctlFlows(readFileSync(path.join(FIXTURES, 'dvr/1-dvr/dvr2-flows-br-tun.txt'), 'utf8')).flows;
    const int = parseOfctlFlows(readFileSync(path.join(FIXTURES, 'dvr/1-dvr/dvr2-flows-br-int.txt'), 'utf8')).flows;
    const f = parseDvrFlows(tun, int);
    expect(f.process).toEqual([
      { vlan: 1, qrMac: 'fa:16:3e:10:00:01', dvrMac: 'fa:16:3f:3c:9e:02' },
      { vlan: 2, qrMac: 'fa:16:3e:20:00:01', dvrMac: 'fa:16:3f:3c:9e:02' },
    ]);
    expect(f.qrDrops.map((d) => d.qrMac)).toEqual(['fa:16:3e:10:00:01', 'fa:16:3e:20:00:01']);
    expect(f.notLearn).toEqual(['fa:16:3f:3c:9e:01']);
    expect(f.brIntDvrMacs).toEqual(['fa:16:3f:3c:9e:01']);
    expect(f.toSrcMac).toEqual([
      { vlan: 1, vmMac: 'fa:16:3e:aa:00:11', gatewayMac: 'fa:16:3e:10:00:01' },
      { vlan: 2, vmMac: 'fa:16:3e:cc:00:13', gatewayMac: 'fa:16:3e:20:00:01' },
    ]);
    expect(f.arpToGateway.map((r) => r.gatewayMac)).toEqual(['fa:16:3e:10:00:01', 'fa:16:3e:20:00:01']);
  });

  it('read the OpenFlow 1.3 spellings too (set_field, goto_table, dl_vlan via vlan_tci)', () => {
    const { flows } = parseOfctlFlows(
      [
        ' table=1, priority=1,vlan_tci=0x1003/0x1fff,dl_src=fa:16:3e:10:00:01 actions=set_field:fa:16:3f:00:00:07->eth_src,goto_table:2',
        ' table=9, priority=1,dl_src=FA:16:3F:00:00:08 actions=output:1',
      ].join('\n'),
    );
    const f = parseDvrFlows(flows, []);
    expect(f.process).toEqual([{ vlan: 3, qrMac: 'fa:16:3e:10:00:01', dvrMac: 'fa:16:3f:00:00:07' }]);
    expect(f.notLearn).toEqual(['fa:16:3f:00:00:08']);
  });

  it('keep only permanent entries on qr- devices of qrouter namespaces', () => {
    const text = JSON.stringify([
      {
        namespace: 'qrouter-r1',
        neigh: [
          { dst: '10.0.0.5', dev: 'qr-aaaaaaaa-aa', lladdr: 'FA:16:3E:00:00:05', state: ['PERMANENT'] },
          { dst: '10.0.0.6', dev: 'qr-aaaaaaaa-aa', lladdr: 'fa:16:3e:00:00:06', state: ['REACHABLE'] },
          { dst: '10.0.0.7', dev: 'rfp-aaaaaaaa-a', lladdr: 'fa:16:3e:00:00:07', state: ['PERMANENT'] },
          { dst: '10.0.0.8', dev: 'qr-aaaaaaaa-aa', state: ['PERMANENT'] },
        ],
      },
      { namespace: 'snat-r1', neigh: [{ dst: '10.0.0.9', dev: 'sg-1', lladdr: 'fa:16:3e:00:00:09' }] },
      { namespace: 'qrouter-r2', neigh: [] },
    ]);
    expect(parseQrouterNeigh(text)).toEqual({
      namespaces: ['r1', 'r2'],
      entries: [{ router: 'r1', device: 'qr-aaaaaaaa-aa', ip: '10.0.0.5', mac: 'fa:16:3e:00:00:05' }],
    });
    expect(() => parseQrouterNeigh('{"namespace": 1}')).toThrow();
  });

  it('put the DVR section in the node snapshot, and in a delta only when it changed', () => {
    const snaps = bundle('1-dvr');
    expect(snaps.map((s) => s.host)).toEqual(['dvr1', 'dvr2', 'dvr3']);
    const dvr3 = snaps[2]!;
    expect(dvr3.errors).toEqual([]);
    expect(dvr3.openvswitch?.dvr?.routers?.entries.map((e) => e.ip)).toEqual(['192.168.20.12', '192.168.20.13']);
    const same = diffNodeSnapshots(dvr3, { ...dvr3, seq: dvr3.seq + 1 });
    expect(same.openvswitch).toBeUndefined();
    const changed = structuredClone(dvr3);
    changed.seq++;
    changed.openvswitch!.dvr!.flows.notLearn = [];
    expect(diffNodeSnapshots(dvr3, changed).openvswitch).toEqual({ dvr: changed.openvswitch!.dvr });
  });
});

describe('DVR analysis on fixtures/dvr', () => {
  it('catches the missing DVR MAC flow and the missing static ARP entry, and only those errors', () => {
    const { state, reports } = announced();
    const view = analyzeDvr(state, dvrHostInputs(reports, bundle('1-dvr')));
    const errors = view.findings.filter((f) => f.severity !== 'info');
    expect(errors.map((f) => [f.kind, f.host, f.peer ?? f.ip, f.mac])).toEqual([
      ['dvr_mac_flow_missing', 'dvr2', 'dvr3', 'fa:16:3f:3c:9e:03'],
      ['arp_entry_missing', 'dvr3', '192.168.10.11', 'fa:16:3e:aa:00:11'],
    ]);
    expect(errors[0]!.detail).toBe("dvr2 has no flow for dvr3's DVR MAC fa:16:3f:3c:9e:03 in br-tun t9 and br-int t0");
    // the fixture's ini says arp_responder = False: DVR forces it on (and report_state says so)
    expect(view.findings.filter((f) => f.severity === 'info').map((f) => [f.kind, f.host])).toEqual([
      ['dvr_arp_responder_forced', 'dvr1'],
      ['dvr_arp_responder_forced', 'dvr2'],
      ['dvr_arp_responder_forced', 'dvr3'],
    ]);
    expect(view.hosts.map((h) => [h.host, h.announcedMac, h.installedMac, `${h.peersInstalled}/${h.peers}`, h.routers])).toEqual([
      ['dvr1', 'fa:16:3f:3c:9e:01', 'fa:16:3f:3c:9e:01', '2/2', 1],
      ['dvr2', 'fa:16:3f:3c:9e:02', 'fa:16:3f:3c:9e:02', '1/2', 1],
      ['dvr3', 'fa:16:3f:3c:9e:03', 'fa:16:3f:3c:9e:03', '2/2', 1],
    ]);
    const row = view.arp.find((a) => a.ip === '192.168.10.11')!;
    expect(row.held).toEqual([
      { host: 'dvr1', mac: 'fa:16:3e:aa:00:11', device: 'qr-5a1b2c3d-4e' },
      { host: 'dvr2', mac: 'fa:16:3e:aa:00:11', device: 'qr-5a1b2c3d-4e' },
      { host: 'dvr3', mac: null, device: null },
    ]);
  });

  it('finds no DVR error once the two faults are repaired by hand (the finding is not always on)', () => {
    const { state, reports } = announced();
    const snaps = bundle('1-dvr');
    const dvr2 = snaps.find((x) => x.host === 'dvr2')!.openvswitch!.dvr!;
    const dvr3 = snaps.find((x) => x.host === 'dvr3')!.openvswitch!.dvr!;
    // dvr2 gets dvr3's DVR MAC in br-tun t9 and br-int t0, as dvr1 holds it
    dvr2.flows.notLearn.push('fa:16:3f:3c:9e:03');
    dvr2.flows.brIntDvrMacs.push('fa:16:3f:3c:9e:03');
    // dvr3's router namespace gets the static ARP entry of 192.168.10.11, as dvr1 holds it
    const held = snaps.find((x) => x.host === 'dvr1')!.openvswitch!.dvr!.routers!.entries.find((e) => e.ip === '192.168.10.11')!;
    dvr3.routers!.entries.push({ ...held });
    const view = analyzeDvr(state, dvrHostInputs(reports, snaps));
    expect(view.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(view.hosts.map((h) => `${h.host} ${h.peersInstalled}/${h.peers}`)).toEqual(['dvr1 2/2', 'dvr2 2/2', 'dvr3 2/2']);
  });

  it('reports a stale entry, a MAC mismatch and l2pop off on a DVR host', () => {
    const { state } = announced();
    const [snap] = bundle('1-dvr');
    const dvr = structuredClone(snap!.openvswitch!.dvr!);
    dvr.routers!.entries.push({ router: dvr.routers!.namespaces[0]!, device: 'qr-5a1b2c3d-4e', ip: '192.168.10.14', mac: 'fa:16:3e:dd:00:14' });
    dvr.flows.process = dvr.flows.process.map((p) => ({ ...p, dvrMac: 'fa:16:3f:3c:9e:77' }));
    const ini = { ...snap!.agent.ini!, l2population: false };
    const view = analyzeDvr(state, [{ host: 'dvr1', report: null, ini, l3AgentMode: null, flows: dvr.flows, routers: dvr.routers }]);
    expect(view.findings.map((f) => f.kind)).toEqual(['dvr_mac_mismatch', 'arp_entry_stale', 'dvr_l2pop_off']);
    expect(view.findings[1]!.detail).toContain('192.168.10.14 lladdr fa:16:3e:dd:00:14 on qr-5a1b2c3d-4e, never announced');
  });
});
