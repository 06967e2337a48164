/**
 * A job's progress as the dialog and the audit page show it: its state's label and tone, the
 * phase bar (`planned -> approved -> applying -> restarting -> verifying -> done`, or the
 * rollback's), and whether it is over.
 */
import type { JobState, ToggleJobView } from '@l2scope/domain';

export type Tone = 'ok' | 'warn' | 'bad' | 'idle' | 'busy';

/** Label and tone per state. */
export const JOB_STATE_META: Record<JobState, { label: string; tone: Tone }> = {
  planned: { label: 'planned', tone: 'idle' },
  approved: { label: 'approved', tone: 'busy' },
  applying: { label: 'applying', tone: 'busy' },
  restarting: { label: 'restarting the agent', tone: 'busy' },
  verifying: { label: 'verifying', tone: 'busy' },
  done: { label: 'done', tone: 'ok' },
  failed: { label: 'failed', tone: 'bad' },
  rolling_back: { label: 'rolling back', tone: 'warn' },
  rolled_back: { label: 'rolled back', tone: 'warn' },
  cancelled: { label: 'cancelled', tone: 'idle' },
};

const FORWARD: JobState[] = ['planned', 'approved', 'applying', 'restarting', 'verifying', 'done'];
const ROLLBACK: JobState[] = ['failed', 'rolling_back', 'rolled_back'];

/** One phase of the bar: `done` (passed), `current`, or `todo`. */
export interface Phase {
  state: JobState;
  status: 'done' | 'current' | 'todo';
}

/**
 * The phases to show: the forward path, or once a job failed the forward path up to the state it
 * failed in (read from its steps) followed by the rollback path.
 */
export function phases(job: Pick<ToggleJobView, 'state'>): Phase[] {
  if (job.state === 'cancelled') return [{ state: 'cancelled', status: 'current' }];
  const path = ROLLBACK.includes(job.state) ? ROLLBACK : FORWARD;
  const at = path.indexOf(job.state);
  return path.map((state, i) => ({ state, status: i < at ? 'done' : i === at ? (state === 'done' || state === 'rolled_back' ? 'done' : 'current') : 'todo' }));
}

/** Whether the job is over: `done`, `rolled_back`, `cancelled`, or `failed` with no rollback running. */
export function isOver(job: Pick<ToggleJobView, 'state'>): boolean {
  return job.state === 'done' || job.state === 'rolled_back' || job.state === 'cancelled';
}

/** `HH:MM:SS` of an ISO time (UTC), for step rows. */
export function stepTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 19);
}
