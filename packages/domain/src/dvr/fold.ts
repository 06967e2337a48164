/**
 * What the server announced about DVR, folded from the decoded DVR messages in arrival order
 * (pure, bounded): each host's DVR MAC and each router's static ARP entries.
 *
 * Semantics mirror the receivers: the OVS agent's `dvr_mac_address_update` replaces its whole
 * set of remote DVR MACs with the list (ovs_dvr_neutron_agent.py `dvr_mac_address_update`: MACs
 * gone from the list lose their flows, new ones get them); the L3 agent's `add_arp_entry` /
 * `del_arp_entry` set / delete one `nud permanent` neighbour in `qrouter-<router_id>`
 * (neutron/agent/l3/agent.py `add_arp_entry`, dvr_local_router.py `_update_arp_entry`).
 */
import type { DvrArpEntry, DvrPayload } from './messages';

/** Most static ARP entries kept (the oldest router's entries are not dropped: new adds beyond the bound are counted in `dropped`). */
export const MAX_DVR_ARP_ENTRIES = 200_000;

/** The announced DVR state. */
export interface DvrAnnounced {
  /** host -> DVR MAC, from the last `dvr_mac_address_update` (the full list). */
  macs: Map<string, string>;
  /** `<router>|<ip>` -> the entry last added (deleted ones removed). */
  arp: Map<string, DvrArpEntry>;
  /** Hosts that asked `get_dvr_mac_address_by_host` (an OVS agent with DVR starting up). */
  askedMac: Set<string>;
  /** Epoch ms of the last `dvr_mac_address_update` folded, null before any. */
  macsAt: number | null;
  /** add_arp_entry casts not kept because of {@link MAX_DVR_ARP_ENTRIES}. */
  dropped: number;
}

/** An empty announced state. */
export function emptyDvrAnnounced(): DvrAnnounced {
  return { macs: new Map(), arp: new Map(), askedMac: new Set(), macsAt: null, dropped: 0 };
}

const arpKey = (e: Pick<DvrArpEntry, 'router' | 'ip'>) => `${e.router}|${e.ip}`;

/**
 * Fold one DVR message into `state` (mutated and returned).
 * @param at epoch ms the message was received
 */
export function foldDvr(state: DvrAnnounced, payload: DvrPayload, at: number): DvrAnnounced {
  switch (payload.method) {
    case 'dvr_mac_address_update':
      state.macs = new Map(payload.macs.map((m) => [m.host, m.mac]));
      state.macsAt = at;
      break;
    case 'add_arp_entry': {
      const k = arpKey(payload.entry);
      if (!state.arp.has(k) && state.arp.size >= MAX_DVR_ARP_ENTRIES) state.dropped++;
      else state.arp.set(k, payload.entry);
      break;
    }
    case 'del_arp_entry':
      // `ip neigh del <ip> lladdr <mac> dev qr-..`: the kernel deletes by address whatever the MAC
      state.arp.delete(arpKey(payload.entry));
      break;
    case 'get_dvr_mac_address_by_host':
      if (state.askedMac.size < MAX_DVR_ARP_ENTRIES) state.askedMac.add(payload.host);
      break;
    default:
      break;
  }
  return state;
}
