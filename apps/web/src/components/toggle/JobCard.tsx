'use client';
/** One toggle job in the plan dialog: its plan (ini diff, method, downtime, predicted findings, warnings), its progress, steps and evidence. */
import type { ToggleJobView } from '@l2scope/domain';
import { describeChange } from '@/toggle/mode';
import { METHOD_LABEL, diffLines, downtimeLabel, sortPredicted } from '@/toggle/plan';
import { JOB_STATE_META, phases, stepTime } from '@/toggle/progress';

/** A job's state as a pill. */
export function JobState({ job }: { job: Pick<ToggleJobView, 'state'> }) {
  const meta = JOB_STATE_META[job.state];
  return (
    <span className={`job-state ${meta.tone}`} data-testid="job-state" data-state={job.state}>
      {meta.label}
    </span>
  );
}

/** The job of one host: plan, then progress once approved. */
export function JobCard({ job }: { job: ToggleJobView }) {
  const plan = job.plan;
  const started = job.state !== 'planned';
  return (
    <div className="plan-host" data-testid="plan-host" data-host={job.host} data-job={job.id} data-state={job.state}>
      <h3>
        <span className="mono">{job.host}</span>
        <JobState job={job} />
        <span className="muted small">{describeChange(job.change)}</span>
      </h3>
      {started && (
        <div className="phases" aria-label="progress">
          {phases(job).map((p) => (
            <span key={p.state} className={`phase ${p.status}`}>
              {JOB_STATE_META[p.state].label}
            </span>
          ))}
        </div>
      )}
      {!plan ? (
        job.state === 'planned' ? (
          <p className="muted small" data-testid="plan-waiting">
            Waiting for the agent’s dry run on {job.host}…
          </p>
        ) : null
      ) : (
        <>
          {plan.refusal && (
            <p className="text-bad small" data-testid="plan-refusal">
              The agent refused the plan: {plan.refusal}
            </p>
          )}
          {!plan.applicable && <p className="text-bad small strong">This plan cannot be applied.</p>}
          <dl className="kv small">
            <dt>restart</dt>
            <dd data-testid="plan-method" data-method={plan.method}>
              {METHOD_LABEL[plan.method]}
              {plan.agent && (
                <span className="muted">
                  {' '}
                  ({plan.agent.service.method} {plan.agent.service.name})
                </span>
              )}
            </dd>
            <dt>downtime</dt>
            <dd data-testid="plan-downtime" data-seconds={plan.downtimeS}>
              {downtimeLabel(plan.downtimeS)}
              {plan.downtimeS > 0 && <span className="text-warn"> — traffic of this host’s VMs is interrupted</span>}
            </dd>
            {plan.agent && (
              <>
                <dt>ini</dt>
                <dd className="mono">
                  {plan.agent.iniPath} [{plan.agent.section}]
                </dd>
              </>
            )}
          </dl>
          {plan.agent?.diff && (
            <pre className="ini-diff" data-testid="plan-diff">
              {diffLines(plan.agent.diff).map((l, i) => (
                <div key={i} className={l.kind}>
                  {l.text || ' '}
                </div>
              ))}
            </pre>
          )}
          {plan.predicted.length > 0 ? (
            <ul className="predicted" data-testid="plan-predicted">
              {sortPredicted(plan.predicted).map((p, i) => (
                <li
                  key={i}
                  className={p.transient ? 'warning' : p.severity}
                  data-kind={p.kind}
                  data-severity={p.severity}
                  data-transient={p.transient ? 'true' : undefined}
                >
                  <strong>{p.kind}</strong> ({p.transient ? `transient ${p.severity}` : p.severity}
                  {p.hosts.length > 0 ? `, ${p.hosts.join(', ')}` : ''}): {p.detail}
                </li>
              ))}
            </ul>
          ) : (
            <p className="text-ok small" data-testid="plan-no-findings">
              No finding predicted once applied.
            </p>
          )}
          {plan.warnings.length > 0 && (
            <ul className="notes" data-testid="plan-warnings">
              {plan.warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          )}
        </>
      )}
      {job.steps.length > 0 && (
        <table className="steps" data-testid="job-steps">
          <tbody>
            {job.steps.map((s, i) => (
              <tr key={i} data-step={s.step} data-outcome={s.outcome}>
                <td className="mono muted">{stepTime(s.at)}</td>
                <td className="strong">{s.step}</td>
                <td className={s.outcome === 'failed' ? 'text-bad' : s.outcome === 'ok' ? 'text-ok' : 'muted'}>{s.outcome}</td>
                <td>{s.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {job.error && (
        <p className="text-bad small" data-testid="job-error">
          {job.error}
        </p>
      )}
      {job.evidence.length > 0 && (
        <details open={job.state === 'done' || job.state === 'rolled_back' || job.state === 'failed'}>
          <summary className="small">evidence ({job.evidence.length} lines)</summary>
          <pre className="ini-diff" data-testid="job-evidence">
            {job.evidence.join('\n')}
          </pre>
        </details>
      )}
    </div>
  );
}
