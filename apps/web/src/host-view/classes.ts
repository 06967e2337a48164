/**
 * How the dashboard names and colours the domain's drift classes and finding kinds. Labels and
 * explanations only: which items exist is decided by `@l2scope/domain` (analyzeNodes).
 */
import { DRIFT_CLASSES, type DriftClass, type FindingKind } from '@l2scope/domain';

export type Tone = 'bad' | 'warn' | 'info';

export interface DriftClassMeta {
  label: string;
  /** What it breaks, in one line. */
  effect: string;
  tone: Tone;
  /** Lower is worse: the worst class of a host colours its badge. */
  rank: number;
}

/** Display metadata per drift class (order: worst first). */
export const DRIFT_META: Record<DriftClass, DriftClassMeta> = {
  missing_flood: { label: 'missing flood entry', effect: 'BUM (DHCP, ARP) does not reach that VTEP', tone: 'bad', rank: 0 },
  wrong_vtep: { label: 'wrong VTEP', effect: 'unicast to that MAC goes to the wrong host (black-holed)', tone: 'bad', rank: 1 },
  missing_unicast: { label: 'missing unicast entry', effect: 'frames to that MAC are flooded, or reach it only by learning', tone: 'bad', rank: 2 },
  neigh_missing: { label: 'neighbour missing', effect: 'the ARP responder cannot answer for that IP', tone: 'warn', rank: 3 },
  neigh_stale: { label: 'neighbour stale', effect: 'the ARP responder answers with a MAC l2pop did not announce', tone: 'bad', rank: 1 },
  stale_entry: { label: 'stale entry', effect: 'a permanent entry l2pop would not hold: port gone or moved, wasted copies', tone: 'warn', rank: 4 },
  unmaintained: {
    label: 'unmaintained',
    effect: 'right now, but the agent no longer applies casts on this network (no port since its restart): stale at the next change',
    tone: 'warn',
    rank: 4,
  },
  learned_only: { label: 'learned only', effect: 'a MAC known from traffic only: flood-and-learn at work (l2_population off)', tone: 'info', rank: 5 },
};

/** Display metadata of a foreign MAC (learned on an l2pop host, never announced by l2pop): not drift, a warning. */
export const FOREIGN_MAC_META = {
  label: 'foreign MAC',
  effect: 'learned from traffic on an l2pop host, never announced by Neutron: a leaked or spoofed source crossed the tunnel (not l2pop drift)',
  tone: 'warn' as Tone,
};

/** Drift classes in display order (the domain's order). */
export const DRIFT_ORDER: readonly DriftClass[] = DRIFT_CLASSES;

/** The worst class with a non-zero count, or null when there is none. */
export function worstClass(counts: Readonly<Record<DriftClass, number>>): DriftClass | null {
  let worst: DriftClass | null = null;
  for (const c of DRIFT_CLASSES) if (counts[c] > 0 && (worst === null || DRIFT_META[c].rank < DRIFT_META[worst].rank)) worst = c;
  return worst;
}

/** Display metadata per finding kind. */
export const FINDING_META: Record<FindingKind, { label: string; tone: Tone }> = {
  half_switched_vxlan: { label: 'half-switched VXLAN device', tone: 'bad' },
  mixed_arp_responder: { label: 'mixed ARP responder', tone: 'bad' },
  mixed_l2pop: { label: 'mixed l2_population', tone: 'warn' },
  udp_port_mismatch: { label: 'VXLAN UDP port mismatch', tone: 'bad' },
  vtep_conflict: { label: 'VTEP claimed by two hosts', tone: 'bad' },
  agent_down: { label: 'L2 agent down (no report_state)', tone: 'bad' },
  vxlan_device_mismatch: { label: 'VXLAN device not as configured', tone: 'bad' },
  stale_tunnel_port: { label: 'stale br-tun tunnel port', tone: 'warn' },
  port_without_l2pop: { label: 'ACTIVE port never announced by l2pop', tone: 'bad' },
  agent_silent_on_tap: { label: 'agent alive in Neutron, silent on the tap', tone: 'warn' },
};

/** Label of an agent type as reported in the analysis. */
export function agentLabel(t: 'linuxbridge' | 'openvswitch' | null): string {
  return t === 'linuxbridge' ? 'Linux bridge agent' : t === 'openvswitch' ? 'Open vSwitch agent' : 'agent type unknown';
}

/** Label of a flood mode. */
export const FLOOD_MODE_LABEL = {
  unicast: 'head-end replication (unicast)',
  multicast: 'multicast group',
  'multicast+unicast': 'multicast AND unicast (half-switched)',
  'per-device': 'differs per device (see the summary)',
  none: 'no tunnel state',
  unknown: 'unknown',
} as const;

/** Label of where a mode answer comes from. */
export const SOURCE_LABEL: Record<string, string> = {
  report_state: 'report_state',
  ini: 'agent ini',
  kernel: 'inferred from the kernel',
  vxlan_proxy: 'vxlan proxy flag',
  flows: 'br-tun flows',
};
