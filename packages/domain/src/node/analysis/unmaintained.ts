/**
 * Unmaintained leftovers: what a Linux bridge host still holds on a network it no longer serves.
 *
 * When a host's last port on a network leaves, the Linux bridge agent keeps the network in
 * `network_map` and keeps applying its casts (see model.ts). Once the agent restarts without a
 * port there, `network_map` no longer has the network: the agent ignores its casts
 * (linuxbridge_neutron_agent.py `LinuxBridgeRpcCallbacks.fdb_add` / `fdb_remove` skip a network
 * without a segment in `network_map`), but it does not delete the `vxlan-<VNI>` device nor its
 * `bridge fdb` rows and PERMANENT neighbours. The model drops the host's membership then, so it is
 * told nothing there. Those rows are not wrong (yet): each one that matches what l2pop announces
 * on the network today is `unmaintained` (right now, and it goes stale at the next change, as no
 * cast will update it); the rest are judged as any row nobody was told (`stale_entry`,
 * `neigh_stale`).
 */
import { FLOOD_MAC } from '../../l2pop';
import type { DriftItem } from './drift';
import { render } from './evidence';
import type { Held } from './held-state';
import { type Told, toldNeigh } from './told';

/** What {@link splitUnmaintained} returns: the drift items of the matching rows, and the held state left to judge. */
export interface UnmaintainedSplit {
  /** One `unmaintained` drift item per held row that matches today's announcements. */
  items: DriftItem[];
  /** `held` without those rows (flood entries, unicast rows, neighbours that do not match). */
  rest: Held;
}

/**
 * Split what host `host` holds on a network it is no longer a member of (`held`) against the
 * network's announcements (`net`, the host's own VTEP `own` skipped, as the agent would).
 * Pure. Evidence: each row as the tools print it.
 */
export function splitUnmaintained(host: string, held: Held, net: Told, own: string | null): UnmaintainedSplit {
  const items: DriftItem[] = [];
  const why = `not maintained: ${host} has no port on this network since its agent restarted, so it applies no cast here; right now, stale at the next change`;
  const add = (d: Omit<DriftItem, 'network' | 'dev' | 'class'>) => items.push({ class: 'unmaintained', network: held.network, dev: held.dev, ...d });

  const floodUnicast = new Map(held.floodUnicast);
  for (const [v, e] of held.floodUnicast) {
    if (v === own || !net.flood.has(v)) continue;
    floodUnicast.delete(v);
    add({ mac: FLOOD_MAC, ip: null, vtep: v, detail: `flood entry to ${v}, which has ports on this network: ${why}`, evidence: [render(e)] });
  }
  const rows = held.rows.filter((r) => {
    const m = r.learned || r.vtep === null || r.vtep === own ? undefined : net.macs.get(r.mac);
    if (!m?.vteps.has(r.vtep!)) return true;
    add({
      mac: r.mac,
      ip: net.ipOfMac.get(r.mac) ?? null,
      vtep: r.vtep,
      detail: `entry for ${r.mac} dst ${r.vtep}, as l2pop announces it: ${why}`,
      evidence: [render(r.ev)],
    });
    return false;
  });
  const scoped: Told = { ...net, own };
  const neigh = held.neigh.filter((n) => {
    if (n.mac === null || toldNeigh(scoped, n.ip) !== n.mac) return true;
    add({ mac: n.mac, ip: n.ip, vtep: null, detail: `neighbour ${n.ip} -> ${n.mac}, as l2pop announces it: ${why}`, evidence: [render(n.ev)] });
    return false;
  });
  return { items, rest: { ...held, floodUnicast, rows, neigh } };
}
