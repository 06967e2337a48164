/** Output schemas of the node view (hosts with a node agent, findings, convergence, BUM). */
import type { ListedFinding } from '@l2scope/db';
import { DRIFT_CLASSES, type DriftClass, type Evidence, FINDING_KINDS, type HostConvergence, type HostNodeSummary } from '@l2scope/domain';
import { z } from 'zod';

const onOff = z.enum(['on', 'off', 'unknown']);

/** Drift items per class (every class present). */
export const driftCountsSchema = z.record(z.enum(DRIFT_CLASSES), z.number().int()) satisfies z.ZodType<Record<DriftClass, number>>;

/** One host's line in the overview (domain `HostNodeSummary`). */
export const hostSummarySchema: z.ZodType<HostNodeSummary> = z.object({
  host: z.string(),
  agentType: z.enum(['linuxbridge', 'openvswitch']).nullable(),
  vtep: z.string().nullable(),
  summary: z.string(),
  l2pop: onOff,
  arpResponder: onOff,
  floodMode: z.enum(['unicast', 'multicast', 'multicast+unicast', 'per-device', 'none', 'unknown']),
  drift: driftCountsSchema,
  driftTotal: z.number().int(),
  /** Learned MACs l2pop never announced, on an l2pop host (not drift). */
  foreignMacs: z.number().int(),
  floodExcess: z.number().int(),
  floodMissing: z.number().int(),
  /** ISO time of the node snapshot analysed. */
  snapshotAt: z.string().nullable(),
  /** The L2 agent's liveness from report_state (domain `AgentLiveness`, ISO times), null when it never reported. */
  agent: z.object({ alive: z.boolean(), lastReportAt: z.string(), downSince: z.string().optional() }).nullable(),
});

/** A row or setting proving a drift item or finding (domain `Evidence`). */
export const evidenceSchema: z.ZodType<Evidence> = z.object({
  host: z.string(),
  source: z.enum([
    'linuxbridge.fdb',
    'linuxbridge.neigh',
    'linuxbridge.vxlan',
    'openvswitch.tunnelPorts',
    'openvswitch.brTun',
    'agent.ini',
    'report_state',
    'model',
    'neutron_api',
  ]),
  file: z.string().nullable(),
  text: z.string(),
});

/** A finding with its lifetime (ISO-8601 times; `resolvedAt` null while open). */
export const listedFindingSchema: z.ZodType<ListedFinding> = z.object({
  id: z.number().int(),
  kind: z.enum(FINDING_KINDS),
  /** Neutron network UUID, or `vni:<n>`. */
  network: z.string(),
  vni: z.number().int().nullable(),
  hosts: z.array(z.string()),
  detail: z.string(),
  evidence: z.array(evidenceSchema),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  resolvedAt: z.string().nullable(),
});

const ms = z.number().nullable();

/** Lag figures of a host (ms; domain `HostConvergence`). */
export const hostConvergenceSchema: z.ZodType<HostConvergence> = z.object({
  host: z.string(),
  samples: z.number().int(),
  lastLagMs: ms,
  p50Ms: ms,
  p95Ms: ms,
  maxMs: ms,
  pending: z.number().int(),
  timedOut: z.number().int(),
  alreadyHeld: z.number().int().optional(),
});
