/** What `toggle.approve` and `toggle.cancel` do, after the procedure's role and Origin checks. */
import { TRPCError } from '@trpc/server';
import type { SessionUser } from '@l2scope/auth';
import { type Db, advanceToggleJob, appendAudit } from '@l2scope/db';
import type { ToggleJobView } from '@l2scope/domain';
import type { JobSelection } from '../schemas/toggle';
import { actorOf } from './actor';
import { notApprovable, selectJobs } from './select';
import { requireStepUp } from './step-up';

/** Result of approving or cancelling: the jobs moved, and those another writer moved first. */
export interface AdvanceResult {
  jobs: ToggleJobView[];
  skipped: { id: string; reason: string }[];
}

/**
 * Approve the selected jobs (`planned -> approved`, `approvedBy` = the user): step-up first, then
 * every job must be approvable ({@link notApprovable}), then each is advanced (compare-and-set; the
 * store writes the audit entry `toggle.approved` with the request's origin). A wrong password is
 * recorded in the audit log as `toggle.step_up_refused`.
 * @throws TRPCError FORBIDDEN (reason STEP_UP_REQUIRED), NOT_FOUND, PRECONDITION_FAILED naming the jobs that may not be approved
 */
export async function approveJobs(
  db: Db,
  user: SessionUser,
  origin: string | null,
  sel: JobSelection,
  password: string | undefined,
  verifyPassword: ((password: string) => Promise<boolean>) | undefined,
): Promise<AdvanceResult> {
  const actor = actorOf(user);
  const jobs = await selectJobs(db, sel);
  try {
    await requireStepUp(user, password, verifyPassword);
  } catch (err) {
    if (password) {
      await appendAudit(db, {
        actor,
        action: 'toggle.step_up_refused',
        target: jobs
          .map((j) => j.host)
          .join(',')
          .slice(0, 1024),
        jobId: jobs.length === 1 ? jobs[0]!.id : null,
        detail: { jobs: jobs.map((j) => j.id) },
        origin,
      });
    }
    throw err;
  }
  const refused = jobs.map(notApprovable).filter((r): r is string => r !== null);
  if (refused.length > 0) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: refused.slice(0, 10).join('; ') });
  const out: AdvanceResult = { jobs: [], skipped: [] };
  for (const job of jobs) {
    const next = await advanceToggleJob(db, job.id, {
      from: 'planned',
      to: 'approved',
      actor,
      origin,
      approvedBy: actor,
      step: { at: new Date().toISOString(), step: 'approve', outcome: 'ok', detail: `approved by ${actor}` },
    });
    if (next) out.jobs.push(next);
    else out.skipped.push({ id: job.id, reason: 'no longer planned' });
  }
  return out;
}

/**
 * Cancel the selected jobs that are `planned` or `approved` (`-> cancelled`); jobs already
 * running or final are reported in `skipped`. The store writes the audit entry `toggle.cancelled`.
 * @throws TRPCError NOT_FOUND for unknown jobs
 */
export async function cancelJobs(db: Db, user: SessionUser, origin: string | null, sel: JobSelection): Promise<AdvanceResult> {
  const actor = actorOf(user);
  const jobs = await selectJobs(db, sel);
  const out: AdvanceResult = { jobs: [], skipped: [] };
  for (const job of jobs) {
    const next = await advanceToggleJob(db, job.id, {
      from: ['planned', 'approved'],
      to: 'cancelled',
      actor,
      origin,
      step: { at: new Date().toISOString(), step: 'cancel', outcome: 'info', detail: `cancelled by ${actor}` },
    });
    if (next) out.jobs.push(next);
    else out.skipped.push({ id: job.id, reason: `is ${job.state}` });
  }
  return out;
}
