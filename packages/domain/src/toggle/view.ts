/**
 * A toggle job as the API returns it and the worker pushes it live (socket.io event `toggle`):
 * the shape the database, the worker, the API, the CLI and the browser share. Dates are ISO 8601
 * strings.
 */
import { z } from 'zod';
import { agentPlanSchema, iniModeSchema, modeChangeSchema } from './command';
import { JOB_STATES } from './job';

/** A finding the plan predicts once the change is applied (same kinds as the analysis's findings). */
export const predictedFindingSchema = z.object({
  /** a finding kind (`mixed_arp_responder`, `mixed_l2pop`, `half_switched_vxlan`, ...) or a plan-only one (`agent_down`, `dvr_needs_l2pop`, `no_l2pop_casts`, `no_tunnel_to_linuxbridge`) */
  kind: z.string().max(64),
  /** `error`: connectivity breaks or the agent will not start; `warning`: degraded or to check */
  severity: z.enum(['error', 'warning']),
  /** network ids concerned (empty: host-wide) */
  networks: z.array(z.string().max(64)).max(4096),
  hosts: z.array(z.string().max(255)).max(4096),
  detail: z.string().max(4096),
  /** true: holds only while a batch runs (this host switched, later hosts of the batch not yet); the end state does not have it */
  transient: z.boolean().optional(),
});
/** One predicted finding. */
export type PredictedFinding = z.infer<typeof predictedFindingSchema>;

/** The plan of one host's job: the agent's dry run plus what l2scope predicts. */
export const togglePlanSchema = z.object({
  /** the agent's `plan` answer (null until it arrives or when the agent refused: see `refusal`) */
  agent: agentPlanSchema.nullable(),
  refusal: z.string().max(4096).nullable(),
  /** `clean` (stop, delete vxlan-<VNI>, write ini, start) or `in_place` (ini + restart; predicts half-switched) or `restart` (OVS) */
  method: z.enum(['clean', 'in_place', 'restart']),
  /** expected data-plane interruption for the host's VMs, seconds */
  downtimeS: z.number().nonnegative(),
  predicted: z.array(predictedFindingSchema).max(256),
  /** sentences: deployment-tool revert, DVR guard, an unknown host, ... */
  warnings: z.array(z.string().max(2048)).max(64),
  /** false when the plan itself forbids applying (e.g. l2pop off on a DVR host) */
  applicable: z.boolean(),
});
/** The plan of one host's job. */
export type TogglePlan = z.infer<typeof togglePlanSchema>;

/** One step of a job as it ran (also an audit entry). */
export const toggleStepSchema = z.object({
  at: z.string().max(40),
  /** e.g. `plan`, `approve`, `set_mode`, `recreate_vxlan`, `restart_agent`, `report_state`, `snapshot`, `drift`, `rollback` */
  step: z.string().max(64),
  outcome: z.enum(['ok', 'failed', 'waiting', 'info']),
  detail: z.string().max(8192),
  /** the time (ISO 8601) by which the phase this step starts ends: the job's own deadline (`jobDeadline`) */
  until: z.string().max(40).optional(),
});
/** One step. */
export type ToggleStep = z.infer<typeof toggleStepSchema>;

/** A toggle job. */
export const toggleJobViewSchema = z.object({
  id: z.string(),
  host: z.string(),
  /** jobs created together for several hosts (a network's hosts) share a batch, run in `batchIndex` order, stop on failure */
  batchId: z.string().nullable(),
  batchIndex: z.number().int().nonnegative(),
  change: modeChangeSchema,
  inPlace: z.boolean(),
  state: z.enum(JOB_STATES),
  /** the host's ini mode before the change (from the agent's plan), for the rollback and the audit */
  before: iniModeSchema.nullable(),
  plan: togglePlanSchema.nullable(),
  steps: z.array(toggleStepSchema).max(1000),
  /** verification evidence: rows, report_state fields, drift counts, as text lines */
  evidence: z.array(z.string().max(4096)).max(1000),
  error: z.string().max(8192).nullable(),
  requestedBy: z.string(),
  approvedBy: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** A toggle job as the API returns it and the worker pushes it. */
export type ToggleJobView = z.infer<typeof toggleJobViewSchema>;
