/**
 * When a network, and a host's membership of it, end (docs/l2pop.md#lifecycle).
 *
 * Sources (openstack/neutron):
 * - neutron/plugins/ml2/rpc.py `AgentNotifierApi.network_delete`: the server casts
 *   `network_delete(network_id=<uuid>)` on topic `q-agent-notifier-network-delete`, fanout (exchange
 *   `q-agent-notifier-network-delete_fanout`, topics.ts `NETWORK_DELETE_TOPIC`), once the network is
 *   deleted (after its ports).
 * - The Linux bridge agent (linuxbridge_neutron_agent.py `LinuxBridgeRpcCallbacks.network_delete`)
 *   deletes the network's bridge and VXLAN device and pops it from `network_map`: only then does it
 *   stop applying the network's casts (it keeps `network_map` when its last port goes).
 * - The OVS agent (ovs_neutron_agent.py `port_unbound`) reclaims the network's local VLAN
 *   (`reclaim_local_vlan`: flood, unicast and ARP responder flows of that lvid deleted) when its own
 *   last port on the network leaves; its `network_delete` does the same for a network it still has.
 */
import { z } from 'zod';

/** Longest network id accepted (Neutron's are 36-character UUIDs; anything far longer is hostile). */
export const NETWORK_ID_MAX = 255;

/** `args` of `network_delete`: `{network_id: <uuid>}` (rpc.py `AgentNotifierApi.network_delete`). */
export const networkDeleteArgsSchema = z.object({
  network_id: z.string().min(1).max(NETWORK_ID_MAX),
});

/** neutron_lib `AGENT_TYPE_OVS`, as `report_state.agent_type` names it. */
export const OVS_AGENT_TYPE = 'Open vSwitch agent';

/**
 * Whether a host's membership of a network ends with its own last port there (its VTEP's last
 * entries on the network removed), or only with `network_delete` / an agent restart.
 *
 * @param agentType the host's `report_state.agent_type`, null when it has not reported
 * @returns true for the OVS agent (`port_unbound` -> `reclaim_local_vlan`); false for the Linux
 *   bridge agent (keeps `network_map` until `network_delete`) and for an unknown agent (kept, as the
 *   model did before: the next `start_flag` report prunes it)
 */
export function membershipEndsWithLastPort(agentType: string | null): boolean {
  return agentType === OVS_AGENT_TYPE;
}
