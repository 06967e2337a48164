/**
 * BUM meter (docs/l2pop.md#bum-meter, docs/l2pop.md#flood-lists): what a node agent counts of the broadcast, multicast
 * and unknown-unicast frames (and, separately, ARP) crossing the underlay inside VXLAN, per VNI
 * and remote VTEP. Pure: decoded packets (see vxlan-frame.ts) and capture times in, counters and a
 * {@link BumReport} per interval out.
 *
 * Classification (per decoded packet, {@link BumMeter}):
 * - inner destination `ff:ff:ff:ff:ff:ff` -> `broadcast`; group bit set -> `multicast`; otherwise
 *   unicast, which is `unknownUnicast` when it was flooded: the outer destination is a multicast
 *   group, or (sent, `tx`) the host's FDB for that VNI maps the MAC to no VTEP, or (received,
 *   `rx`) the host's FDB maps it to a VTEP other than this host's (the frame is for a MAC that
 *   lives elsewhere: the sender did not know where it was); else `unicast` (known, for context).
 *   So `broadcast + multicast + unknownUnicast + unicast = packets`.
 *   A snapshot lags the kernel, so on a VNI whose device learns (flood-and-learn, Lab1) the meter
 *   also learns like the kernel does: a MAC seen as the inner source of a frame received from a
 *   remote VTEP counts as known for `tx` during the kernel's ageing time (300 s).
 * - ARP frames are counted in `arp` (any opcode) and `arpRequest` / `arpReply` IN ADDITION to
 *   their destination class: an ARP request is also a `broadcast`, a reply usually a `unicast`.
 *   `arp` is how an operator sees ARP crossing the tunnel (Lab1, Lab2) or not (Lab3).
 * - direction: `tx` when the outer source is one of the host's addresses (remote VTEP = outer
 *   destination, possibly a multicast group), `rx` when the outer destination is one of them or a
 *   multicast group (remote VTEP = outer source). Anything else is undecodable (`foreign`).
 * - `packets` and `bytes` (outer frame length on the wire, tcpdump's `orig_len`) count every class.
 *
 * Sampling ({@link BumMeter}): when the previous window (1 s of capture time) held more packets
 * than the budget (default 20,000 pps), only every k-th packet is decoded (k = ceil(rate / budget))
 * and each decoded packet counts k times; within a window, each time the budget is used up again
 * k doubles (a burst never waits for the next window), and a 50 ms pause ends the sampling at once
 * (a lone ARP after a burst is counted exactly); `sampled` reports decoded / captured. Memory is
 * bounded: at most `maxFlows` (vni, remote VTEP, direction, outer multicast) flows, the rest go to
 * `other`.
 */
import { isMulticastIp } from '../kernel';
import type { FullNodeSnapshot } from '../snapshot';
import { LINKTYPE, type PcapRecord, readPcap } from './pcap';
import { BUM_LIMITS, BUM_REPORT_SCHEMA, type BumCounters, type BumReport, compareFlows, emptyBumCounters } from './report';
import { BROADCAST_KEY, type UndecodableReason, VXLAN_PORTS, decodeVxlanPacket, isGroupMac, macKey } from './vxlan-frame';

// ------------------------------------------------------------------------------------ FDB lookup

/** Which VTEP the host's FDB sends a MAC of a VNI to, at capture time. */
export class BumFdb {
  private readonly byVni = new Map<number, Map<number, string>>();
  private rows = 0;
  /** VNIs whose VXLAN device learns remote MACs from received frames (flood-and-learn, Lab1; OVS table 10). */
  readonly learning = new Set<number>();

  /** Add a `(vni, mac) -> vtep` row (a later row for the same pair wins). Zero / group MACs are ignored. */
  add(vni: number, mac: string, vtep: string): void {
    const k = macKey(mac);
    if (k === null || k === 0 || isGroupMac(k)) return;
    let m = this.byVni.get(vni);
    if (!m) {
      m = new Map();
      this.byVni.set(vni, m);
    }
    if (!m.has(k)) this.rows++;
    m.set(k, vtep);
  }

  /** The VTEP the MAC (a {@link macKey}) of `vni` is sent to, or undefined. */
  lookup(vni: number, mac: number): string | undefined {
    return this.byVni.get(vni)?.get(mac);
  }

  get size(): number {
    return this.rows;
  }

