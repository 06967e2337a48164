/**
 * The static ARP entries an L3 agent in `dvr` / `dvr_snat` mode holds: `nud permanent` neighbours on
 * the `qr-` devices of each `qrouter-<router id>` namespace (pure parsing).
 *
 * The node agent lists the namespaces (`ip netns list`) and, for each `qrouter-*`, runs
 * `ip -n qrouter-<id> -j neigh show nud permanent`; it sends them as one JSON document,
 * `[{"namespace": "qrouter-<id>", "neigh": <that command's JSON>}]` (raw output `qrouterNeigh`).
 * The L3 agent writes these entries with `ip neigh replace <ip> lladdr <mac> nud permanent dev qr-..`
 * (neutron/agent/l3/dvr_local_router.py `_update_arp_entry` -> ip_lib `add_neigh_entry`, whose
 * default state is permanent).
 */
import { z } from 'zod';

/** `qrouter-` + the router's UUID (neutron/agent/l3/namespaces.py `NS_PREFIX`). */
export const QROUTER_PREFIX = 'qrouter-';
/** Prefix of a DVR router's interface device in its namespace (neutron/agent/l3/router_info.py `INTERNAL_DEV_PREFIX`). */
export const QR_DEVICE_PREFIX = 'qr-';
/** Most namespaces and most entries per namespace kept. */
export const QROUTER_LIMITS = { namespaces: 5_000, entries: 20_000 } as const;

/** One static ARP entry held in a router namespace. */
export interface HeldArpEntry {
  router: string;
  device: string;
  ip: string;
  /** Lower-case MAC. */
  mac: string;
}

const neighRow = z
  .object({
    dst: z.string().max(64),
    dev: z.string().max(32).optional(),
    lladdr: z.string().max(64).optional(),
    state: z.array(z.string().max(32)).max(8).optional(),
  })
  .loose();
const doc = z.array(z.object({ namespace: z.string().max(255), neigh: z.array(z.unknown()).max(QROUTER_LIMITS.entries) })).max(QROUTER_LIMITS.namespaces);

/**
 * Parse the `qrouterNeigh` raw output.
 * @returns entries on `qr-` devices in `qrouter-*` namespaces whose state includes PERMANENT (a
 *   row without `state`, as `nud permanent` filtering prints it, counts as permanent), sorted by
 *   router, ip; `namespaces` the router ids seen (also those without entries)
 * @throws Error when the text is not the expected JSON document
 */
export function parseQrouterNeigh(text: string): { namespaces: string[]; entries: HeldArpEntry[] } {
  const parsed = doc.parse(JSON.parse(text));
  const namespaces: string[] = [];
  const entries: HeldArpEntry[] = [];
  for (const ns of parsed) {
    if (!ns.namespace.startsWith(QROUTER_PREFIX)) continue;
    const router = ns.namespace.slice(QROUTER_PREFIX.length);
    namespaces.push(router);
    for (const raw of ns.neigh) {
      const r = neighRow.safeParse(raw);
      if (!r.success || !r.data.dev?.startsWith(QR_DEVICE_PREFIX) || !r.data.lladdr) continue;
      if (r.data.state && !r.data.state.includes('PERMANENT')) continue;
      entries.push({ router, device: r.data.dev, ip: r.data.dst, mac: r.data.lladdr.toLowerCase() });
    }
  }
  entries.sort((a, b) => (a.router !== b.router ? (a.router < b.router ? -1 : 1) : a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  return { namespaces: [...new Set(namespaces)].sort(), entries };
}
