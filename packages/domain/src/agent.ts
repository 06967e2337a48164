/**
 * Agent state reports (`report_state`), as the Linux bridge and Open vSwitch agents send them.
 *
 * Mirrors neutron/agent/rpc.py `PluginReportStateAPI.report_state` (args
 * `{"agent_state": {"agent_state": {...}}, "time": "<iso>"}`) and the agents' `agent_state`:
 * neutron/plugins/ml2/drivers/agent/_common_agent.py (Linux bridge: `configurations` carries
 * `tunneling_ip`, `tunnel_types`, `l2_population`, `devices`; no `arp_responder`) and
 * neutron/plugins/ml2/drivers/openvswitch/agent/ovs_neutron_agent.py (adds
 * `arp_responder_enabled`, `enable_distributed_routing`).
 */
import { z } from 'zod';
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
  /** The agent's own timestamp of the report (`time`, ISO without zone, UTC). */
  reportedAt: string | null;
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
    reportedAt: args.time ?? null,
  };
}
