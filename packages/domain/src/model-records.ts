/**
 * The records of the cluster model (model.ts `ClusterModel`) as they are stored, sent to browsers
 * and folded (model-fold.ts): networks, VTEP entries, hosts and their memberships, the absolute
 * {@link ModelChange}s between them, the whole {@link ModelSnapshot}, and what a host was told.
 * Plain data, no behaviour but {@link modelChangeKey}.
 */
/** A network l2pop has told about. */
export interface NetworkView {
  /** Neutron network UUID. */
  id: string;
  /** Segmentation id (VNI for VXLAN); null if never sent. */
  vni: number | null;
  networkType: string;
  /** Epoch ms of the first message naming it. */
  firstSeenAt: number;
}

/**
 * One VTEP's entries on one network, as every other l2pop agent on that network holds them.
 * Absolute state: a change replaces the previous value for the same (network, vtep).
 */
export interface VtepEntries {
  network: string;
  vtep: string;
  /** The flood entry is present: BUM of this network is replicated to this VTEP. */
  flood: boolean;
  /** Unicast FDB rows `mac dst <vtep>`, sorted. */
  macs: string[];
  /** Neighbour rows (ARP responder data): IP -> MAC, sorted by IP. */
  neigh: Record<string, string>;
  /** Epoch ms of the last message that changed it. */
  updatedAt: number;
}

/**
 * A hypervisor: named by its agent's `report_state`, or, until then, only known as a VTEP IP
 * seen in fdb entries (`name` null, `id` = `vtep:<ip>`).
 */
export interface HostView {
  /** Stable key: the host name, or `vtep:<ip>` for a VTEP not yet named. */
  id: string;
  name: string | null;
  /** VTEP IP (`tunneling_ip`). */
  vtep: string | null;
  agentType: string | null;
  binary: string | null;
  /** `l2_population` as the agent reports it; null when unknown (no report yet). */
  l2population: boolean | null;
  /** OVS `arp_responder_enabled`; null for Linux bridge (not reported) or unknown. */
  arpResponder: boolean | null;
  distributedRouting: boolean | null;
  tunnelTypes: string[];
  devices: number | null;
  /** Epoch ms of the last report with `start_flag` (agent (re)start). */
  startedAt: number | null;
  /** Epoch ms of the last report_state. */
  lastReportAt: number | null;
  /** Networks in the agent's `network_map`: it applies their casts. */
  networks: Record<string, HostMembership>;
}

/** A host's membership of one network. */
export interface HostMembership {
  /** Epoch ms it joined (first own port announced, or first host-directed cast). */
  joinedAt: number;
  /** Epoch ms of the last host-directed full FDB for it, null if none seen. */
  directedAt: number | null;
}

/** One change of the model, absolute (idempotent to re-apply). Broadcast to browsers and persisted. */
export type ModelChange =
  | { type: 'host'; host: HostView }
  | { type: 'host_removed'; id: string }
  | { type: 'network'; network: NetworkView }
  /** Neutron deleted the network (`network_delete`) at `at` (epoch ms): it leaves the live view. */
  | { type: 'network_removed'; id: string; at: number }
  | { type: 'vtep'; entries: VtepEntries }
  | { type: 'vtep_removed'; network: string; vtep: string };

/**
 * The record a change is about, e.g. `host:compute1`, `vtep:<network>/<ip>`: a later change with
 * the same key replaces an earlier one (used to coalesce changes and to key projections).
 */
export function modelChangeKey(c: ModelChange): string {
  switch (c.type) {
    case 'host':
      return `host:${c.host.id}`;
    case 'host_removed':
      return `host:${c.id}`;
    case 'network':
      return `network:${c.network.id}`;
    case 'network_removed':
      return `network:${c.id}`;
    case 'vtep':
      return `vtep:${c.entries.network}/${c.entries.vtep}`;
    case 'vtep_removed':
      return `vtep:${c.network}/${c.vtep}`;
  }
}

/** The whole model, as stored and as sent to a browser on load. */
export interface ModelSnapshot {
  /** Id of the last message applied (0 when none). */
  seq: number;
  hosts: HostView[];
  networks: NetworkView[];
  vteps: VtepEntries[];
}

/** A unicast or flood FDB row a host was told to hold. */
export interface ToldFdbRow {
  mac: string;
  vtep: string;
  flood: boolean;
}

/** What the server told one host about one network (its own VTEP excluded, as the agent skips it). */
export interface HostNetworkFdb {
  network: string;
  vni: number | null;
  /** true: the agent applies l2pop; false: told by the server but not applied (l2_population=false); null: unknown. */
  applied: boolean | null;
  fdb: ToldFdbRow[];
  /** Neighbour rows the ARP responder would hold (only applied with arp_responder). */
  neigh: { ip: string; mac: string }[];
  /** Remote VTEPs that receive this host's BUM for the network (its l2pop flood list). */
  floodList: string[];
}
