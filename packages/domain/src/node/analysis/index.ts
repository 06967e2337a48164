/**
 * Told versus held: what l2pop told each host (the cluster model) against what its kernel or
 * br-tun holds (its latest NodeSnapshot). Pure and deterministic.
 *
 * One module per concept:
 * - held-state.ts: what a host holds per network, from its snapshot (Linux bridge, OVS br-tun);
 * - host-mode.ts: how the host runs l2pop (l2pop on/off, ARP responder, flood mode, ports);
 * - told.ts: what l2pop announced, as each host was told it (the told FDB);
 * - drift.ts: the drift classes and how a host's state is compared with what it was told;
 * - flood-list.ts: where a host replicates BUM versus where it should;
 * - findings.ts: cross-host findings of a network;
 * - vxlan-config.ts: a Linux bridge VXLAN device's settings against the host's configuration;
 * - evidence.ts: rendering the rows that prove them;
 * - context.ts: the per-host / per-network context the analysis carries;
 * - host-analysis.ts: the analysis of one host (held state, mode, drift, flood lists);
 * - analyzer.ts: analyzeNodes and the incremental NodeAnalyzer.
 */
export { type DriftClass, type DriftItem, DRIFT_CLASSES, FOREIGN_MAC, type ForeignMac } from './drift';
export { type Evidence, type EvidenceSource } from './evidence';
export { type Finding, type FindingKind, FINDING_KINDS } from './findings';
export { ALL_HOSTS_GROUP, type FloodList } from './flood-list';
export { type HeldTunnelState, heldTunnelState, lvidChecks, segmentId } from './held-state';
export { type HostMode } from './host-mode';
export { type VxlanConfigField, type VxlanHostConfig, type VxlanMismatch, vxlanDeviceMismatches, vxlanHostConfig, vxlanMismatchText } from './vxlan-config';
export { type AnalyzeNodesInput, type HostAnalysis, type NodeAnalysis, NodeAnalyzer, type NodeAnalyzerStats, analyzeNodes } from './analyzer';
