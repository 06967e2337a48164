/**
 * Agent state reports (`report_state`), as the Linux bridge and Open vSwitch agents send them.
 *
 * Mirrors neutron/agent/rpc.py `PluginReportStateAPI.report_state` (args
 * `{"agent_state": {"agent_state": {...}}, "time": "<iso>"}`) and the agents' `agent_state`:
 * neutron/plugins/ml2/drivers/agent/_common_agent.py (Linux bridge: `configurations` carries
 * `tunneling_ip`, `tunnel_types`, `l2_population`, `devices`; no `arp_responder`) and
 * neutron/plugins/ml2/drivers/openvswitch/agent/ovs_neutron_agent.py (adds
 * `arp_responder_enabled`, `enable_distributed_routing`); the L3 agent's `agent_mode` (l3-agent.ts).
 */
import { z } from 'zod';
import { L3_AGENT_MODES, type L3AgentMode } from './l3-agent';
import { arrayUntilInvalid } from './zod-bounded';

export const agentStateSchema = z
  .object({
    binary: z.string(),
    host: z.string().min(1),
    topic: z.string().optional(),
    agent_type: z.string(),
    start_flag: z.boolean().optional(),
    uuid: z.string().optional(),
    configurations: z
      .object({
        tunneling_ip: z.string().nullable().optional(),
        tunnel_types: arrayUntilInvalid(z.string()).optional(),
        l2_population: z.boolean().optional(),
        arp_responder_enabled: z.boolean().optional(),
        enable_distributed_routing: z.boolean().optional(),
        devices: z.number().int().optional(),
        /** L3 agent only (l3-agent.ts); a mode Neutron does not define fails the report (stored raw as undecodable). */
        agent_mode: z.enum(L3_AGENT_MODES).optional(),
      })
      .catchall(z.unknown())
      .default({}),
  })
  .catchall(z.unknown());

export const reportStateArgsSchema = z.object({
  agent_state: z.object({ agent_state: agentStateSchema }),
  time: z.string().optional(),
});

/** What l2scope keeps of one `report_state`. */
export interface AgentReport {
  host: string;
  binary: string;
  agentType: string;
  /** True on the first report after the agent (re)started. */
  startFlag: boolean;
  /** `configurations.tunneling_ip`: the agent's VTEP IP (joins hosts to fdb `ports` keys). */
  tunnelingIp: string | null;
  tunnelTypes: string[];
  /** `configurations.l2_population`; null when the agent does not report it. */
  l2population: boolean | null;
  /** OVS only: `configurations.arp_responder_enabled`; null for Linux bridge (read it on the node). */
  arpResponder: boolean | null;
  /** OVS only: `configurations.enable_distributed_routing` (DVR forces arp_responder on). */
  distributedRouting: boolean | null;
  /** `configurations.devices`: number of ports the agent handles. */
  devices: number | null;
  /** L3 agent only: `configurations.agent_mode` (legacy, dvr, dvr_snat, dvr_no_external); null otherwise. */
  agentMode: L3AgentMode | null;
  /** The agent's own timestamp of the report (`time`, ISO without zone, UTC). */
  reportedAt: string | null;
}

/** The agent types whose report_state describes a host's tunnel endpoint: Neutron's L2 agents that l2pop drives. */
export const L2POP_AGENT_TYPES: readonly string[] = ['Linux bridge agent', 'Open vSwitch agent'];

/**
 * Is this report_state the host's L2 agent's? Every Neutron agent reports on the same topic: on a
 * network node the DHCP, L3, metadata and metering agents report beside the L2 agent, every
 * `report_interval`, with their own `agent_type`, `start_flag` and `configurations` (no
 * `tunneling_ip`). Mirrors neutron/plugins/ml2/drivers/l2pop/db.py `get_agent_by_host` ("Return a
 * L2 agent on the host": the host's agent whose configurations carry `tunneling_ip`), and also
 * takes a Linux bridge or Open vSwitch agent that reports none (tunnelling off): it is still the
 * host's L2 agent. Every other report says nothing about the host's l2pop mode, VTEP or liveness.
 */
export function isL2AgentReport(a: AgentReport): boolean {
  return a.tunnelingIp !== null || L2POP_AGENT_TYPES.includes(a.agentType);
}

/** Build an {@link AgentReport} from validated `report_state` args. */
export function toAgentReport(args: z.infer<typeof reportStateArgsSchema>): AgentReport {
  const s = args.agent_state.agent_state;
  const c = s.configurations;
  return {
    host: s.host,
    binary: s.binary,
    agentType: s.agent_type,
    startFlag: s.start_flag === true,
    tunnelingIp: c.tunneling_ip ?? null,
    tunnelTypes: c.tunnel_types ?? [],
    l2population: c.l2_population ?? null,
    arpResponder: c.arp_responder_enabled ?? null,
    distributedRouting: c.enable_distributed_routing ?? null,
    devices: c.devices ?? null,
    agentMode: c.agent_mode ?? null,
    reportedAt: args.time ?? null,
  };
}
