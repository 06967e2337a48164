/**
 * Convergence: for each l2pop cast, when the matching entry appeared on (or, for a remove,
 * disappeared from) each host's data plane, and a per-host lag figure.
 *
 * The worker calls `expect` when it folds a cast into the model (with the hosts that apply it:
 * members of the network with l2_population on, the VTEP's own host excluded; for a
 * host-directed cast, its target) and `observe` with every new node snapshot. The lag is the
 * snapshot's `takenAt` (node clock) minus the cast's receive time (worker clock): on hosts
 * whose clocks are not synchronised, it is off by their skew. The node agent sends a delta
 * shortly after each kernel change (`bridge monitor fdb`), so the lag measured is the agent's
 * reaction time plus that notification delay.
 *
 * Only what changes in the kernel after the cast is timed: an entry the host's latest snapshot
 * already shows in the asked-for state when the cast arrives (the full FDB a restarted or
 * migrated-to host is sent, a flood entry re-announced while the host's agent was down, the second
 * copy of a cast Neutron sends twice) is counted as `alreadyHeld`, never as a sample: timing it
 * would measure the wait for the next periodic snapshot, or nothing at all. The latest state is
 * keyed by segment (tunnel type and segmentation id: VXLAN VNI 5 and GRE key 5 are two networks), so a
 * snapshot read before the model knew the segment's network still counts. An entry whose host has
 * no snapshot yet, or whose cast names no `segment_id`, is timed as before.
 */
import type { FdbMessage } from '../decode';
import { FLOOD_MAC } from '../l2pop';
import { heldTunnelState, segmentId } from './analysis/held-state';
import type { FullNodeSnapshot } from './snapshot';

/** One entry seen to converge on one host. */
export interface ConvergenceSample {
  host: string;
  network: string;
  vtep: string;
  /** The unicast MAC, or 00:00:00:00:00:00 for the flood entry. */
  mac: string;
  change: 'add' | 'remove';
  /** Id of the (first) cast that asked for it. */
  messageId: number;
  /** Epoch ms the worker received the cast. */
  castAt: number;
  /** Epoch ms of the snapshot that showed it. */
  seenAt: number;
  lagMs: number;
}

/** Per-host lag figures over the last `window` samples. */
export interface HostConvergence {
  host: string;
  samples: number;
  lastLagMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
  /** Entries asked for and not seen yet. */
  pending: number;
  /** Entries not seen within the timeout (dropped from pending). */
  timedOut: number;
  /**
   * Entries a cast asked for that the host's latest snapshot already showed in that state (not timed);
   * absent when unknown (figures read back from a database without the host's stored counts).
   */
  alreadyHeld?: number;
}

interface Pending {
  change: 'add' | 'remove';
  network: string;
  /** The cast's segment ({@link segmentId} of its `network_type` and `segment_id`); null when it sent no `segment_id`. */
  segment: string | null;
  vtep: string;
  mac: string;
  at: number;
  messageId: number;
}

export interface ConvergenceOptions {
  /** Pending entries older than this are counted as timed out (ms, default 120 s). */
  timeoutMs?: number;
  /** Bound on pending entries over all hosts (oldest dropped first, counted as timed out). */
  maxPending?: number;
  /** Samples kept per host for the lag figures. */
  window?: number;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Lag figures of a host from its samples' lags (ms, oldest first), with the tracker's counts of
 * entries still pending and timed out (and, when given, already held).
 */
export function lagFigures(host: string, lags: number[], pending = 0, timedOut = 0, alreadyHeld?: number): HostConvergence {
  const sorted = [...lags].sort((a, b) => a - b);
  return {
    host,
    samples: lags.length,
    lastLagMs: lags.length ? lags[lags.length - 1]! : null,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : null,
    pending,
    timedOut,
    ...(alreadyHeld === undefined ? {} : { alreadyHeld }),
  };
}

/** Key of one l2pop entry in a host's latest held state: segment ({@link segmentId}), VTEP, MAC. */
const heldKey = (segment: string, vtep: string, mac: string) => `${segment}\u0000${vtep}\u0000${mac}`;

export class ConvergenceTracker {
  private readonly pending = new Map<string, Map<string, Pending>>();
  private readonly lags = new Map<string, number[]>();
  private readonly timedOut = new Map<string, number>();
  private readonly alreadyHeld = new Map<string, number>();
  /** Per host, the l2pop entries (flood entries and non-learned unicast rows) its latest snapshot shows, by {@link heldKey}. */
  private readonly held = new Map<string, Set<string>>();
  private total = 0;
  private readonly timeoutMs: number;
  private readonly maxPending: number;
  private readonly window: number;

  constructor(opts: ConvergenceOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.maxPending = opts.maxPending ?? 200_000;
    this.window = opts.window ?? 256;
  }

