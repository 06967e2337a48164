/**
 * DVR on fixtures/dvr-lab: **real** lab output (fixtures/README.md#dvr-lab). neutron-server 21.0.0
 * with the router plugin and distributed routers, three OVS hosts with `enable_distributed_routing`
 * and a neutron-l3-agent each (ovs1 `dvr_snat`), one router on 172.16.1.0/24 and 172.16.2.0/24.
 * The tap recorded from before ovs3 joined (its DVR MAC cast carries the full list) and before any
 * VM port (each port's static ARP entry came by cast). `1-dvr`: every host's bundle after a full
 * ping matrix (36/36, east-west across the subnets). `2-faults`: by hand, ovs1's br-tun table 9
 * flow for ovs2's DVR MAC deleted (`ovs-ofctl del-flows br-tun table=9,dl_src=<mac>`) and the
 * static ARP entry of 172.16.1.21 deleted from ovs2's `qrouter-` namespace (`ip neigh del`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  analyzeDvr,
  decodeMessage,
  dvrHostInputs,
  emptyDvrAnnounced,
  foldDvr,
  isL2AgentReport,
  l3AgentStateOf,
  latestL3Agents,
  snapshotsFromBundle,
} from '../../src';
import { FIXTURES, loadCapture, modelAt } from '../fixtures';

const OVS2_DVR_MAC = 'fa:16:3f:a0:a0:fc';

const records = loadCapture('dvr-lab');
const decoded = records.map((r) => ({ r, d: decodeMessage({ exchange: r.exchange, routingKey: r.routingKey, body: r.body }) }));

function bundle(step: string) {
  const dir = path.join(FIXTURES, 'dvr-lab', step);
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
    // the L3 agents report_state too: only the host's L2 agent describes it
    if (d.message.kind === 'report_state' && isL2AgentReport(d.message.agent)) {
      const a = d.message.agent;
      reports.set(a.host, { host: a.host, distributedRouting: a.distributedRouting, l2population: a.l2population, arpResponder: a.arpResponder });
    }
  }
  return { state, reports: [...reports.values()] };
}

/** The L3 agents' latest state per host, from their own report_state. */
function l3Agents() {
  return latestL3Agents(
    decoded.flatMap(({ r, d }) => (d.ok && d.message.kind === 'report_state' ? (l3AgentStateOf(d.message.agent, r.ts.getTime()) ?? []) : [])),
  );
}

describe('DVR on the real lab capture', () => {
  it('decodes the DVR casts: one full DVR MAC list of the three hosts, one static ARP entry per VM port', () => {
    const methods = new Map<string, number>();
    for (const { d } of decoded) if (d.ok && d.message.kind === 'dvr') methods.set(d.message.dvr.method, (methods.get(d.message.dvr.method) ?? 0) + 1);
    expect(decoded.filter(({ r, d }) => !d.ok && /dvr|arp_entry/.test(Buffer.from(r.body).toString('utf8')))).toEqual([]);
    expect(methods.get('dvr_mac_address_update')).toBe(1);
    expect(methods.get('add_arp_entry')).toBe(7);
    const { state } = announced();
    // sent as FA-16-3F-A0-A0-FC (netaddr's EUI-48 form), held as fa:16:3f:a0:a0:fc
    expect([...state.macs.keys()].sort()).toEqual(['ovs1', 'ovs2', 'ovs3']);
    expect(state.macs.get('ovs2')).toBe(OVS2_DVR_MAC);
    expect(state.arp.size).toBeGreaterThan(0);
  });

  it('finds no DVR finding on the clean lab: every peer DVR MAC in the flows, every static ARP entry in every qrouter', () => {
    const { state, reports } = announced();
    expect(reports.map((r) => [r.host, r.distributedRouting, r.l2population, r.arpResponder]).sort()).toEqual([
      ['controller', null, true, null],
      ['ovs1', true, true, true],
      ['ovs2', true, true, true],
      ['ovs3', true, true, true],
    ]);
    const view = analyzeDvr(state, dvrHostInputs(reports, bundle('1-dvr'), l3Agents()));
    expect(view.findings).toEqual([]);
    expect(view.hosts.map((h) => [h.host, h.l3AgentMode])).toEqual([
      ['controller', null],
      ['ovs1', 'dvr_snat'],
      ['ovs2', 'dvr'],
      ['ovs3', 'dvr'],
    ]);
    expect(view.hosts.map((h) => `${h.host} ${h.peersInstalled}/${h.peers} ${h.routers} ${h.announcedMac === h.installedMac}`)).toEqual([
      // the Linux bridge host: no DVR, no snapshot here
      'controller 0/0 null true',
      'ovs1 2/2 1 true',
      'ovs2 2/2 1 true',
      'ovs3 2/2 1 true',
    ]);
  });

  it('catches the two hand-made faults as exactly the expected findings', () => {
    const { state, reports } = announced();
    const view = analyzeDvr(state, dvrHostInputs(reports, bundle('2-faults')));
    expect(view.findings.map((f) => [f.kind, f.host, f.peer ?? f.ip, f.mac])).toEqual([
      ['dvr_mac_flow_missing', 'ovs1', 'ovs2', OVS2_DVR_MAC],
      ['arp_entry_missing', 'ovs2', '172.16.1.21', 'fa:16:3e:66:1f:8a'],
    ]);
    expect(view.findings[0]!.detail).toBe(`ovs1 has no flow for ovs2's DVR MAC ${OVS2_DVR_MAC} in br-tun t9`);
  });

  it("reads each L3 agent's agent_mode from its own report_state, and the L3 reports leave the L2 agent's host as it is", () => {
    const states = decoded.flatMap(({ r, d }) => (d.ok && d.message.kind === 'report_state' ? (l3AgentStateOf(d.message.agent, r.ts.getTime()) ?? []) : []));
    // the L3 agents heartbeat too: several reports per host, all with the mode of their l3_agent.ini
    expect(states.length).toBeGreaterThan(3);
    expect(l3Agents().map((s) => [s.host, s.binary, s.agentMode])).toEqual([
      ['ovs1', 'neutron-l3-agent', 'dvr_snat'],
      ['ovs2', 'neutron-l3-agent', 'dvr'],
      ['ovs3', 'neutron-l3-agent', 'dvr'],
    ]);
    // no L2 agent report is taken for an L3 one, and no L2 agent reports a mode
    for (const { d } of decoded)
      if (d.ok && d.message.kind === 'report_state' && isL2AgentReport(d.message.agent)) expect(d.message.agent.agentMode).toBeNull();
    const hosts = modelAt(records)
      .snapshot()
      .hosts.filter((h) => h.name?.startsWith('ovs'))
      .sort((a, b) => a.id.localeCompare(b.id));
    expect(hosts.map((h) => [h.id, h.agentType, h.binary, h.distributedRouting, h.l2population])).toEqual([
      ['ovs1', 'Open vSwitch agent', 'neutron-openvswitch-agent', true, true],
      ['ovs2', 'Open vSwitch agent', 'neutron-openvswitch-agent', true, true],
      ['ovs3', 'Open vSwitch agent', 'neutron-openvswitch-agent', true, true],
    ]);
  });
});
