/**
 * `l2scope toggle`: what the command line asks for, and how a plan and a job's progress print.
 * Pure (no I/O): the command in `toggle.ts` does the HTTP calls (docs/toggles.md#from-the-dashboard-and-the-cli).
 */
import { FINAL_JOB_STATES, type ModeChange, type ToggleJobView, jobDeadline, jobOpen, modeChangeSchema } from '@l2scope/domain';

/** A command line that cannot be run: printed with the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The options as commander hands them over. */
export interface ToggleOptions {
  host?: string[];
  network?: string;
  l2pop?: string;
  arpResponder?: string;
  inPlace?: boolean;
  plan?: boolean;
  yes?: boolean;
  url?: string;
  token?: string;
  timeout?: string;
}

/** A parsed request. */
export interface ToggleRequest {
  target: { hosts: string[] } | { network: string };
  change: ModeChange;
  inPlace: boolean;
  /** print the plan, cancel the jobs, exit (0 when applicable) */
  planOnly: boolean;
  yes: boolean;
  /** the dashboard's origin, e.g. `http://localhost:3000` */
  url: string;
  token: string;
  /** seconds to wait for the plans and then for the jobs to end */
  timeoutS: number;
}

function onOff(flag: string, v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const s = v.toLowerCase();
  if (s === 'on' || s === 'true') return true;
  if (s === 'off' || s === 'false') return false;
  throw new UsageError(`${flag} takes on or off, not ${JSON.stringify(v)}`);
}

/**
 * Check and normalise the options. The token comes from `--token` or `L2SCOPE_TOKEN`, the URL
 * from `--url`, `L2SCOPE_URL`, or `http://localhost:3000`.
 * @throws UsageError naming what is wrong
 */
export function parseToggleOptions(o: ToggleOptions, env: Record<string, string | undefined> = {}): ToggleRequest {
  const hosts = [
    ...new Set(
      (o.host ?? [])
        .flatMap((h) => h.split(','))
        .map((h) => h.trim())
        .filter(Boolean),
    ),
  ];
  if (hosts.length > 0 && o.network) throw new UsageError('give --host or --network, not both');
  if (hosts.length === 0 && !o.network) throw new UsageError('give --host <name> (one or more) or --network <id>');
  if (hosts.length > 1000) throw new UsageError('at most 1000 hosts');
  const change = { l2_population: onOff('--l2pop', o.l2pop), arp_responder: onOff('--arp-responder', o.arpResponder) };
  const parsed = modeChangeSchema.safeParse(Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)));
  if (!parsed.success) throw new UsageError('give --l2pop on|off, --arp-responder on|off, or both');
  const rawUrl = o.url ?? env.L2SCOPE_URL ?? 'http://localhost:3000';
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(rawUrl)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must be http:// or https://');
  const token = o.token ?? env.L2SCOPE_TOKEN ?? '';
  if (!token) throw new UsageError('give --token or set L2SCOPE_TOKEN (make one with: l2scope user token <name>)');
  const timeoutS = o.timeout === undefined ? 900 : Number(o.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError('--timeout takes seconds > 0');
  return {
    target: hosts.length > 0 ? { hosts } : { network: o.network! },
    change: parsed.data,
    inPlace: o.inPlace ?? false,
    planOnly: o.plan ?? false,
    yes: o.yes ?? false,
    url: url.origin,
    token,
    timeoutS,
  };
}

/** The change in words: `l2_population off, arp_responder on`. */
export function describeChange(c: ModeChange): string {
  return (['l2_population', 'arp_responder'] as const)
    .filter((k) => c[k] !== undefined)
    .map((k) => `${k} ${c[k] ? 'on' : 'off'}`)
    .join(', ');
}

/** The plans of the jobs as text lines (per host: method, downtime, ini diff, predicted findings, warnings). */
export function formatPlan(jobs: readonly ToggleJobView[]): string[] {
  const out: string[] = [];
  for (const j of jobs) {
    out.push(`${j.host}: ${describeChange(j.change)}${j.inPlace ? ' (in place)' : ''}`);
    const p = j.plan;
    if (!p) {
      out.push('  no plan (the agent did not answer)');
      continue;
    }
    if (p.refusal) out.push(`  refused by the agent: ${p.refusal}`);
    out.push(`  restart: ${p.method}${p.agent ? ` (${p.agent.service.method} ${p.agent.service.name})` : ''}, downtime ~${p.downtimeS} s`);
    if (p.agent) {
      out.push(`  ini: ${p.agent.iniPath} [${p.agent.section}]`);
      for (const l of p.agent.diff.split('\n').filter(Boolean)) out.push(`    ${l}`);
    }
    const sorted = [...p.predicted].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
    for (const f of sorted) out.push(`  predicted ${f.severity}: ${f.kind}: ${f.detail}`);
    if (sorted.length === 0) out.push('  predicted: no finding');
    for (const w of p.warnings) out.push(`  warning: ${w}`);
    if (!p.applicable) out.push('  NOT APPLICABLE');
  }
  return out;
}

/** Whether every job's plan has arrived (or the job left `planned`). */
export function plansArrived(jobs: readonly ToggleJobView[]): boolean {
  return jobs.every((j) => j.plan !== null || j.state !== 'planned');
}

/** Whether every plan may be applied. */
export function applicable(jobs: readonly ToggleJobView[]): boolean {
  return jobs.every((j) => j.state === 'planned' && j.plan !== null && j.plan.applicable && !j.plan.refusal);
}

/**
 * Lines to print for what changed between two copies of a job (new steps, a new state).
 * @param prev the copy printed last, undefined for the first
 */
export function progressLines(prev: ToggleJobView | undefined, next: ToggleJobView): string[] {
  const out: string[] = [];
  for (const s of next.steps.slice(prev?.steps.length ?? 0))
    out.push(`${next.host}: ${s.at.slice(11, 19)} ${s.step} ${s.outcome}${s.detail ? `: ${s.detail}` : ''}`);
  if (!prev || prev.state !== next.state) out.push(`${next.host}: ${next.state}${next.error ? ` (${next.error})` : ''}`);
  if (FINAL_JOB_STATES.includes(next.state) && prev && !FINAL_JOB_STATES.includes(prev.state)) for (const e of next.evidence) out.push(`${next.host}:   ${e}`);
  return out;
}

/**
 * How long past a job's own deadline (its latest step's `until`) the CLI still waits for the
 * worker's next write before it concludes that no worker is running the job (ms).
 */
export const PAST_DEADLINE_MS = 30_000;

/**
 * Where a batch stands, as of `nowMs` (epoch ms): `running`, or over with exit code 0 (every job
 * `done`) or 1. A job is over when it is no longer open (domain `jobOpen`: final, or `failed` with
 * its rollback already run or not owed). A `failed` job that still owes its rollback keeps the
 * batch running, bounded by the job's own deadline (domain `jobDeadline`, set by the worker on each
 * phase): once `nowMs` is past it by {@link PAST_DEADLINE_MS}, the job counts as over (code 1).
 */
export function outcome(jobs: readonly ToggleJobView[], nowMs: number): { over: false } | { over: true; code: 0 | 1 } {
  const settled = jobs.every((j) => {
    if (!jobOpen(j)) return true;
    const d = jobDeadline(j);
    return d !== null && nowMs > d + PAST_DEADLINE_MS;
  });
  if (!settled) return { over: false };
  return { over: true, code: jobs.every((j) => j.state === 'done') ? 0 : 1 };
}