  /**
   * Register what an add/remove cast asks of each host that applies it. A duplicate cast (Neutron
   * sends each twice) keeps the first one's time. An entry the host's latest snapshot already
   * shows in the asked-for state is not pending (it replaces a pending opposite change): counted
   * as already held.
   * @param applying for each entry's network and VTEP, the hosts that must apply it
   */
  expect(msg: FdbMessage, at: number, messageId: number, applying: (network: string, vtep: string) => string[]): void {
    const change = msg.method === 'add_fdb_entries' ? 'add' : 'remove';
    for (const e of msg.entries) {
      const mac = e.flood ? FLOOD_MAC : e.mac;
      const key = `${e.network}\u0000${e.vtep}\u0000${mac}`;
      const segment = e.vni === null ? null : segmentId(e.networkType, e.vni);
      const hk = segment === null ? null : heldKey(segment, e.vtep, mac);
      for (const host of applying(e.network, e.vtep)) {
        let m = this.pending.get(host);
        const prev = m?.get(key);
        if (prev && prev.change === change) continue;
        const held = this.held.get(host);
        if (held && hk !== null && held.has(hk) === (change === 'add')) {
          if (prev) {
            m!.delete(key);
            this.total--;
          }
          this.alreadyHeld.set(host, (this.alreadyHeld.get(host) ?? 0) + 1);
          continue;
        }
        if (!m) this.pending.set(host, (m = new Map()));
        if (!prev) this.total++;
        m.set(key, { change, network: e.network, segment, vtep: e.vtep, mac, at, messageId });
      }
    }
    if (this.total > this.maxPending) this.evictOldest(this.total - this.maxPending);
  }

  /**
   * A host's latest full snapshot: every pending entry it now shows (add) or no longer shows
   * (remove) converged at `snap.takenAt`.
   * @param byVni VNI -> network id, from the model
   */
  observe(snap: FullNodeSnapshot, byVni: Map<number, string>): ConvergenceSample[] {
    const state = heldTunnelState(snap, byVni);
    const keys = new Set<string>();
    for (const h of state) {
      const segment = segmentId(h.tunnelType, h.vni);
      for (const v of h.floodUnicast) keys.add(heldKey(segment, v, FLOOD_MAC));
      for (const u of h.unicast) if (!u.learned && u.vtep !== null) keys.add(heldKey(segment, u.vtep, u.mac));
    }
    this.held.set(snap.host, keys);
    const m = this.pending.get(snap.host);
    if (!m || m.size === 0) return [];
    const seenAt = Date.parse(snap.takenAt);
    const held = new Map(state.map((h) => [h.network, h])); // only for a cast without a VNI
    const out: ConvergenceSample[] = [];
    for (const [key, p] of m) {
      let present: boolean;
      if (p.segment !== null) present = keys.has(heldKey(p.segment, p.vtep, p.mac));
      else {
        const h = held.get(p.network);
        present = h
          ? p.mac === FLOOD_MAC
            ? h.floodUnicast.includes(p.vtep)
            : h.unicast.some((u) => !u.learned && u.mac === p.mac && u.vtep === p.vtep)
          : false;
      }
      if (present !== (p.change === 'add')) continue;
      m.delete(key);
      this.total--;
      const lagMs = Math.max(0, seenAt - p.at);
      out.push({ host: snap.host, network: p.network, vtep: p.vtep, mac: p.mac, change: p.change, messageId: p.messageId, castAt: p.at, seenAt, lagMs });
      let l = this.lags.get(snap.host);
      if (!l) this.lags.set(snap.host, (l = []));
      l.push(lagMs);
      if (l.length > this.window) l.splice(0, l.length - this.window);
    }
    return out;
  }

  /** Drop everything known of a host (an expired host): its pending entries, lags, counts and latest held state. */
  forget(host: string): void {
    this.total -= this.pending.get(host)?.size ?? 0;
    this.pending.delete(host);
    this.lags.delete(host);
    this.timedOut.delete(host);
    this.alreadyHeld.delete(host);
    this.held.delete(host);
  }

  /** Count pending entries older than the timeout as timed out. */
  sweep(now: number): void {
    for (const [host, m] of this.pending) {
      for (const [key, p] of m) {
        if (now - p.at <= this.timeoutMs) continue;
        m.delete(key);
        this.total--;
        this.timedOut.set(host, (this.timedOut.get(host) ?? 0) + 1);
      }
    }
  }

  private evictOldest(n: number): void {
    const all: [string, string, number][] = [];
    for (const [host, m] of this.pending) for (const [key, p] of m) all.push([host, key, p.at]);
    all.sort((a, b) => a[2] - b[2]);
    for (const [host, key] of all.slice(0, n)) {
      this.pending.get(host)?.delete(key);
      this.total--;
      this.timedOut.set(host, (this.timedOut.get(host) ?? 0) + 1);
    }
  }

  /** Lag figures per host that has samples, pending, timed-out or already held entries. */
  stats(): HostConvergence[] {
    const hosts = new Set([...this.lags.keys(), ...this.pending.keys(), ...this.timedOut.keys(), ...this.alreadyHeld.keys()]);
    return [...hosts]
      .sort()
      .map((host) =>
        lagFigures(host, this.lags.get(host) ?? [], this.pending.get(host)?.size ?? 0, this.timedOut.get(host) ?? 0, this.alreadyHeld.get(host) ?? 0),
      );
  }
}