  /**
   * The lookup a node snapshot gives (docs/l2pop.md#node-state). Linux bridge: `bridge fdb` rows on `vxlan-<VNI>`
   * devices (VNI from the device) with a unicast `dst` (l2pop's permanent rows and learned ones:
   * the kernel knows where the MAC is either way). Open vSwitch: br-tun table 20 unicast flows,
   * VNI from the flow (or the local VLAN's), VTEP from the tunnel port's `remote_ip`.
   * `learning`: Linux bridge VNIs whose device has `learning` on; every OVS VNI (table 10).
   */
  static fromSnapshot(s: Pick<FullNodeSnapshot, 'linuxbridge' | 'openvswitch'>): BumFdb {
    const fdb = new BumFdb();
    if (s.linuxbridge) {
      const vniOf = new Map<string, number>();
      for (const d of s.linuxbridge.vxlan) {
        if (d.vni === null) continue;
        vniOf.set(d.name, d.vni);
        if (d.learning === true) fdb.learning.add(d.vni);
      }
      for (const r of s.linuxbridge.fdb) {
        const vni = vniOf.get(r.dev) ?? vniFromName(r.dev);
        if (vni === null || r.dst === null || isMulticastIp(r.dst)) continue;
        fdb.add(vni, r.mac, r.dst);
      }
    }
    if (s.openvswitch?.brTun) {
      const remoteOf = new Map<number, string>();
      for (const p of s.openvswitch.tunnelPorts) if (p.ofport !== null) remoteOf.set(p.ofport, p.remoteIp);
      const vniOfLvid = new Map<number, number>();
      for (const lv of s.openvswitch.brTun.localVlans) {
        vniOfLvid.set(lv.lvid, lv.vni);
        // br-tun table 10 learns every remote MAC into table 20 (hard_timeout 300)
        fdb.learning.add(lv.vni);
      }
      for (const u of s.openvswitch.brTun.unicast) {
        const vni = u.vni ?? vniOfLvid.get(u.lvid) ?? null;
        const vtep = u.ofport !== null ? remoteOf.get(u.ofport) : undefined;
        if (vni === null || vtep === undefined) continue;
        fdb.add(vni, u.mac, vtep);
      }
    }
    return fdb;
  }
}

function vniFromName(dev: string): number | null {
  const m = /^vxlan-(\d+)$/.exec(dev);
  return m ? Number(m[1]) : null;
}

// ------------------------------------------------------------------------------------ meter

/** Options of a {@link BumMeter}. */
export interface BumMeterOptions {
  host: string;
  instance: string;
  /** Local VTEP address for the report; null when unknown. */
  vtep: string | null;
  /** Every address of the host on the capture interface (decides tx / rx); defaults to [vtep]. */
  localAddresses?: string[];
  iface: string;
  udpPort: number;
  /** UDP ports decoded as VXLAN (default: udpPort, 8472 and 4789). */
  ports?: number[];
  /** pcap link type of the capture (default Ethernet). */
  linktype?: number;
  /** Packets per second decoded in full; above it, every k-th (default 20,000). */
  budgetPps?: number;
  /** Sampling window in ms of capture time (default 1000). */
  windowMs?: number;
  /** Flow cap (default {@link BUM_LIMITS.flows}). */
  maxFlows?: number;
  fdb?: BumFdb;
  /** Epoch ms the first interval starts. */
  startMs: number;
}

/** The kernel's default FDB ageing time (vxlan `ageing 300`, OVS learn `hard_timeout=300`). */
const LEARN_AGEING_MS = 300_000;
const MAX_LEARNED = 65_536;
/** A pause this long (capture time) ends a burst: sampling stops at once. */
const QUIET_GAP_MS = 50;

interface FlowAcc extends BumCounters {
  vni: number;
  remoteVtep: string;
  direction: 'tx' | 'rx';
  outerMulticast: boolean;
}

/**
 * Counts VXLAN BUM traffic per (VNI, remote VTEP, direction, outer multicast) from captured packets
 * and turns each interval into a {@link BumReport}. Pure: the caller passes packets and times.
 */
