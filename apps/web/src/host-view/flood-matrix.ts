/**
 * The network page's flood matrix: one row per member host, one column per VTEP (and multicast
 * group) any of them floods to or should flood to; each cell says how the domain's flood list of
 * (host, network) classes that recipient. The lists (actual / ideal / excess / missing / reach) are
 * the analysis' (`FloodList`); this module only lays them out.
 */
import { type FloodList, type NodeNetworkMember, isMulticastIp } from '@l2scope/domain';
import { compareIp } from '../lib/format';
import { type BumRates, pairRates } from './bum';

/**
 * - `both`: an ideal recipient the host replicates to;
 * - `expected`: an ideal recipient reached without a unicast copy (through a multicast group);
 * - `actual`: a recipient the host floods to that is not in the ideal list but not wasted either
 *   (its multicast group, flood-and-learn);
 * - `excess`: a wasted copy (outside ideal, or a group made redundant by unicast copies);
 * - `missing`: an ideal recipient no copy reaches (BUM lost);
 * - `none`: not concerned (the host's own VTEP included).
 *
 * `expected` / `actual` (ideal only / flooded only) are the cells' `data-state`, which the e2e specs read.
 */
export type CellState = 'both' | 'expected' | 'actual' | 'excess' | 'missing' | 'none';

/** A column: one recipient (VTEP or multicast group) of some member's flood list. */
export interface MatrixColumn {
  vtep: string;
  /** The member host owning this VTEP, if any. */
  host: string | null;
  group: boolean;
}

/** A cell: how the row's flood list classes the column's recipient. */
export interface MatrixCell {
  vtep: string;
  state: CellState;
  /** The column is the row's own VTEP. */
  self: boolean;
  /** Reached through a multicast group rather than a unicast copy. */
  viaGroup: boolean;
  /** BUM sent by the row's host to this recipient (its `tx` flows), null without a report. */
  tx: BumRates | null;
}

/** A member host (the domain's `NodeNetworkMember`, as `nodes.network` lists it) with its cells, in column order. */
export interface MatrixRow extends NodeNetworkMember {
  cells: MatrixCell[];
}

/** The matrix of one network: columns and rows in VTEP order (multicast groups last). */
export interface FloodMatrix {
  columns: MatrixColumn[];
  rows: MatrixRow[];
  /** Cells per state over the whole matrix (the own-VTEP cells excluded). */
  totals: Record<CellState, number>;
}

/** How one flood list classes one recipient. */
export function cellState(f: FloodList, vtep: string, self: boolean): { state: CellState; viaGroup: boolean } {
  if (self) return { state: 'none', viaGroup: false };
  const viaGroup = f.reach.includes(vtep) && !f.actual.includes(vtep);
  if (f.missing.includes(vtep)) return { state: 'missing', viaGroup };
  if (f.excess.includes(vtep)) return { state: 'excess', viaGroup };
  const ideal = f.ideal.includes(vtep);
  const flooded = f.actual.includes(vtep);
  if (ideal && flooded) return { state: 'both', viaGroup };
  if (ideal) return { state: 'expected', viaGroup };
  if (flooded) return { state: 'actual', viaGroup };
  return { state: 'none', viaGroup };
}

/**
 * Build the matrix of a network's member hosts (rows and columns in VTEP order, so own-VTEP cells
 * form the diagonal). `hosts`: as `nodes.network` lists them, BUM reports already validated.
 */
export function floodMatrix(hosts: readonly NodeNetworkMember[], vni: number | null): FloodMatrix {
  const owner = new Map<string, string>();
  for (const h of hosts) if (h.vtep) owner.set(h.vtep, h.host);
  const all = new Set<string>();
  for (const h of hosts) {
    if (h.vtep) all.add(h.vtep);
    for (const l of [h.flood.actual, h.flood.ideal, h.flood.excess, h.flood.missing, h.flood.reach]) for (const v of l) all.add(v);
  }
  const columns = [...all]
    .map((vtep): MatrixColumn => ({ vtep, host: owner.get(vtep) ?? null, group: isMulticastIp(vtep) }))
    .sort((a, b) => Number(a.group) - Number(b.group) || Number(a.host === null) - Number(b.host === null) || compareIp(a.vtep, b.vtep));
  const totals: Record<CellState, number> = { both: 0, expected: 0, actual: 0, excess: 0, missing: 0, none: 0 };
  const ordered = [...hosts].sort(
    (a, b) => Number(a.vtep === null) - Number(b.vtep === null) || compareIp(a.vtep ?? '', b.vtep ?? '') || a.host.localeCompare(b.host),
  );
  const rows = ordered.map((h): MatrixRow => {
    const cells = columns.map((c): MatrixCell => {
      const self = c.vtep === h.vtep;
      const { state, viaGroup } = cellState(h.flood, c.vtep, self);
      if (!self) totals[state]++;
      return { vtep: c.vtep, state, self, viaGroup, tx: self ? null : pairRates(h.bum ?? undefined, vni, c.vtep, 'tx') };
    });
    return { ...h, cells };
  });
  return { columns, rows, totals };
}
