'use client';
/**
 * The host view for the topology: host summaries and BUM reports from the store (live), flood
 * lists per network from `nodes.network` (the networks drawn: the picked one, or every network
 * of a small cloud), refetched shortly after a live node update. As of T ({@link useAsOfOverlay}):
 * the host summaries of T (`history.overview`) and the agents an `agent_down` finding open at T
 * names (`history.at`), the flood lists of T (`history.network`) and each host's last BUM report
 * received by T (`history.overview`): the flood edges' rates of T.
 */
import type { FloodList } from '@l2scope/domain';
import { useQueries, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { useTRPC } from '@/lib/trpc';
import { useHistoryAt, useHistoryOverview } from './use-as-of';
import { useL2 } from '@/state/store';
import { bumByHost } from '@/state/host-view';
import type { NodeOverlay } from '@/topology/overlay';
import { useDebounced } from './use-debounced';

/** Above this many networks, flood lists are loaded for the picked network only. */
export const OVERLAY_ALL_NETWORKS_MAX = 16;
const REFETCH_DEBOUNCE_MS = 400;
/** Stable (module-level) so that its result keeps its identity while no query's data changed. */
const pickData = <T>(results: { data: T | undefined }[]) => results.map((r) => r.data);

/** The networks whose flood lists the overlay loads: the picked one, or every network of a small cloud; none while inactive. */
function overlayNetworks(active: boolean, selected: string | null, networks: readonly { id: string }[]): string[] {
  if (!active) return [];
  if (selected) return [selected];
  if (networks.length > OVERLAY_ALL_NETWORKS_MAX) return [];
  return networks.map((n) => n.id).sort();
}

/** Flood lists by network, then host, from `nodes.network` / `history.network` answers. */
function floodsByNetwork(answers: readonly ({ network: { id: string }; hosts: { host: string; flood: FloodList }[] } | undefined)[]) {
  const byNetwork = new Map<string, Map<string, FloodList>>();
  for (const d of answers) if (d) byNetwork.set(d.network.id, new Map(d.hosts.map((h) => [h.host, h.flood])));
  return byNetwork;
}

/** The overlay, or null while no host has a node agent and no agent is down. */
export function useNodeOverlay(): NodeOverlay | null {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const view = useL2((s) => s.nodes.view);
  const rev = useL2((s) => s.nodes.rev);
  const networks = useL2((s) => s.model.state.snapshot.networks);
  const selected = useL2((s) => s.ui.selectedNetwork);
  const downAgents = useMemo(() => new Set(view.findings.filter((f) => f.kind === 'agent_down').flatMap((f) => f.hosts)), [view.findings]);
  const active = view.hosts.size > 0 || downAgents.size > 0;

  const ids = useMemo(() => overlayNetworks(active, selected, networks), [active, selected, networks]);

  const floods = useQueries({
    queries: ids.map((network) => ({ ...trpc.nodes.network.queryOptions({ network }), retry: false, staleTime: 30_000 })),
    combine: pickData,
  });

  // a live node update: the flood lists may have changed
  const debouncedRev = useDebounced(rev, REFETCH_DEBOUNCE_MS);
  useEffect(() => {
    if (debouncedRev > 0) void queryClient.invalidateQueries({ queryKey: trpc.nodes.network.pathKey() });
  }, [debouncedRev, queryClient, trpc]);

  return useMemo(() => {
    if (!active) return null;
    return { hosts: view.hosts, bum: view.bum, floods: floodsByNetwork(floods), downAgents };
  }, [active, view, floods, downAgents]);
}

/**
 * The overlay as of `at` (the time slider): each host's drift badge from its last analysis at or
 * before T, down agents from the findings open at T, and the flood lists of T (`history.network`,
 * for the same networks as live: the picked one, or every network of a small cloud as of T), and
 * the BUM rates of each host's last report received at or before T. Null when live, while loading,
 * or when no host had an analysis nor a down agent at T.
 */
export function useAsOfOverlay(at: string | null): NodeOverlay | null {
  const trpc = useTRPC();
  const o = useHistoryOverview(at);
  const h = useHistoryAt(at);
  const selected = useL2((s) => s.ui.selectedNetwork);
  const hosts = at && !o.isPlaceholderData ? o.data?.hosts : undefined;
  const reports = at && !o.isPlaceholderData ? o.data?.bum : undefined;
  const bum = useMemo(() => bumByHost(reports ?? []), [reports]);
  const findings = at && !h.isPlaceholderData ? h.data?.findings : undefined;
  const networks = at && !h.isPlaceholderData ? h.data?.model.networks : undefined;
  const downAgents = useMemo(() => new Set((findings ?? []).filter((f) => f.kind === 'agent_down').flatMap((f) => f.hosts)), [findings]);
  const active = !!hosts && (hosts.length > 0 || downAgents.size > 0);
  const ids = useMemo(() => overlayNetworks(active, selected, networks ?? []), [active, selected, networks]);
  const floods = useQueries({
    queries: ids.map((network) => ({
      ...trpc.history.network.queryOptions({ network, at: at ?? new Date(0).toISOString() }),
      retry: false,
      staleTime: Infinity,
    })),
    combine: pickData,
  });
  return useMemo(() => {
    if (!hosts || !active) return null;
    return { hosts: new Map(hosts.map((x) => [x.host, x])), floods: floodsByNetwork(floods), bum, downAgents };
  }, [hosts, active, floods, bum, downAgents]);
}
