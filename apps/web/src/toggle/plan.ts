/**
 * The plan dialog's view of one or more jobs (a host, or a network's batch): per host the ini
 * diff, restart method, expected downtime, predicted findings and warnings; over the batch whether
 * it can be applied (docs/toggles.md#from-the-dashboard-and-the-cli).
 */
import type { PredictedFinding, TogglePlan, ToggleJobView } from '@l2scope/domain';

/** How a plan restarts the agent, in words. */
export const METHOD_LABEL: Record<TogglePlan['method'], string> = {
  clean: 'clean switch: stop the agent, delete the vxlan-<VNI> devices, write the ini, start the agent',
  in_place: 'in place: write the ini and restart the agent (existing vxlan devices keep their old mode)',
  restart: 'restart the Open vSwitch agent (it rebuilds br-tun)',
};

/** One line of a unified diff, classified for colouring. */
export interface DiffLine {
  kind: 'add' | 'del' | 'hunk' | 'context';
  text: string;
}

/** Split a unified diff into classified lines (the `---`/`+++` file headers are context). */
export function diffLines(diff: string): DiffLine[] {
  return diff
    .split('\n')
    .filter((l, i, all) => l !== '' || i < all.length - 1)
    .map((text) => ({
      text,
      kind: text.startsWith('@@')
        ? 'hunk'
        : text.startsWith('+') && !text.startsWith('+++')
          ? 'add'
          : text.startsWith('-') && !text.startsWith('---')
            ? 'del'
            : 'context',
    }));
}

/** Predicted findings, errors first, then by kind. */
export function sortPredicted(p: readonly PredictedFinding[]): PredictedFinding[] {
  return [...p].sort((a, b) => (a.severity === b.severity ? a.kind.localeCompare(b.kind) : a.severity === 'error' ? -1 : 1));
}

/** Seconds as the plan shows them: `none`, `~5 s`, `~2 min`. */
export function downtimeLabel(s: number): string {
  if (s <= 0) return 'none expected';
  return s < 120 ? `~${Math.round(s)} s` : `~${Math.round(s / 60)} min`;
}

/** What the dialog says about the whole selection. */
export interface PlanSummary {
  hosts: number;
  /** jobs whose plan has not arrived yet */
  waiting: number;
  /** jobs whose plan forbids applying, or the agent refused */
  blocked: number;
  /** predicted findings of severity error over all hosts, in the end state (transient ones are warnings) */
  errors: number;
  warnings: number;
  /** the longest expected downtime of one host (jobs run host by host) */
  maxDowntimeS: number;
  /** every job is `planned` with an applicable plan */
  canApply: boolean;
  /** every job is over or failed (a rollback may still follow a failure: live events show it) */
  finished: boolean;
}

/** Summarise a selection of jobs for the dialog's header and its Apply button. */
export function planSummary(jobs: readonly ToggleJobView[]): PlanSummary {
  let waiting = 0;
  let blocked = 0;
  let errors = 0;
  let warnings = 0;
  let maxDowntimeS = 0;
  let allPlanned = jobs.length > 0;
  let finished = jobs.length > 0;
  for (const j of jobs) {
    if (j.state !== 'planned') allPlanned = false;
    if (!['done', 'rolled_back', 'cancelled', 'failed'].includes(j.state)) finished = false;
    if (!j.plan) {
      if (j.state === 'planned') waiting++;
      continue;
    }
    if (!j.plan.applicable || j.plan.refusal) blocked++;
    // a transient finding (only while the batch runs) is a warning of the batch, not an error of its end state
    for (const p of j.plan.predicted) if (p.severity === 'error' && !p.transient) errors++;
    warnings += j.plan.predicted.filter((p) => p.severity === 'warning' || p.transient).length + j.plan.warnings.length;
    maxDowntimeS = Math.max(maxDowntimeS, j.plan.downtimeS);
  }
  return { hosts: jobs.length, waiting, blocked, errors, warnings, maxDowntimeS, canApply: allPlanned && waiting === 0 && blocked === 0, finished };
}
