/**
 * The DVR page's data (docs/dvr.md): the stored DVR messages folded in arrival order, the L2
 * agents' last report_state (the `Host` projection), the L3 agents' (`L3Agent`, their `agent_mode`)
 * and the node agents' latest snapshots, analysed
 * by @l2scope/domain `analyzeDvr`. Read-only.
 */
import { DVR_METHODS, type DvrView, analyzeDvr, decodeDvrArgs, dvrHostInputs, emptyDvrAnnounced, foldDvr, isDvrMethod } from '@l2scope/domain';
import type { Db } from '../client';
import { readL3Agents } from './l3-agents';
import { storedDecoded } from './messages';
import { loadNodeSnapshots } from './node-state';

/** Most DVR messages folded per read (the newest ones; DVR casts are rare: one per port change on a routed subnet). */
export const MAX_DVR_MESSAGES = 100_000;

/** The DVR view plus how many stored DVR messages it folded. */
export interface DvrPage extends DvrView {
  /** DVR messages folded (at most {@link MAX_DVR_MESSAGES}, the newest). */
  messages: number;
  /** Epoch ms of the last `dvr_mac_address_update` folded; null when none is stored. */
  macsAt: number | null;
}

/**
 * Read and analyse. Each stored message's `oslo.args` (its decoded form: `storedDecoded`, decoded
 * again from the raw body for rows stored without it, one decode per DVR message) is validated
 * again with the domain's DVR schema (a row that no longer validates is skipped), so nothing
 * unchecked reaches the page.
 */
export async function readDvrPage(db: Pick<Db, 'message' | 'host' | 'nodeState' | 'l3Agent'>): Promise<DvrPage> {
  const rows = await db.message.findMany({
    where: { method: { in: [...DVR_METHODS] }, ok: true },
    orderBy: { id: 'desc' },
    take: MAX_DVR_MESSAGES,
    select: { method: true, ok: true, exchange: true, routingKey: true, decoded: true, raw: true, rawTruncated: true, receivedAt: true },
  });
  const state = emptyDvrAnnounced();
  let folded = 0;
  for (const r of rows.reverse()) {
    if (!r.method || !isDvrMethod(r.method)) continue;
    const args = (storedDecoded(r) as { oslo?: { args?: unknown } } | null)?.oslo?.args;
    if (typeof args !== 'object' || args === null) continue;
    const p = decodeDvrArgs(r.method, args as Record<string, unknown>);
    if (!p.ok) continue;
    foldDvr(state, p.payload, r.receivedAt.getTime());
    folded++;
  }
  const hosts = await db.host.findMany({
    where: { expiredAt: null, name: { not: null } },
    select: { id: true, distributedRouting: true, l2population: true, arpResponder: true },
  });
  const { snapshots } = await loadNodeSnapshots(db);
  const l3Agents = await readL3Agents(db);
  const reports = hosts.map((h) => ({ host: h.id, distributedRouting: h.distributedRouting, l2population: h.l2population, arpResponder: h.arpResponder }));
  return { ...analyzeDvr(state, dvrHostInputs(reports, snapshots, l3Agents)), messages: folded, macsAt: state.macsAt };
}
