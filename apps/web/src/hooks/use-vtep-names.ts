'use client';
/** VTEP -> host name, from the model (report_state) and the host view, for labelling VTEP IPs. */
import { useCallback, useMemo } from 'react';
import { useL2 } from '@/state/store';

/** A lookup `vtep -> host name | null`. */
export function useVtepNames(): (vtep: string) => string | null {
  const hosts = useL2((s) => s.model.state.snapshot.hosts);
  const nodes = useL2((s) => s.nodes.view.hosts);
  const map = useMemo(() => {
    const m = new Map<string, string>();
    for (const h of hosts) if (h.vtep && h.name) m.set(h.vtep, h.name);
    for (const h of nodes.values()) if (h.vtep) m.set(h.vtep, h.host);
    return m;
  }, [hosts, nodes]);
  return useCallback((vtep: string) => map.get(vtep) ?? null, [map]);
}
