/** The jobs a toggle mutation acts on, from `{jobIds}` or `{batchId}`. */
import { TRPCError } from '@trpc/server';
import { type Db, getToggleJob, listToggleJobs } from '@l2scope/db';
import type { ToggleJobView } from '@l2scope/domain';
import type { JobSelection } from '../schemas/toggle';

/**
 * Read the selected jobs: each id (in the order given, duplicates once), or every job of the batch
 * in `batchIndex` order.
 * @throws TRPCError NOT_FOUND naming the unknown ids, or the batch when it has no job
 */
export async function selectJobs(db: Db, sel: JobSelection): Promise<ToggleJobView[]> {
  if ('batchId' in sel) {
    const jobs = await listToggleJobs(db, { batchId: sel.batchId, limit: 1000 });
    if (jobs.length === 0) throw new TRPCError({ code: 'NOT_FOUND', message: `no batch ${sel.batchId}` });
    return [...jobs].sort((a, b) => a.batchIndex - b.batchIndex);
  }
  const ids = [...new Set(sel.jobIds)];
  const found = await Promise.all(ids.map((id) => getToggleJob(db, id)));
  const missing = ids.filter((_, i) => !found[i]);
  if (missing.length > 0) throw new TRPCError({ code: 'NOT_FOUND', message: `no job ${missing.slice(0, 10).join(', ')}` });
  return found as ToggleJobView[];
}

/**
 * Why a job may not be approved, or null when it may: it must be `planned` with a plan that
 * arrived and is applicable (the worker fills the plan; an inapplicable plan, e.g. l2pop off on a
 * DVR host, is never applied).
 */
export function notApprovable(job: ToggleJobView): string | null {
  if (job.state !== 'planned') return `${job.host}: job ${job.id} is ${job.state}`;
  if (!job.plan) return `${job.host}: the plan has not arrived yet`;
  if (job.plan.refusal) return `${job.host}: the agent refused the plan (${job.plan.refusal})`;
  if (!job.plan.applicable) return `${job.host}: the plan is not applicable`;
  return null;
}
