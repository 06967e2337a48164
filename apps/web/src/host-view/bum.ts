/**
 * BUM meter reports (`l2scope.bum/1`, counted by the node agents) turned into per-second rates for
 * display: per flow (host page), per (host, remote VTEP, VNI) (network matrix, topology edges).
 * Counts and classes are the report's (domain `BumMeter`); this only divides by the interval.
 */
import { type BumCounters, type BumFlow, type BumReport, bumTotal } from '@l2scope/domain';
import { compareIp } from '../lib/format';

/** Frames per second of each class over the report's interval. */
export interface BumRates {
  /** broadcast + multicast + unknown unicast. */
  bum: number;
  broadcast: number;
  multicast: number;
  unknownUnicast: number;
  arp: number;
  arpRequest: number;
  arpReply: number;
  unicast: number;
  packets: number;
  /** Raw counts behind the rates. */
  counts: BumCounters;
  seconds: number;
}

/** Rates of counters over `seconds` (0 s: rates 0, counts kept). */
export function ratesOf(c: BumCounters, seconds: number): BumRates {
  const per = (n: number) => (seconds > 0 ? n / seconds : 0);
  return {
    bum: per(bumTotal(c)),
    broadcast: per(c.broadcast),
    multicast: per(c.multicast),
    unknownUnicast: per(c.unknownUnicast),
    arp: per(c.arp),
    arpRequest: per(c.arpRequest),
    arpReply: per(c.arpReply),
    unicast: per(c.unicast),
    packets: per(c.packets),
    counts: c,
    seconds,
  };
}

const ZERO: BumCounters = { broadcast: 0, multicast: 0, unknownUnicast: 0, arp: 0, arpRequest: 0, arpReply: 0, unicast: 0, packets: 0, bytes: 0 };

function add(a: BumCounters, b: BumCounters): BumCounters {
  return {
    broadcast: a.broadcast + b.broadcast,
    multicast: a.multicast + b.multicast,
    unknownUnicast: a.unknownUnicast + b.unknownUnicast,
    arp: a.arp + b.arp,
    arpRequest: a.arpRequest + b.arpRequest,
    arpReply: a.arpReply + b.arpReply,
    unicast: a.unicast + b.unicast,
    packets: a.packets + b.packets,
    bytes: a.bytes + b.bytes,
  };
}

/** A report's flows in display order (VNI, remote VTEP, tx before rx), with their rates. */
export function flowRows(r: BumReport): (BumFlow & { rates: BumRates })[] {
  return [...r.flows]
    .sort(
      (a, b) =>
        a.vni - b.vni || compareIp(a.remoteVtep, b.remoteVtep) || b.direction.localeCompare(a.direction) || Number(a.outerMulticast) - Number(b.outerMulticast),
    )
    .map((f) => ({ ...f, rates: ratesOf(f, r.seconds) }));
}

/**
 * Rates of the flows of one VNI between the reporting host and `remote` in one direction (outer
 * unicast and multicast together); null when the report has no such flow.
 */
export function pairRates(r: BumReport | undefined, vni: number | null, remote: string, direction: 'tx' | 'rx'): BumRates | null {
  if (!r || vni === null || r.unavailable) return null;
  let sum: BumCounters | null = null;
  for (const f of r.flows) if (f.vni === vni && f.remoteVtep === remote && f.direction === direction) sum = add(sum ?? ZERO, f);
  return sum ? ratesOf(sum, r.seconds) : null;
}

/**
 * BUM frames/s host A (VTEP `fromVtep`) sends to VTEP `toVtep` on a VNI: from A's report (`tx`),
 * else from the receiver's report (`rx` from A's VTEP); null when neither report says.
 */
export function linkBumRate(
  reports: ReadonlyMap<string, BumReport>,
  from: { host: string; vtep: string },
  to: { host: string | null; vtep: string },
  vni: number | null,
): number | null {
  const tx = pairRates(reports.get(from.host), vni, to.vtep, 'tx');
  if (tx) return tx.bum;
  if (to.host) {
    const rx = pairRates(reports.get(to.host), vni, from.vtep, 'rx');
    if (rx) return rx.bum;
  }
  // the sender's meter runs and saw nothing to that VTEP: 0, not unknown
  const own = reports.get(from.host);
  return own && !own.unavailable && vni !== null ? 0 : null;
}

/** Total BUM frames/s a host sends (all VNIs, all remotes), null without a usable report. */
export function hostTxBum(r: BumReport | undefined): number | null {
  if (!r || r.unavailable) return null;
  let n = 0;
  for (const f of r.flows) if (f.direction === 'tx') n += bumTotal(f);
  return r.seconds > 0 ? n / r.seconds : 0;
}
