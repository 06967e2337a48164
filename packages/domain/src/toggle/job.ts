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
