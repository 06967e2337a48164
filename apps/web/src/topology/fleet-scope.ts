/**
 * What a click on the fleet view drills down to, and the VNI x host matrix. Pure, over the model
 * snapshot (see state/model.ts).
 *
 * A drill-down is a small model: the chosen hosts, the VTEP entries of their VTEPs and every
 * network, so the React Flow topology (graph.ts) draws it unchanged, at most
 * {@link DRILL_MAX_HOSTS} cards (React Flow stays well under its ~1,000 DOM node comfort zone).
 */
import type { HostView, ModelSnapshot } from '@l2scope/domain';

/** Most host cards a drill-down draws. */
export const DRILL_MAX_HOSTS = 40;

/** What the fleet view drilled into. */
export type DrillTarget = { kind: 'host'; host: string } | { kind: 'group'; group: string; hosts: readonly string[] };

/**
 * A host's neighbourhood: the host, then the hosts sharing the most networks with it (the
 * `network` given: only that network's members), at most `max` in all, ties by id.
 * @returns host ids, the host first; empty when the host is not in the snapshot
 */
export function neighbourhood(s: ModelSnapshot, host: string, network: string | null, max = DRILL_MAX_HOSTS): string[] {
  const me = s.hosts.find((h) => h.id === host);
  if (!me) return [];
  const mine = network ? [network] : Object.keys(me.networks);
  const shared = new Map<string, number>();
  for (const h of s.hosts) {
    if (h.id === host) continue;
    let n = 0;
    for (const net of mine) if (h.networks[net]) n++;
    if (n > 0) shared.set(h.id, n);
  }
  const others = [...shared].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([id]) => id);
  return [host, ...others.slice(0, Math.max(0, max - 1))];
}

/** The snapshot restricted to `hosts` (ids): their records and their VTEPs' entries; networks kept. */
export function scopeSnapshot(s: ModelSnapshot, hosts: readonly string[]): ModelSnapshot {
  const ids = new Set(hosts);
  const kept = s.hosts.filter((h) => ids.has(h.id));
  const vteps = new Set(kept.map((h) => h.vtep).filter((v): v is string => v !== null));
  return { seq: s.seq, hosts: kept, networks: s.networks, vteps: s.vteps.filter((v) => vteps.has(v.vtep)) };
}

/**
 * Cells of the VNI x host matrix: `None` not a member, no entries; `Member` in the agent's
 * network_map, nothing announced for its VTEP; `Flood` ports announced and the flood entry present
 * (BUM reaches it); `NoFlood` ports announced but no flood entry (no one replicates BUM to it).
 */
export const MatrixCell = { None: 0, Member: 1, Flood: 2, NoFlood: 3 } as const;

/** The VNI x host matrix: rows networks (by VNI), columns hosts (as given), `cells[row * cols + col]`. */
export interface VniMatrix {
  networks: { id: string; vni: number | null }[];
  hosts: { id: string; title: string }[];
  cells: Uint8Array;
}

/**
 * The matrix of `hosts` (ids, in column order) over the networks any of them is on (or only
 * `network`). Bounded by the caller: a group's hosts x their networks.
 */
export function vniMatrix(s: ModelSnapshot, hosts: readonly string[], network: string | null = null): VniMatrix {
  const byId = new Map(s.hosts.map((h) => [h.id, h]));
  const cols: HostView[] = hosts.map((id) => byId.get(id)).filter((h): h is HostView => !!h);
  const vtepCol = new Map<string, number>();
  cols.forEach((h, i) => h.vtep && vtepCol.set(h.vtep, i));
  const netIds = new Set<string>();
  if (network) netIds.add(network);
  else for (const h of cols) for (const n of Object.keys(h.networks)) netIds.add(n);
  for (const v of s.vteps) if (!network && vtepCol.has(v.vtep) && (v.flood || v.macs.length)) netIds.add(v.network);
  const nets = s.networks
    .filter((n) => netIds.has(n.id))
    .map((n) => ({ id: n.id, vni: n.vni }))
    .sort((a, b) => (a.vni ?? Infinity) - (b.vni ?? Infinity) || a.id.localeCompare(b.id));
  const row = new Map(nets.map((n, i) => [n.id, i]));
  const cells = new Uint8Array(nets.length * cols.length);
  cols.forEach((h, c) => {
    for (const n of Object.keys(h.networks)) {
      const r = row.get(n);
      if (r !== undefined) cells[r * cols.length + c] = MatrixCell.Member;
    }
  });
  for (const v of s.vteps) {
    const c = vtepCol.get(v.vtep);
    const r = row.get(v.network);
    if (c === undefined || r === undefined) continue;
    if (v.macs.length) cells[r * cols.length + c] = v.flood ? MatrixCell.Flood : MatrixCell.NoFlood;
    else if (v.flood) cells[r * cols.length + c] = MatrixCell.Flood;
  }
  return { networks: nets, hosts: cols.map((h) => ({ id: h.id, title: h.name ?? h.vtep ?? h.id })), cells };
}