export class BumMeter {
  private readonly o: Required<Omit<BumMeterOptions, 'fdb' | 'localAddresses' | 'ports'>>;
  private local: Set<string>;
  private ports: Set<number>;
  private fdb: BumFdb;
  private flows = new Map<string, FlowAcc>();
  private other: BumCounters | null = null;
  private from: number;
  private captured = 0;
  private decoded = 0;
  private undecodable = 0;
  private reasons: Record<string, number> = {};
  /** MACs learned from received frames on learning VNIs: `vni|mac` -> capture time (ms). */
  private learned = new Map<string, number>();
  // sampling
  private windowStart = -Infinity;
  private windowCount = 0;
  private windowDecoded = 0;
  private k = 1;
  private skip = 0;
  private lastTs = 0;
  private lastSeen = -Infinity;

  constructor(opts: BumMeterOptions) {
    this.o = {
      host: opts.host,
      instance: opts.instance,
      vtep: opts.vtep,
      iface: opts.iface,
      udpPort: opts.udpPort,
      linktype: opts.linktype ?? LINKTYPE.ETHERNET,
      budgetPps: opts.budgetPps ?? 20_000,
      windowMs: opts.windowMs ?? 1000,
      maxFlows: Math.min(opts.maxFlows ?? BUM_LIMITS.flows, BUM_LIMITS.flows),
      startMs: opts.startMs,
    };
    this.local = new Set(opts.localAddresses ?? (opts.vtep ? [opts.vtep] : []));
    if (opts.vtep) this.local.add(opts.vtep);
    this.ports = new Set(opts.ports ?? [opts.udpPort, ...VXLAN_PORTS]);
    this.fdb = opts.fdb ?? new BumFdb();
    this.from = opts.startMs;
  }

  /** Replace the FDB lookup (after each node snapshot). */
  setFdb(fdb: BumFdb): void {
    this.fdb = fdb;
  }

  /** Replace the host's addresses / VTEP (they may change). */
  setLocal(vtep: string | null, addresses: string[]): void {
    this.o.vtep = vtep;
    this.local = new Set(addresses);
    if (vtep) this.local.add(vtep);
  }

  /** Set the link type (from the pcap header). */
  setLinktype(linktype: number): void {
    this.o.linktype = linktype;
  }

  /** The current sampling step (1 = every packet decoded). */
  get step(): number {
    return this.k;
  }

  /** Count one captured packet (sampling decides whether it is decoded). */
  offer(rec: Pick<PcapRecord, 'tsMs' | 'data' | 'origLen'>): void {
    this.captured++;
    const t = rec.tsMs;
    const gap = t - this.lastSeen;
    this.lastSeen = t;
    if (t >= this.windowStart + this.o.windowMs || t < this.windowStart || gap > QUIET_GAP_MS) {
      // a new window: the previous one's rate sets the step for this one, unless the traffic paused
      // (no packet for 50 ms, or a whole window): the burst is over, decode everything again
      const budget = (this.o.budgetPps * this.o.windowMs) / 1000;
      const quiet = t < this.windowStart || this.windowStart === -Infinity || gap > QUIET_GAP_MS || t - this.windowStart >= 2 * this.o.windowMs;
      this.k = !quiet && this.windowCount > budget ? Math.ceil(this.windowCount / budget) : 1;
      if (this.skip >= this.k) this.skip = 0;
      this.windowStart = t;
      this.windowCount = 0;
      this.windowDecoded = 0;
    }
    this.windowCount++;
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    // a burst within the window: each time the budget is used up again, decode half as often
    // (so a window never decodes more than budget x log2(rate / budget) packets)
    if (
      this.windowDecoded >= (this.o.budgetPps * this.o.windowMs) / 1000 &&
      this.windowDecoded % Math.max(1, Math.floor((this.o.budgetPps * this.o.windowMs) / 1000)) === 0
    )
      this.k *= 2;
    this.windowDecoded++;
    this.skip = this.k - 1;
    this.decoded++;
    this.lastTs = t;
    this.count(rec.data, rec.origLen, this.k);
  }

