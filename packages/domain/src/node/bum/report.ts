/**
 * The BUM report (`l2scope.bum/1`): what a node agent's BUM meter (meter.ts) sends per interval,
 * its zod schema (the wire contract: the worker validates every report with it), and helpers to sum
 * reports. Counts are per (VNI, remote VTEP, direction, outer multicast) flow; meter.ts says how
 * each class is counted.
 */
import { z } from 'zod';

/** The schema tag of every BUM report of this version. */
export const BUM_REPORT_SCHEMA = 'l2scope.bum/1';

/** Bounds of a report. */
export const BUM_LIMITS = {
  /** Flows kept per report; the rest are summed into `other`. */
  flows: 4096,
  /** Distinct undecodable reasons kept. */
  reasons: 32,
} as const;

const count = z.number().nonnegative().finite();
const ipText = z.string().min(1).max(64);

/** The counters of one flow (or of `other`). Estimates (scaled) when `sampled` < 1. */
export const bumCountersSchema = z.object({
  /** Inner destination ff:ff:ff:ff:ff:ff (ARP requests included). */
  broadcast: count,
  /** Inner destination with the group bit set, other than broadcast (IPv4/IPv6 multicast, LLDP, STP...). */
  multicast: count,
  /** Inner unicast that was flooded (see meter.ts). */
  unknownUnicast: count,
  /** ARP frames (EtherType 0x0806), any opcode; also counted in their destination class. */
  arp: count,
  arpRequest: count,
  arpReply: count,
  /** Inner unicast to a MAC the FDB knows: not BUM, for context. */
  unicast: count,
  /** All packets of the flow. */
  packets: count,
  /** Outer frame bytes on the wire (pcap `orig_len`). */
  bytes: count,
});

export const bumFlowSchema = bumCountersSchema.extend({
  vni: z.number().int().min(0).max(0xffffff),
  /** Remote VTEP address, or the multicast group a `tx` flow was sent to. */
  remoteVtep: ipText,
  direction: z.enum(['tx', 'rx']),
  /** The outer destination was a multicast group (flood-and-learn multicast mode, Lab1). */
  outerMulticast: z.boolean(),
});

export const bumReportSchema = z.object({
  schema: z.literal(BUM_REPORT_SCHEMA),
  /** Neutron host name of the node (same as its snapshots'). */
  host: z.string().min(1).max(255),
  /** Node agent process id (same as its snapshots' `instance`). */
  instance: z.string().min(1).max(64),
  /** Local VTEP address (`local_ip`), null when unknown. */
  vtep: ipText.nullable(),
  /** Interface captured on. */
  iface: z.string().min(1).max(64),
  /** VXLAN UDP destination port captured. */
  udpPort: z.number().int().min(1).max(65535),
  /** Interval covered (ISO-8601). Rates are counts / `seconds`, computed by the consumer. */
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
  seconds: z.number().nonnegative().finite(),
  /** Fraction of the captured packets that were decoded (1 = all); counts are scaled estimates below 1. */
  sampled: z.number().min(0).max(1),
  /** Packets the kernel dropped before tcpdump got them during the interval ("dropped by kernel"); null when unknown. */
  captureDropped: z.number().int().nonnegative().nullable(),
  /** Packets captured in the interval (all, decoded or not). */
  captured: z.number().int().nonnegative(),
  /** Captured packets that were not VXLAN the meter could read (scaled), by reason. */
  undecodable: count,
  undecodableReasons: z.record(z.string().max(32), count),
  flows: z.array(bumFlowSchema).max(BUM_LIMITS.flows),
  /** Flows beyond {@link BUM_LIMITS.flows}, summed; null when none. */
  other: bumCountersSchema.nullable(),
  /** Why the meter does not run (e.g. `tcpdump missing`); null when it does. Counts are then zero. */
  unavailable: z.string().max(512).nullable(),
});

export type BumCounters = z.infer<typeof bumCountersSchema>;
export type BumFlow = z.infer<typeof bumFlowSchema>;
export type BumReport = z.infer<typeof bumReportSchema>;

/**
 * Validate a BUM report received from a node agent.
 * @throws ZodError naming the first bad field
 */
export function parseBumReport(json: unknown): BumReport {
  return bumReportSchema.parse(json);
}

/** All-zero counters. */
export function emptyBumCounters(): BumCounters {
  return { broadcast: 0, multicast: 0, unknownUnicast: 0, arp: 0, arpRequest: 0, arpReply: 0, unicast: 0, packets: 0, bytes: 0 };
}

/** Sum of the BUM classes of counters: broadcast + multicast + unknown unicast. */
export function bumTotal(c: BumCounters): number {
  return c.broadcast + c.multicast + c.unknownUnicast;
}

/** A report for a meter that cannot run (`reason`, e.g. `tcpdump missing`): no counts. */
export function unavailableBumReport(o: {
  host: string;
  instance: string;
  vtep: string | null;
  iface: string;
  udpPort: number;
  fromMs: number;
  toMs: number;
  reason: string;
}): BumReport {
  return {
    schema: BUM_REPORT_SCHEMA,
    host: o.host,
    instance: o.instance,
    vtep: o.vtep,
    iface: o.iface || '-',
    udpPort: o.udpPort,
    from: new Date(o.fromMs).toISOString(),
    to: new Date(Math.max(o.toMs, o.fromMs)).toISOString(),
    seconds: Math.max(0, o.toMs - o.fromMs) / 1000,
    sampled: 1,
    captureDropped: null,
    captured: 0,
    undecodable: 0,
    undecodableReasons: {},
    flows: [],
    other: null,
    unavailable: o.reason.slice(0, 512),
  };
}

/**
 * tcpdump's statistics line (printed on exit and on SIGUSR1):
 * `N packets captured, M packets received by filter, K packets dropped by kernel`, on one line or

/** Sum of reports' flows per (vni, remote, direction, outer multicast): for tests and summaries. */
export function mergeBumFlows(reports: Pick<BumReport, 'flows'>[]): BumFlow[] {
  const acc = new Map<string, BumFlow>();
  for (const r of reports) {
    for (const f of r.flows) {
      const key = `${f.vni}|${f.remoteVtep}|${f.direction}|${f.outerMulticast}`;
      const a = acc.get(key);
      if (!a) {
        acc.set(key, { ...f });
        continue;
      }
      for (const k of Object.keys(emptyBumCounters()) as (keyof BumCounters)[]) a[k] += f[k];
    }
  }
  return [...acc.values()].sort(compareFlows);
}

/** Flow order in reports (internal to the BUM modules): VNI, remote VTEP (numerically), tx before rx, unicast outer before multicast. */
export function compareFlows(a: Omit<BumFlow, keyof BumCounters>, b: Omit<BumFlow, keyof BumCounters>): number {
  return (
    a.vni - b.vni ||
    compareIp(a.remoteVtep, b.remoteVtep) ||
    (a.direction === b.direction ? 0 : a.direction === 'tx' ? -1 : 1) ||
    Number(a.outerMulticast) - Number(b.outerMulticast)
  );
}

function compareIp(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  if (pa.length === 4 && pb.length === 4) {
    for (let i = 0; i < 4; i++) {
      const d = Number(pa[i]) - Number(pb[i]);
      if (d) return d;
    }
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
