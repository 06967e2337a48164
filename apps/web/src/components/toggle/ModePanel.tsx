'use client';
/**
 * The host page's mode panel: `l2_population` and `arp_responder` as the running agent reports
 * them (report_state) and as its ini says; for operators and admins two switches, the "in place"
 * choice (Linux bridge) and "Plan", which opens the plan dialog. Viewers see the state only. A
 * job in progress on the host is shown instead of a new plan. A host whose agent is down gets a
 * warning above the switches (the plan predicts `agent_down`).
 */
import type { HostMode } from '@l2scope/domain';
import { useMemo, useState } from 'react';
import { useSyncFeatures } from '@/hooks/use-sync';
import { jobsOfHost } from '@/state/jobs';
import { useL2 } from '@/state/store';
import { errorText } from '@/toggle/errors';
import { type OnOff, type ToggleKey, changeFor, describeChange, isActiveJob, modeRows } from '@/toggle/mode';
import { Card } from '../host-view/HostViewFrame';
import { usePageUser } from '../SessionUser';
import { JobState } from './JobCard';
import { PlanDialog } from './PlanDialog';
import { usePlan } from './use-plan';

function OnOffText({ v }: { v: OnOff }) {
  return <span className={`onoff-${v}`}>{v}</span>;
}

export function ModePanel({
  host,
  mode,
  reported,
  agentDown = false,
}: {
  host: string;
  mode: HostMode | null;
  /** the worker's liveness verdict: no report_state within agent_down_time */
  agentDown?: boolean;
  /** the model's report_state values, when no analysis has the mode */
  reported: { l2population: boolean | null; arpResponder: boolean | null } | null;
}) {
  useSyncFeatures('jobs');
  const user = usePageUser();
  const canToggle = user !== null && !user.anonymous && (user.role === 'operator' || user.role === 'admin');
  const rows = useMemo(() => modeRows(mode, reported), [mode, reported]);
  const byId = useL2((s) => s.jobs.byId);
  const jobs = useMemo(() => jobsOfHost({ byId, rev: 0 }, host), [byId, host]);
  const active = jobs.find(isActiveJob) ?? null;
  const [wanted, setWanted] = useState<Partial<Record<ToggleKey, boolean>>>({});
  const [inPlace, setInPlace] = useState(false);
  const { plan, dialog, open, close } = usePlan();
  const valueOf = (key: ToggleKey): boolean => wanted[key] ?? rows.find((r) => r.key === key)?.current === 'on';
  const change = changeFor(rows, wanted);

  return (
    <Card
      title="Mode switches"
      className="toggle-panel"
      testid="mode-panel"
      aside={<span className="muted small">l2_population and arp_responder of the L2 agent</span>}
    >
      <div className="toggle-grid" data-testid="mode-state">
        <span className="th">setting</span>
        <span className="th">running agent (report_state)</span>
        <span className="th">agent ini</span>
        <span className="th" />
        {rows.map((r) => (
          <ModeLine key={r.key} k={r.key} reported={r.reported} ini={r.ini} pending={r.restartPending} />
        ))}
      </div>
      {agentDown && !active && (
        <p className="small text-warn" data-testid="mode-agent-down">
          The agent of {host} is down (no report_state within agent_down_time). A switch restarts it, but its verification needs a report_state after the
          restart: unless the restart is the point, bring the agent back first. The plan names this as agent_down.
        </p>
      )}
      {active ? (
        <p className="small" data-testid="active-job">
          A toggle is in progress on {host}: {describeChange(active.change)} <JobState job={active} />{' '}
          <button type="button" className="btn small" onClick={() => open({ jobIds: [active.id], batchId: null })} data-testid="open-job">
            Show
          </button>
        </p>
      ) : canToggle ? (
        <div className="toggle-controls" data-testid="mode-switches">
          {rows.map((r) => (
            <label key={r.key} className="switch">
              <input
                type="checkbox"
                checked={valueOf(r.key)}
                onChange={(e) => setWanted((w) => ({ ...w, [r.key]: e.target.checked }))}
                data-testid={`switch-${r.key}`}
              />
              {r.key}
            </label>
          ))}
          {(mode?.agentType ?? 'linuxbridge') === 'linuxbridge' && (
            <label className="switch" title="Only write the ini and restart: existing vxlan devices keep their old mode (half-switched)">
              <input type="checkbox" checked={inPlace} onChange={(e) => setInPlace(e.target.checked)} data-testid="switch-in-place" />
              in place (no vxlan device recreation)
            </label>
          )}
          <button
            type="button"
            className="btn btn-primary"
            disabled={change === null || plan.isPending}
            onClick={() => change && plan.mutate({ hosts: [host], change, inPlace })}
            data-testid="plan-toggle"
          >
            {plan.isPending ? 'Planning…' : change ? `Plan: ${describeChange(change)}` : 'Plan'}
          </button>
          {plan.error && <span className="text-bad small">{errorText(plan.error)}</span>}
        </div>
      ) : (
        <p className="muted small" data-testid="mode-readonly">
          Switching needs role operator or admin.
        </p>
      )}
      {dialog && <PlanDialog jobIds={dialog.jobIds} batchId={dialog.batchId} onClose={close} />}
    </Card>
  );
}

function ModeLine({ k, reported, ini, pending }: { k: ToggleKey; reported: OnOff; ini: OnOff; pending: boolean }) {
  return (
    <>
      <span className="mono">{k}</span>
      <span data-testid={`reported-${k}`} data-value={reported}>
        <OnOffText v={reported} />
      </span>
      <span data-testid={`ini-${k}`} data-value={ini}>
        <OnOffText v={ini} />
      </span>
      <span className="small text-warn">{pending ? 'ini differs: restart pending' : ''}</span>
    </>
  );
}
