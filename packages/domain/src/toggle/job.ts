/**
 * A toggle job: one host's switch of `l2_population` / `arp_responder`, as a persisted state
 * machine (docs/toggles.md). The worker drives it; every transition is one audit entry. Pure.
 *
 * `planned -> approved -> applying -> restarting -> verifying -> done`, and from `applying`,
 * `restarting` or `verifying`: `failed -> rolling_back -> rolled_back` (or `failed` for good when
 * the rollback itself fails). A planned job may be `cancelled`. A worker that restarts resumes a
 * job in `applying` / `restarting` / `rolling_back` from its last step, and re-verifies one in
 * `verifying`.
 */

/** Every state of a job. */
export const JOB_STATES = ['planned', 'approved', 'applying', 'restarting', 'verifying', 'done', 'failed', 'rolling_back', 'rolled_back', 'cancelled'] as const;
/** One of {@link JOB_STATES}. */
export type JobState = (typeof JOB_STATES)[number];

/** States a job never leaves. `failed` is final only once no rollback follows. */
export const FINAL_JOB_STATES: readonly JobState[] = ['done', 'rolled_back', 'cancelled'];

const NEXT: Record<JobState, readonly JobState[]> = {
  planned: ['approved', 'cancelled', 'failed'],
  approved: ['applying', 'cancelled', 'failed'],
  applying: ['restarting', 'failed'],
  restarting: ['verifying', 'failed'],
  verifying: ['done', 'failed'],
  failed: ['rolling_back'],
  rolling_back: ['rolled_back', 'failed'],
  done: [],
  rolled_back: [],
  cancelled: [],
};

/** Whether a job may go from `from` to `to`. */
export const canTransition = (from: JobState, to: JobState): boolean => NEXT[from].includes(to);

/**
 * The next state, checked.
 * @throws Error naming both states when the transition is not allowed
 */
export function transition(from: JobState, to: JobState): JobState {
  if (!canTransition(from, to)) throw new Error(`a toggle job cannot go from ${from} to ${to}`);
  return to;
}

/** What {@link awaitsRollback}, {@link jobOpen} and {@link jobDeadline} read of a job. */
export interface JobProgress {
  state: JobState;
  /** the job's steps in order (`ToggleStep`: `step` name, optional `until` ISO 8601) */
  steps: readonly { step: string; until?: string | undefined }[];
}

/**
 * Whether a `failed` job still owes a rollback: it reached `applying` (its `apply` step: set_mode
 * was sent, so the ini may be changed and the agent may hold the job's backup) and no `rollback`
 * step was written yet. The worker writes `failed` and `rolling_back` in two moves; one that stops
 * between them leaves such a job, and the next worker rolls it back.
 */
export function awaitsRollback(j: JobProgress): boolean {
  return j.state === 'failed' && j.steps.some((s) => s.step === 'apply') && !j.steps.some((s) => s.step === 'rollback');
}

/**
 * Whether a job still holds its host: not final, and not a `failed` job that owes no rollback.
 * A host has at most one open job (packages/db `createToggleJobs` refuses a second).
 */
export function jobOpen(j: JobProgress): boolean {
  if (FINAL_JOB_STATES.includes(j.state)) return false;
  return j.state !== 'failed' || awaitsRollback(j);
}

/**
 * The job's own deadline: the `until` of its latest step that has one (the worker sets it on the
 * step that starts each phase it bounds: a command's reply timeout, the verification deadline, a
 * rollback with its verification), as epoch ms; null when no step has one (a job the worker has
 * not started). Past it, a job still open means the worker is not running it.
 */
export function jobDeadline(j: JobProgress): number | null {
  for (let i = j.steps.length - 1; i >= 0; i--) {
    const u = j.steps[i]!.until;
    if (u !== undefined) {
      const t = Date.parse(u);
      if (Number.isFinite(t)) return t;
    }
  }
  return null;
}