  private count(data: Uint8Array, wireLen: number, weight: number): void {
    const d = decodeVxlanPacket(data, this.o.linktype, this.ports);
    if (!d.ok) return this.bad(d.reason, weight);
    let direction: 'tx' | 'rx';
    let remote: string;
    if (this.local.has(d.outerSrc)) {
      direction = 'tx';
      remote = d.outerDst;
    } else if (this.local.has(d.outerDst) || d.outerMulticast) {
      direction = 'rx';
      remote = d.outerSrc;
    } else return this.bad('foreign', weight);
    const key = `${d.vni}|${remote}|${direction}|${d.outerMulticast ? 1 : 0}`;
    if (direction === 'rx' && this.fdb.learning.has(d.vni) && !isGroupMac(d.innerSrc)) {
      if (this.learned.size >= MAX_LEARNED) this.learned.clear();
      this.learned.set(`${d.vni}|${d.innerSrc}`, this.lastTs);
    }
    let c: BumCounters | undefined = this.flows.get(key);
    if (!c) {
      if (this.flows.size >= this.o.maxFlows) c = this.other ??= emptyBumCounters();
      else {
        const f: FlowAcc = { vni: d.vni, remoteVtep: remote, direction, outerMulticast: d.outerMulticast, ...emptyBumCounters() };
        this.flows.set(key, f);
        c = f;
      }
    }
    c.packets += weight;
    c.bytes += wireLen * weight;
    if (d.innerDst === BROADCAST_KEY) c.broadcast += weight;
    else if (isGroupMac(d.innerDst)) c.multicast += weight;
    else {
      let unknown = d.outerMulticast;
      if (!unknown) {
        const vtep = this.fdb.lookup(d.vni, d.innerDst);
        if (direction === 'rx') unknown = vtep !== undefined && !this.local.has(vtep);
        else if (vtep === undefined) {
          const seen = this.fdb.learning.has(d.vni) ? this.learned.get(`${d.vni}|${d.innerDst}`) : undefined;
          unknown = seen === undefined || this.lastTs - seen > LEARN_AGEING_MS;
        } else unknown = false;
      }
      if (unknown) c.unknownUnicast += weight;
      else c.unicast += weight;
    }
    if (d.arp !== 0) {
      c.arp += weight;
      if (d.arp === 1) c.arpRequest += weight;
      else if (d.arp === 2) c.arpReply += weight;
    }
  }

  private bad(reason: UndecodableReason, weight: number): void {
    this.undecodable += weight;
    if (reason in this.reasons || Object.keys(this.reasons).length < BUM_LIMITS.reasons) this.reasons[reason] = (this.reasons[reason] ?? 0) + weight;
  }

  /** Flows counted so far in this interval (for tests and logs). */
  get flowCount(): number {
    return this.flows.size;
  }

  /**
   * Close the interval at `toMs` and return its report; counters restart from zero.
   * @param captureDropped packets the kernel dropped during the interval, when known
   */
  report(toMs: number, captureDropped: number | null = null): BumReport {
    const flows = [...this.flows.values()].sort(compareFlows);
    const r: BumReport = {
      schema: BUM_REPORT_SCHEMA,
      host: this.o.host,
      instance: this.o.instance,
      vtep: this.o.vtep,
      iface: this.o.iface,
      udpPort: this.o.udpPort,
      from: new Date(this.from).toISOString(),
      to: new Date(Math.max(toMs, this.from)).toISOString(),
      seconds: Math.max(0, toMs - this.from) / 1000,
      sampled: this.captured === 0 ? 1 : this.decoded / this.captured,
      captureDropped,
      captured: this.captured,
      undecodable: this.undecodable,
      undecodableReasons: this.reasons,
      flows: flows.map((f) => ({ ...f })),
      other: this.other,
      unavailable: null,
    };
    this.flows = new Map();
    this.other = null;
    this.captured = 0;
    this.decoded = 0;
    this.undecodable = 0;
    this.reasons = {};
    this.from = Math.max(toMs, this.from);
    return r;
  }
}

/**
 * A whole pcap capture metered as one interval, as a node agent's meter reports it when the capture
 * ends: from the first packet's time to 1 ms after the last one. Used for the lab's recorded
 * underlay captures (fixtures/bum/<lab>/<host>-ul0.pcap) by the demo and the tests.
 * @param pcap the capture's bytes (classic pcap, see pcap.ts `readPcap`)
 * @param opts the meter's options without `startMs` and `linktype`, which the capture gives
 * @returns the report, or null when the capture holds no packet
 * @throws PcapFormatError when the bytes are not a classic pcap file
 */
export function meterCapture(pcap: Uint8Array, opts: Omit<BumMeterOptions, 'startMs' | 'linktype'>): BumReport | null {
  const { header, records } = readPcap(pcap);
  if (records.length === 0) return null;
  const meter = new BumMeter({ ...opts, linktype: header.linktype, startMs: records[0]!.tsMs });
  for (const r of records) meter.offer(r);
  return meter.report(records[records.length - 1]!.tsMs + 1);
}
