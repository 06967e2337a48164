/**
 * BUM meter (docs/l2pop.md#bum-meter, docs/l2pop.md#flood-lists): what a node agent counts of the broadcast, multicast
 * and unknown-unicast frames (and, separately, ARP) crossing the underlay inside VXLAN, per VNI
 * and remote VTEP. Pure: pcap bytes in, counters and a versioned report out. The node agent runs
 * `tcpdump -i <underlay> -p -nn -U -s 160 -w - 'udp and dst port <port>'` (every VXLAN packet, sent
 * or received, has the VXLAN port as its UDP destination) and feeds its stdout to
 * {@link PcapStreamReader} and {@link BumMeter}.
 *
 * - report.ts: the `l2scope.bum/1` report schema (wire contract) and its helpers;
 * - pcap.ts: pcap stream reading / writing, tcpdump's statistics line;
 * - vxlan-frame.ts: the VXLAN frame decoder (decoding rules in its header);
 * - meter.ts: the FDB lookup ({@link BumFdb}) and the meter (classification and sampling rules in its header).
 */
export {
  BUM_LIMITS,
  BUM_REPORT_SCHEMA,
  type BumCounters,
  type BumFlow,
  type BumReport,
  bumCountersSchema,
  bumFlowSchema,
  bumReportSchema,
  bumTotal,
  emptyBumCounters,
  mergeBumFlows,
  parseBumReport,
  unavailableBumReport,
} from './report';
export { LINKTYPE, type PcapHeader, PcapFormatError, type PcapRecord, PcapStreamReader, parseTcpdumpStats, readPcap, writePcap } from './pcap';
export {
  type UndecodableReason,
  VXLAN_PORTS,
  type VxlanDecodeResult,
  type VxlanPacket,
  decodeVxlanPacket,
  ipv6Text,
  macKey,
  macKeyAt,
  macText,
} from './vxlan-frame';
export { BumFdb, BumMeter, type BumMeterOptions, meterCapture } from './meter';
