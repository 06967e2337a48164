'use client';
/**
 * The plan dialog: the jobs of one plan (a host, or a network's batch) as they fill in: the
 * agent's dry run per host, the predicted findings and the downtime warning; "Apply" approves them
 * (asking the password again when the sign-in is older than 5 minutes), then each step's progress
 * and the result with its evidence, live (`toggle` events through the store).
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSync } from '@/hooks/use-sync';
import { useTRPC } from '@/lib/trpc';
import { jobsByIds } from '@/state/jobs';
import { useL2 } from '@/state/store';
import { errorText, isStepUpRequired } from '@/toggle/errors';
import { downtimeLabel, planSummary } from '@/toggle/plan';
import { JobCard } from './JobCard';

/** Poll while the live socket is down and the plan is not over (the socket is the normal path). */
const POLL_MS = 2_000;

export function PlanDialog({ jobIds, batchId, onClose }: { jobIds: string[]; batchId: string | null; onClose: () => void }) {
  const trpc = useTRPC();
  const sync = useSync();
  const byId = useL2((s) => s.jobs.byId);
  const socket = useL2((s) => s.live.socket);
  const jobs = jobsByIds({ byId, rev: 0 }, jobIds);
  const summary = planSummary(jobs);
  const [password, setPassword] = useState('');
  const [askPassword, setAskPassword] = useState(false);

  const poll = socket !== 'connected' && !summary.finished ? POLL_MS : false;
  const batch = useQuery({ ...trpc.jobs.list.queryOptions({ batchId: batchId ?? '-', limit: 1000 }), enabled: batchId !== null, refetchInterval: poll });
  const single = useQuery({ ...trpc.jobs.get.queryOptions({ id: jobIds[0] ?? '-' }), enabled: batchId === null && jobIds.length === 1, refetchInterval: poll });
  useEffect(() => {
    if (batch.data) sync?.upsertJobs(batch.data);
  }, [batch.data, sync]);
  useEffect(() => {
    if (single.data) sync?.upsertJobs([single.data]);
  }, [single.data, sync]);

  const selection = batchId ? { batchId } : { jobIds };
  const approve = useMutation(
    trpc.toggle.approve.mutationOptions({
      onSuccess: (r) => {
        sync?.upsertJobs(r.approved);
        setAskPassword(false);
        setPassword('');
      },
      onError: (err) => {
        if (isStepUpRequired(err)) setAskPassword(true);
      },
    }),
  );
  const cancel = useMutation(trpc.toggle.cancel.mutationOptions({ onSuccess: (r) => sync?.upsertJobs(r.cancelled) }));

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const apply = () => approve.mutate({ ...selection, ...(password ? { password } : {}) });
  const planned = jobs.some((j) => j.state === 'planned' || j.state === 'approved');

  return (
    <div className="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="plan-title" data-testid="plan-dialog" data-can-apply={summary.canApply}>
        <div className="dialog-head">
          <h2 id="plan-title">
            {summary.hosts === 1 ? `Plan for ${jobs[0]?.host ?? '…'}` : `Plan for ${summary.hosts} hosts (one at a time, stop on the first failure)`}
          </h2>
          <span className="muted small" data-testid="plan-summary">
            {summary.waiting > 0 && `${summary.waiting} waiting for the agent · `}
            {summary.errors} error(s), {summary.warnings} warning(s) predicted · downtime {downtimeLabel(summary.maxDowntimeS)} per host
          </span>
          <button type="button" className="btn small" onClick={onClose} style={{ marginLeft: 'auto' }} data-testid="plan-close">
            Close
          </button>
        </div>
        {jobs.length === 0 && <p className="muted">Loading the jobs…</p>}
        {jobs.map((j) => (
          <JobCard key={j.id} job={j} />
        ))}
        <div className="dialog-foot">
          {askPassword && (
            <label className="password-row" data-testid="step-up">
              <span className="small">Your sign-in is older than 5 minutes: password</span>
              <input
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                onKeyDown={(e) => e.key === 'Enter' && password && apply()}
                data-testid="step-up-password"
                autoFocus
              />
            </label>
          )}
          <button
            type="button"
            className={`btn ${summary.errors > 0 ? 'btn-bad' : 'btn-primary'}`}
            disabled={!summary.canApply || approve.isPending || (askPassword && !password)}
            onClick={apply}
            data-testid="plan-apply"
            title={summary.errors > 0 ? 'The plan predicts errors: applying breaks connectivity' : undefined}
          >
            {approve.isPending ? 'Applying…' : summary.errors > 0 ? 'Apply anyway' : 'Apply'}
          </button>
          {planned && (
            <button type="button" className="btn" disabled={cancel.isPending} onClick={() => cancel.mutate(selection)} data-testid="plan-cancel">
              Cancel the {summary.hosts === 1 ? 'job' : 'jobs'}
            </button>
          )}
          {approve.error && !isStepUpRequired(approve.error) && <span className="text-bad small">{errorText(approve.error)}</span>}
          {approve.error && isStepUpRequired(approve.error) && (
            <span className="text-warn small" data-testid="step-up-error">
              {errorText(approve.error)}
            </span>
          )}
          {cancel.error && <span className="text-bad small">{errorText(cancel.error)}</span>}
        </div>
      </div>
    </div>
  );
}
