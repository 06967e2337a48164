/**
 * The analysis context: what the analysis knows of one host while it compares it ({@link HostCtx}),
 * the model's facts about one network shared by every host ({@link NetFacts}), and everything a
 * host's analysis reads besides its own snapshot and record ({@link Env}).
 */
import type { ClusterModel, HostView, VtepEntries } from '../../model';
import type { FullNodeSnapshot } from '../snapshot';
import type { Told } from './told';
import type { Held } from './held-state';
import type { HostMode } from './host-mode';

/** One host under analysis: its identity, record, snapshot, and what its analysis found out (mode, held state). */
export interface HostCtx {
  /** Host name (the snapshot's, else the model's). */
  name: string;
  /** Its id in the model (host name, or `vtep:<ip>`), null when the model does not know it. */
  modelId: string | null;
  /** Its model record (report_state), null when none. */
  host: HostView | null;
  snap: FullNodeSnapshot | null;
  type: 'linuxbridge' | 'openvswitch' | null;
  vtep: string | null;
  /** The agent applies l2pop: from {@link HostMode}`.l2pop` (null: unknown). */
  l2pop: boolean | null;
  /** The ARP responder runs: from {@link HostMode}`.arpResponder` (null: unknown). */
  arpEffective: boolean | null;
  mode: HostMode;
  /** Network id (or `vni:<n>`) -> what the host holds there. */
  held: Map<string, Held>;
}

/** The model's facts about one network, shared by every host (computed once per network and model change). */
export interface NetFacts {
  /** The network's VTEP entries, sorted by VTEP (code-unit order). */
  entries: VtepEntries[];
  /** VTEPs with ports on it (flood entry or unicast MACs announced). */
  withPorts: Set<string>;
  /** VTEPs whose flood entry is announced, sorted naturally: the ideal flood list, before each host skips its own. */
  ports: string[];
  /** The same VTEPs, as a set. */
  floodSet: Set<string>;
  /** What l2pop announced on it (built on first use). */
  told: Told | null;
}

/** What a host's analysis read from everything but its own snapshot and host record. */
export interface Env {
  model: ClusterModel;
  /** VXLAN VNI -> network id. */
  byVni: Map<number, string>;
  /** `segmentId` (`vni:<n>`, `gre:<n>`) -> network id, every tunnel type. */
  bySegment: Map<string, string>;
  vniOf: Map<string, number | null>;
  /** Network id -> its `network_type` (`vxlan`, `gre`) as the model knows it. */
  typeOf: Map<string, string>;
  facts: (network: string) => NetFacts;
  /** Group -> VTEPs receiving it (joined by a VXLAN device; 224.0.0.1: every Linux bridge host). */
  groupMembers: Map<string, Set<string>>;
  /** VTEPs of the hosts with a snapshot. */
  snapVteps: Set<string>;
}
