/**
 * Toggle jobs (docs/toggles.md#jobs): one row per host's switch, read as the domain's
 * `ToggleJobView`. The API creates, approves and cancels; the worker plans and runs. Every write
 * is a compare-and-set on the job's state plus one audit entry, in one transaction, so two
 * writers (the API and the worker) never both move a job, and the audit holds every move.
 */
import { randomUUID } from 'node:crypto';
import {
  type IniMode,
  type JobState,
  type ModeChange,
  type ToggleJobView,
  type TogglePlan,
  type ToggleStep,
  FINAL_JOB_STATES,
  canTransition,
  iniModeSchema,
  jobOpen,
  modeChangeSchema,
  togglePlanSchema,
  toggleJobViewSchema,
  toggleStepSchema,
} from '@l2scope/domain';
import type { Db } from '../client';
import { appendAuditTx, withAuditWriter } from './audit';
import { jsonColumn, parseColumn } from './json';

/** Steps and evidence lines kept per job (the view's bound); the oldest go first. */
export const TOGGLE_JOB_MAX_LINES = 1000;

type Row = Awaited<ReturnType<Db['toggleJob']['findFirstOrThrow']>>;

const stepsSchema = toggleJobViewSchema.shape.steps;
const linesSchema = toggleJobViewSchema.shape.evidence;

function parsed<T>(value: unknown, parse: (v: unknown) => T, fallback: T): T {
  const p = parseColumn(value, parse);
  return p.ok ? p.value : fallback;
}

