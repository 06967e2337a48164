'use client';
/** The side panel's data for the selected host: its record, and what the server told it per network (the domain's `toldFdbOf`). */
import { useMemo } from 'react';
import type { HostNetworkFdb, HostView } from '@l2scope/domain';
import { hostIn, hostOfVtepIn, linuxBridgeNames, toldFdbOf } from '@l2scope/domain';
import { agentKind } from '@/topology/graph';
import { type PortView, portsOf, vtepEntriesOf } from '@/state/model';
import { useL2 } from '@/state/store';
import { useDebounced } from './use-debounced';

export interface HostNetworkDetails extends HostNetworkFdb {
  /** Kernel/OVS names for this network on this host. */
  bridge: string | null;
  vxlan: string | null;
  joinedAt: number | null;
  directedAt: number | null;
  /** The host's own ports on the network. */
  ports: PortView[];
  /** VTEP -> host title, for the FDB rows and the flood list. */
  vtepTitles: Record<string, string>;
}

export interface HostDetails {
  host: HostView;
  networks: HostNetworkDetails[];
}

/** Details of the selected host, or null when none (or it vanished from the model). */
export function useHostDetails(): HostDetails | null {
  const id = useL2((s) => s.ui.selectedHost);
  // the panel follows live changes, at most a few times a second (re-renders, not recomputation:
  // the told FDB is memoised per host record and its networks' entries)
  const model = useDebounced(
    useL2((s) => s.model.state),
    150,
  );
  return useMemo(() => {
    if (!id) return null;
    const s = model.snapshot;
    const host = hostIn(s, id);
    if (!host) return null;
    const kind = agentKind(host.agentType);
    const title = (vtep: string) => {
      const owner = hostOfVtepIn(s, vtep);
      const h = owner ? hostIn(s, owner) : undefined;
      return h?.name ?? vtep;
    };
    const networks = toldFdbOf(s, id).map((n): HostNetworkDetails => {
      const vtepTitles: Record<string, string> = {};
      for (const r of n.fdb) vtepTitles[r.vtep] ??= title(r.vtep);
      for (const v of n.floodList) vtepTitles[v] ??= title(v);
      const membership = host.networks[n.network];
      return {
        ...n,
        bridge: kind === 'linuxbridge' ? linuxBridgeNames.bridge(n.network) : kind === 'ovs' ? 'br-tun' : null,
        vxlan: kind === 'linuxbridge' && n.vni !== null ? linuxBridgeNames.vxlan(n.vni) : null,
        joinedAt: membership?.joinedAt ?? null,
        directedAt: membership?.directedAt ?? null,
        ports: host.vtep ? portsOf(vtepEntriesOf(model, n.network, host.vtep)) : [],
        vtepTitles,
      };
    });
    return { host, networks };
  }, [id, model]);
}
