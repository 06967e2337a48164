/**
 * A network node runs the DHCP, L3 and metadata agents beside its L2 agent, and every one of them
 * sends `report_state` on the same topic with the same host. Only the L2 agent's report describes
 * the host (neutron/plugins/ml2/drivers/l2pop/db.py `get_agent_by_host`: the agent reporting a
 * `tunneling_ip`). The companion agents' reports below are built from the Neutron 21.0.0 source's
 * `agent_state` (neutron/agent/dhcp/agent.py `DhcpAgentWithStateReport`, neutron/agent/l3/agent.py
 * `L3NATAgentWithStateReport`, neutron/agent/metadata/agent.py `UnixDomainMetadataProxy`): the
 * captures of the lab hold none, as the lab runs no such agent.
 */
import { describe, expect, it } from 'vitest';
import { ClusterModel, type DecodedMessage, agentLiveness, decodeMessage, isL2AgentReport } from '../src';
import { loadCapture } from './fixtures';

function reportOf(agentState: Record<string, unknown>, time: string): DecodedMessage {
  const body = JSON.stringify({
    'oslo.version': '2.0',
    'oslo.message': JSON.stringify({ method: 'report_state', args: { agent_state: { agent_state: agentState }, time } }),
  });
  const r = decodeMessage({ exchange: 'neutron', routingKey: 'q-reports-plugin', body });
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

const companions = (host: string, startFlag: boolean) => [
  {
    binary: 'neutron-dhcp-agent',
    host,
    availability_zone: 'nova',
    topic: 'dhcp_agent',
    configurations: {
      dhcp_driver: 'neutron.agent.linux.dhcp.Dnsmasq',
      dhcp_lease_duration: 86400,
      log_agent_heartbeats: false,
      networks: 1,
      subnets: 1,
      ports: 2,
    },
    start_flag: startFlag,
    agent_type: 'DHCP agent',
    resource_versions: {},
  },
  {
    binary: 'neutron-l3-agent',
    host,
    availability_zone: 'nova',
    topic: 'l3_agent',
    configurations: {
      agent_mode: 'dvr_snat',
      handle_internal_only_routers: true,
      interface_driver: 'linuxbridge',
      log_agent_heartbeats: false,
      routers: 1,
      ex_gw_ports: 1,
      interfaces: 1,
      floating_ips: 0,
    },
    start_flag: startFlag,
    agent_type: 'L3 agent',
  },
  {
    binary: 'neutron-metadata-agent',
    host,
    topic: 'N/A',
    configurations: {
      metadata_proxy_socket: '/var/lib/neutron/metadata_proxy',
      nova_metadata_host: '127.0.0.1',
      nova_metadata_port: 8775,
      log_agent_heartbeats: false,
    },
    start_flag: startFlag,
    agent_type: 'Metadata agent',
  },
];

function lab3(): { model: ClusterModel; end: number; seq: number } {
  const model = new ClusterModel();
  let seq = 0;
  let end = 0;
  for (const r of loadCapture('lab3')) {
    const d = decodeMessage(r);
    if (!d.ok) continue;
    end = r.ts.getTime();
    model.apply(d.message, end, ++seq);
  }
  return { model, end, seq };
}

describe('companion agents on an L2 agent host', () => {
  it('tells the L2 agent apart: tunneling_ip, or a Linux bridge / Open vSwitch agent type', () => {
    const kinds = companions('controller', true).map((s) => reportOf(s, '2026-11-20T10:00:00.000000'));
    for (const k of kinds)
      if (k.kind === 'report_state') expect({ t: k.agent.agentType, l2: isL2AgentReport(k.agent) }).toEqual({ t: k.agent.agentType, l2: false });
    const l2 = loadCapture('lab3')
      .map((r) => decodeMessage(r))
      .flatMap((d) => (d.ok && d.message.kind === 'report_state' ? [d.message.agent] : []));
    expect(l2.length).toBeGreaterThan(0);
    expect(l2.every(isL2AgentReport)).toBe(true);
  });

  it("a DHCP, L3 or metadata agent's report_state (restart included) changes nothing of the host", () => {
    const { model, end } = lab3();
    const before = model.host('controller')!;
    expect(before.agentType).toBe('Linux bridge agent');
    expect(Object.keys(before.networks).length).toBeGreaterThan(0);
    let at = end;
    for (const start of [true, false]) {
      for (const s of companions('controller', start)) {
        at += 1000;
        const changes = model.apply(reportOf(s, new Date(at).toISOString().replace('Z', '')), at, 0);
        expect(changes).toEqual([]);
      }
    }
    expect(model.host('controller')).toEqual(before);
  });

  it("the companions' heartbeats keep no dead L2 agent alive", () => {
    const { model, end } = lab3();
    const last = model.host('controller')!.lastReportAt!;
    let at = end;
    for (let i = 0; i < 6; i++) {
      at += 30_000;
      for (const s of companions('controller', false)) model.apply(reportOf(s, new Date(at).toISOString().replace('Z', '')), at, 0);
    }
    expect(model.host('controller')!.lastReportAt).toBe(last);
    expect(agentLiveness(model.host('controller')!.lastReportAt, at)?.alive).toBe(false);
  });
});