/** A row as the view; a Json column that does not fit (edited by hand) reads as empty / null. */
function toView(r: Row): ToggleJobView {
  return {
    id: r.id,
    host: r.host,
    batchId: r.batchId,
    batchIndex: r.batchIndex,
    change: parsed(r.change, (v) => modeChangeSchema.parse(v), {}),
    inPlace: r.inPlace,
    state: r.state as JobState,
    before: r.before === null ? null : parsed(r.before, (v) => iniModeSchema.parse(v), null),
    plan: r.plan === null ? null : parsed(r.plan, (v) => togglePlanSchema.parse(v), null),
    steps: parsed(r.steps, (v) => stepsSchema.parse(v), []),
    evidence: parsed(r.evidence, (v) => linesSchema.parse(v), []),
    error: r.error,
    requestedBy: r.requestedBy,
    approvedBy: r.approvedBy,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** A host named in a new toggle already has an open job (`jobOpen`): nothing was created. */
export class ToggleHostBusyError extends Error {
  override readonly name = 'ToggleHostBusyError';
  constructor(
    /** the busy hosts, with their open job */
    readonly busy: { host: string; jobId: string; state: JobState }[],
  ) {
    super(
      `a toggle is in progress on ${busy
        .slice(0, 10)
        .map((b) => `${b.host} (job ${b.jobId}, ${b.state})`)
        .join(', ')}`,
    );
  }
}

/**
 * Create one `planned` job per host (plan null), in the order given; several hosts share a
 * `batchId` (`batchIndex` = position), one host has none. One audit entry `toggle.requested` per
 * job, in the same transaction.
 *
 * A host holds at most one open job (`jobOpen`: not final, or `failed` and still owing its
 * rollback): the check runs in the serializable transaction that creates the jobs. Two creators
 * racing (two API processes) cannot both commit: PostgreSQL aborts one (a serialization failure),
 * SQLite lets one writer at a time; the loser is retried ({@link withAuditWriter}) and its retry
 * sees the winner's job. So two jobs for one host cannot both be created.
 * @throws ToggleHostBusyError naming the hosts that have an open job
 * @throws Error for no host, a repeated host, or a change that is not a {@link ModeChange}
 */
export async function createToggleJobs(
  db: Db,
  o: { hosts: string[]; change: ModeChange; inPlace: boolean; requestedBy: string; origin: string | null },
): Promise<ToggleJobView[]> {
  if (o.hosts.length === 0) throw new Error('a toggle needs at least one host');
  if (new Set(o.hosts).size !== o.hosts.length) throw new Error('a host appears twice in one toggle');
  const change = modeChangeSchema.parse(o.change);
  const batchId = o.hosts.length > 1 ? randomUUID() : null;
  return withAuditWriter(db, () =>
    db.$transaction(
      async (tx) => {
        const held = await tx.toggleJob.findMany({ where: { host: { in: o.hosts }, state: { notIn: [...FINAL_JOB_STATES] } } });
        const busy = held
          .map(toView)
          .filter(jobOpen)
          .map((j) => ({ host: j.host, jobId: j.id, state: j.state }));
        if (busy.length > 0) throw new ToggleHostBusyError(busy);
        const now = new Date();
        const out: ToggleJobView[] = [];
        for (const [batchIndex, host] of o.hosts.entries()) {
          const row = await tx.toggleJob.create({
            data: {
              id: randomUUID(),
              host,
              batchId,
              batchIndex,
              change: jsonColumn(change),
              inPlace: o.inPlace,
              state: 'planned',
              steps: [],
              evidence: [],
              requestedBy: o.requestedBy,
              origin: o.origin,
              createdAt: now,
              updatedAt: now,
            },
          });
          await appendAuditTx(
            tx,
            {
              actor: o.requestedBy,
              action: 'toggle.requested',
              target: host,
              jobId: row.id,
              detail: { change, inPlace: o.inPlace, batchId, batchIndex },
              origin: o.origin,
            },
            now,
          );
          out.push(toView(row));
        }
        return out;
      },
      // serializable: on PostgreSQL a racing creator's check-then-insert conflicts (P2034) and is retried
      { isolationLevel: 'Serializable' },
    ),
  );
}

/** One job, or null. */
export async function getToggleJob(db: Pick<Db, 'toggleJob'>, id: string): Promise<ToggleJobView | null> {
  const row = await db.toggleJob.findUnique({ where: { id } });
  return row ? toView(row) : null;
}

/**
 * Jobs newest first (by creation, then batch order).
 * @param o.limit default 100, at most 1000
 */
export async function listToggleJobs(
  db: Pick<Db, 'toggleJob'>,
  o: { host?: string; states?: JobState[]; batchId?: string; limit?: number } = {},
): Promise<ToggleJobView[]> {
  const limit = Math.min(Math.max(1, Math.floor(o.limit ?? 100)), 1000);
  const rows = await db.toggleJob.findMany({
    where: {
      ...(o.host !== undefined ? { host: o.host } : {}),
      ...(o.states !== undefined ? { state: { in: o.states } } : {}),
      ...(o.batchId !== undefined ? { batchId: o.batchId } : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { batchIndex: 'desc' }],
    take: limit,
  });
  return rows.map(toView);
}

/**
 * Move a job, compare-and-set: applies only when its state is in `from` (else null, nothing
 * written). `to` must be allowed from the current state (`canTransition`; else it throws).
 * `step` is appended to the steps, `evidence` lines to the evidence (each bounded to the last
 * {@link TOGGLE_JOB_MAX_LINES}); `plan`, `before`, `error`, `approvedBy` replace. One audit entry
 * (action `toggle.<to ?? step.step>`, or `toggle.update`; detail = the changes), same transaction.
 * @returns the job after the write, or null when it does not exist or its state is not in `from`
 * @throws Error for a transition the state machine forbids
 */
export async function advanceToggleJob(
  db: Db,
  id: string,
  o: {
    from: JobState | JobState[];
    to?: JobState;
    actor: string;
    origin?: string | null;
    step?: ToggleStep;
    plan?: TogglePlan;
    before?: IniMode;
    evidence?: string[];
    error?: string | null;
    approvedBy?: string;
  },
): Promise<ToggleJobView | null> {
  const from = Array.isArray(o.from) ? o.from : [o.from];
  const step = o.step === undefined ? undefined : toggleStepSchema.parse(o.step);
  const plan = o.plan === undefined ? undefined : togglePlanSchema.parse(o.plan);
  return withAuditWriter(db, () =>
    db.$transaction(async (tx) => {
      const row = await tx.toggleJob.findUnique({ where: { id } });
      if (!row || !from.includes(row.state as JobState)) return null;
      const current = toView(row);
      if (o.to !== undefined && !canTransition(current.state, o.to)) throw new Error(`a toggle job cannot go from ${current.state} to ${o.to}`);
      const now = new Date();
      const steps = step ? [...current.steps, step].slice(-TOGGLE_JOB_MAX_LINES) : current.steps;
      const evidence = o.evidence?.length ? [...current.evidence, ...o.evidence.map((l) => l.slice(0, 4096))].slice(-TOGGLE_JOB_MAX_LINES) : current.evidence;
      // Compare-and-set on the state read above: a concurrent writer that moved the job makes
      // this update touch no row.
      const updated = await tx.toggleJob.updateMany({
        where: { id, state: row.state, updatedAt: row.updatedAt },
        data: {
          ...(o.to !== undefined ? { state: o.to } : {}),
          ...(step ? { steps: jsonColumn(steps) } : {}),
          ...(o.evidence?.length ? { evidence: jsonColumn(evidence) } : {}),
          ...(plan !== undefined ? { plan: jsonColumn(plan) } : {}),
          ...(o.before !== undefined ? { before: jsonColumn(o.before) } : {}),
          ...(o.error !== undefined ? { error: o.error === null ? null : o.error.slice(0, 8192) } : {}),
          ...(o.approvedBy !== undefined ? { approvedBy: o.approvedBy } : {}),
          updatedAt: now > row.updatedAt ? now : new Date(row.updatedAt.getTime() + 1),
        },
      });
      if (updated.count !== 1) return null;
      const detail: Record<string, unknown> = { from: current.state };
      if (o.to !== undefined) detail.to = o.to;
      if (step) detail.step = step;
      if (plan !== undefined)
        detail.plan = { method: plan.method, applicable: plan.applicable, downtimeS: plan.downtimeS, predicted: plan.predicted.map((p) => p.kind) };
      if (o.before !== undefined) detail.before = o.before;
      if (o.evidence?.length) detail.evidence = o.evidence.length;
      if (o.error !== undefined) detail.error = o.error;
      if (o.approvedBy !== undefined) detail.approvedBy = o.approvedBy;
      await appendAuditTx(
        tx,
        { actor: o.actor, action: `toggle.${o.to ?? step?.step ?? 'update'}`, target: row.host, jobId: id, detail, origin: o.origin ?? null },
        now,
      );
      const after = await tx.toggleJob.findUniqueOrThrow({ where: { id } });
      return toView(after);
    }),
  );
}
