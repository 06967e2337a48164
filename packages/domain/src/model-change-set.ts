/**
 * What one `ClusterModel.apply` touched (internal to the domain's model.ts): the records, in the
 * order each was last touched, turned into absolute {@link ModelChange}s at the end.
 */
import type { HostMembership, HostView, ModelChange, NetworkView, VtepEntries } from './model-records';

/** A host record with its own arrays and `networks` record (safe to hand out). */
export function cloneHost(h: HostView): HostView {
  return { ...h, tunnelTypes: [...h.tunnelTypes], networks: { ...h.networks } };
}

/** The current records a {@link ChangeSet} reads its changes from (a `ClusterModel`). */
export interface ChangeSource {
  host(id: string): HostView | undefined;
  network(id: string): NetworkView | undefined;
  vtepEntries(network: string, vtep: string): VtepEntries | undefined;
}

/**
 * Collects which records a message touched, then emits each once with its final value, in the
 * order each was last touched. Linear in the number of marks: a Map keeps insertion order, and a
 * key touched again is deleted and re-added (moved to the end) in O(1) (a host-directed cast with
 * 40,000 VTEPs marks ~120,000 keys; an array with `indexOf` + `splice` took ~50 s on it).
 */
export class ChangeSet {
  /** Key -> what it names; the key is only for identity (ids may contain any character, NUL too). */
  private readonly order = new Map<string, [kind: 'h' | 'n' | 'v', a: string, b: string]>();
  /** Hosts whose `networks` record this message already replaced with a copy of its own. */
  private readonly owned = new Set<HostView>();

  /**
   * `h.networks`, replaced by a copy the first time this message writes it, so a record an earlier
   * change or snapshot handed out is never mutated, and a cast naming 40,000 networks copies it once
   * (not once per network).
   */
  ownNetworks(h: HostView): Record<string, HostMembership> {
    if (!this.owned.has(h)) {
      h.networks = { ...h.networks };
      this.owned.add(h);
    }
    return h.networks;
  }

  private mark(key: string, kind: 'h' | 'n' | 'v', a: string, b = ''): void {
    // keep the latest position: a host removed then re-added must end as an upsert
    this.order.delete(key);
    this.order.set(key, [kind, a, b]);
  }
  host(id: string): void {
    this.mark(`h\u0000${id}`, 'h', id);
  }
  hostRemoved(id: string): void {
    this.mark(`h\u0000${id}`, 'h', id);
  }
  network(id: string): void {
    this.mark(`n\u0000${id}`, 'n', id);
  }
  /** The network left the model at `at` (epoch ms): listed as `network_removed` unless it is back by the end. */
  networkRemoved(id: string, at: number): void {
    this.mark(`n\u0000${id}`, 'n', id, String(at));
  }
  vtep(network: string, vtep: string): void {
    this.mark(`v\u0000${network.length}\u0000${network}\u0000${vtep}`, 'v', network, vtep);
  }

  /** The changes, each record once with its value in `m` now, in the order each was last touched. */
  list(m: ChangeSource): ModelChange[] {
    const out: ModelChange[] = [];
    for (const [kind, a, b] of this.order.values()) {
      if (kind === 'h') {
        const h = m.host(a);
        out.push(h ? { type: 'host', host: cloneHost(h) } : { type: 'host_removed', id: a });
      } else if (kind === 'n') {
        const n = m.network(a);
        if (n) out.push({ type: 'network', network: { ...n } });
        else if (b !== '') out.push({ type: 'network_removed', id: a, at: Number(b) });
      } else {
        const v = m.vtepEntries(a, b);
        out.push(v ? { type: 'vtep', entries: v } : { type: 'vtep_removed', network: a, vtep: b });
      }
    }
    return out;
  }
}
