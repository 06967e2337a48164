/**
 * The toggle runner (docs/toggles.md): the worker's side of the admin toggles. It polls the
 * database for jobs (about every second, and at once on its own events), plans each new `planned`
 * job (the agent's dry run plus `predictToggle` over the live model), and runs `approved` jobs one
 * at a time (a batch in `batchIndex` order, stopped at the first failure):
 * `applying` (set_mode) -> `restarting` (recreate_vxlan or restart_agent) -> `verifying`
 * (report_state, snapshot, Open vSwitch br-tun under one new cookie, drift) -> `done`; on failure or deadline `failed` -> `rolling_back`
 * (rollback) -> verify the previous mode -> `rolled_back`, or `failed` with the evidence.
 * A job found mid-way at start (a worker restart) is verified first: in the target mode it goes on
 * to `done`, else it is rolled back; a `failed` job that still owes its rollback (`awaitsRollback`)
 * is rolled back, and a `rolling_back` one whose rollback command did not complete gets it again.
 * An agent's `busy` refusal is retried with a newly signed command (new id, commands.ts) within the command's
 * timeout. The steps that start a bounded phase carry its end (`until`: the job's own deadline).
 */
import { EventEmitter } from 'node:events';
import { advanceToggleJob, type Db, listToggleJobs } from '@l2scope/db';
import {
  type ClusterModel,
  type CommandReply,
  type DecodedMessage,
  type FullNodeSnapshot,
  type JobState,
  type KnownMode,
  type NodeAnalysis,
  type ToggleJobView,
  type TogglePlan,
  type ToggleStep,
  agentPlanSchema,
  awaitsRollback,
  isL2AgentReport,
  predictToggle,
} from '@l2scope/domain';
import { AgentCommands, Stopped } from './commands';
import type { CommandSink } from './publisher';
import type { CommandSigner } from './signer';
import {
  type ExpectedMode,
  type StartReport,
  brTunCookies,
  checkBrTun,
  checkDrift,
  checkReport,
  checkSnapshot,
  cookiesBeforeLine,
  cookiesBeforeOf,
  previousOf,
  targetOf,
} from './verify';

/** Options of {@link ToggleRunner}. */
export interface ToggleRunnerOptions {
  db: Db;
  model: ClusterModel;
  /** The host monitor's latest analysis (modes, snapshots, drift). */
  analysis: () => NodeAnalysis | null;
  /** The host monitor's latest full snapshot of a host (br-tun's cookies for Open vSwitch); without it the br-tun check cannot pass. */
  snapshot?: (host: string) => FullNodeSnapshot | undefined;
  signer: CommandSigner;
  sink: CommandSink;
  /** Verification deadline after the restart (ms, default 120 000). */
  deadlineMs?: number;
  /** How long to wait for an agent's final reply to a command (ms, default 120 000; `plan`: 15 000). */
  commandTimeoutMs?: number;
  planTimeoutMs?: number;
  /** Database poll period (ms, default 1000). */
  pollMs?: number;
  log?: (line: string) => void;
}

/** Events: every job change the runner wrote (the live server pushes it as `toggle`). */
export interface ToggleRunnerEvents {
  job: [job: ToggleJobView];
}

const ACTIVE: JobState[] = ['applying', 'restarting', 'verifying', 'rolling_back'];
const RESTARTS = new Set(['restart_agent', 'recreate_vxlan', 'rollback']);

/** A step; `untilMs`: the phase it starts ends within that many ms (the step's `until`). */
const step = (name: string, outcome: ToggleStep['outcome'], detail: string, untilMs?: number): ToggleStep => {
  const now = Date.now();
  return {
    at: new Date(now).toISOString(),
    step: name,
    outcome,
    detail: detail.slice(0, 8192),
    ...(untilMs !== undefined ? { until: new Date(now + untilMs).toISOString() } : {}),
  };
};

/** Runs toggle jobs; see the module comment. */
export class ToggleRunner extends EventEmitter<ToggleRunnerEvents> {
  private readonly commands: AgentCommands;
  private readonly reports = new Map<string, StartReport>();
  private readonly planning = new Set<string>();
  /** report_state `devices` per host, to notice ports changing (`no_l2pop_casts`). */
  private readonly devices = new Map<string, number | null>();
  private portsChangedAt = 0;
  private addFdbAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private again = false;
  private running: Promise<void> | null = null;
  private stopped = false;
  private resumed = false;
  private readonly log: (line: string) => void;

  constructor(private readonly opts: ToggleRunnerOptions) {
    super();
    this.log = opts.log ?? (() => {});
    this.commands = new AgentCommands(opts.signer, opts.sink);
  }

  /**
   * Follow the pipeline's decoded messages: each report_state with `start_flag` is kept per host
   * (check (a)); a host's `devices` count changing and `add_fdb_entries` casts are noted for the
   * plan's `no_l2pop_casts` (ports changed, yet the server cast no l2pop entry).
   */
  follow(pipeline: { on(event: 'applied', cb: (msg: DecodedMessage, at: number) => void): unknown }): void {
    pipeline.on('applied', (msg, at) => {
      if (msg.kind === 'fdb' && msg.method === 'add_fdb_entries') this.addFdbAt = at;
      // the L2 agent's reports only: a DHCP or L3 agent restarting on the host proves nothing
      if (msg.kind !== 'report_state' || !isL2AgentReport(msg.agent)) return;
      const a = msg.agent;
      const prev = this.devices.get(a.host);
      if (prev !== undefined && prev !== a.devices) this.portsChangedAt = at;
      if (prev === undefined && this.devices.size >= 100_000) this.devices.delete(this.devices.keys().next().value!);
      this.devices.set(a.host, a.devices);
      if (!a.startFlag) return;
      this.reports.set(a.host, { at, agentType: a.agentType, l2population: a.l2population, arpResponder: a.arpResponder });
      if (this.reports.size > 100_000) this.reports.delete(this.reports.keys().next().value!);
    });
  }

  /** Ports changed more than 30 s ago and no `add_fdb_entries` was seen since this worker started. */
  private noL2popCasts(now = Date.now()): boolean {
    return this.portsChangedAt > 0 && this.addFdbAt === 0 && now - this.portsChangedAt > 30_000;
  }

  /** A validated, identity-checked reply from `reply.<host>`: routed to the command waiting for it (others are ignored). */
  onReply(reply: CommandReply): void {
    this.commands.onReply(reply);
  }

  start(): void {
    this.timer = setInterval(() => this.wake(), this.opts.pollMs ?? 1000);
    this.wake();
  }

  /** Stop polling; a running job stops where it is (the next worker resumes it). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.commands.stop();
    await this.ticking?.catch(() => {});
    await this.running?.catch(() => {});
  }

  /** Look at the jobs now (coalesced with a look under way). */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .catch((err: unknown) => this.log(`toggle: ${String(err).slice(0, 500)}`))
      .finally(() => {
        this.ticking = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async tick(): Promise<void> {
    const db = this.opts.db;
    for (const job of await listToggleJobs(db, { states: ['planned'], limit: 1000 })) {
      if (job.plan === null && !this.planning.has(job.id) && this.planning.size < 32) {
        this.planning.add(job.id);
        void this.plan(job)
          .catch((err: unknown) => this.log(`toggle: planning ${job.id}: ${String(err).slice(0, 500)}`))
          .finally(() => this.planning.delete(job.id));
      }
    }
    if (this.running || this.stopped) return;
    let next: (() => Promise<void>) | null = null;
    if (!this.resumed) {
      this.resumed = true;
      const active = await listToggleJobs(db, { states: ACTIVE, limit: 1000 });
      const owing = (await listToggleJobs(db, { states: ['failed'], limit: 1000 })).filter(awaitsRollback);
      if (active.length || owing.length)
        next = async () => {
          for (const j of active.reverse()) await this.resume(j);
          for (const j of owing.reverse()) await this.resumeFailed(j);
        };
    }
    if (!next) {
      const approved = (await listToggleJobs(db, { states: ['approved'], limit: 1000 })).sort(
        (a, b) => a.createdAt.localeCompare(b.createdAt) || a.batchIndex - b.batchIndex,
      );
      for (const job of approved) {
        if (job.batchId) {
          const earlier = (await listToggleJobs(db, { batchId: job.batchId, limit: 1000 })).filter((b) => b.batchIndex < job.batchIndex);
          const broken = earlier.find((b) => b.state === 'failed' || b.state === 'rolled_back' || b.state === 'rolling_back');
          if (broken) {
            await this.stopBatch(job.batchId, broken);
            continue;
          }
          if (earlier.some((b) => b.state !== 'done' && b.state !== 'cancelled')) continue;
        }
        next = () => this.execute(job);
        break;
      }
    }
    if (next) {
      this.running = next()
        .catch((err: unknown) => {
          if (!(err instanceof Stopped)) this.log(`toggle: ${String(err).slice(0, 500)}`);
        })
        .finally(() => {
          this.running = null;
          this.wake();
        });
    }
  }

  /** Cancel the planned and approved jobs after `broken` in its batch. */
  private async stopBatch(batchId: string, broken: ToggleJobView): Promise<void> {
    for (const j of await listToggleJobs(this.opts.db, { batchId, limit: 1000 })) {
      if (j.batchIndex <= broken.batchIndex || (j.state !== 'planned' && j.state !== 'approved')) continue;
      await this.advance(j.id, {
        from: ['planned', 'approved'],
        to: 'cancelled',
        step: step(
          'batch',
          'info',
          `the batch stopped: ${broken.host} (#${broken.batchIndex}) ended ${broken.state}${broken.error ? `: ${broken.error}` : ''}`,
        ),
      });
    }
  }

  private async advance(id: string, o: Omit<Parameters<typeof advanceToggleJob>[2], 'actor'>): Promise<ToggleJobView | null> {
    const job = await advanceToggleJob(this.opts.db, id, { ...o, actor: 'worker', origin: null });
    if (job) this.emit('job', job);
    return job;
  }

  /** Modes the other hosts run, from the node analysis (report_state does not carry Linux bridge's ARP responder). */
  private known(): Record<string, KnownMode> {
    const out: Record<string, KnownMode> = {};
    for (const [host, a] of Object.entries(this.opts.analysis()?.hosts ?? {})) {
      out[host] = {
        l2pop: a.mode.l2pop === 'unknown' ? null : a.mode.l2pop === 'on',
        arpResponder: a.mode.arpResponder === 'unknown' ? null : a.mode.arpResponder === 'on',
      };
    }
    return out;
  }

  /** The other hosts of `job`'s batch, before and after it in `batchIndex` order (cancelled jobs left out). */
  private async batchPeers(job: ToggleJobView): Promise<{ earlier: string[]; later: string[] }> {
    const jobs = (await listToggleJobs(this.opts.db, { batchId: job.batchId!, limit: 1000 })).filter((j) => j.id !== job.id && j.state !== 'cancelled');
    return {
      earlier: jobs.filter((j) => j.batchIndex < job.batchIndex).map((j) => j.host),
      later: jobs.filter((j) => j.batchIndex > job.batchIndex).map((j) => j.host),
    };
  }

  private async plan(job: ToggleJobView): Promise<void> {
    let agent: TogglePlan['agent'] = null;
    let refusal: string | null = null;
    try {
      const { reply } = await this.commands.send(job.host, 'plan', { change: job.change, inPlace: job.inPlace }, this.opts.planTimeoutMs ?? 15_000);
      const parsed = agentPlanSchema.safeParse(reply.result);
      if (parsed.success) agent = parsed.data;
      else refusal = `the agent's plan does not fit the contract: ${parsed.error.message.slice(0, 300)}`;
    } catch (err) {
      if (err instanceof Stopped) return;
      refusal = (err as Error).message;
    }
    const known = this.known();
    if (agent) known[job.host] = { ...known[job.host], l2pop: agent.before.l2_population ?? false, arpResponder: agent.before.arp_responder ?? false };
    const p = predictToggle({
      model: this.opts.model,
      hosts: [job.host],
      change: job.change,
      inPlace: job.inPlace,
      known,
      noL2popCasts: this.noL2popCasts(),
      ...(job.batchId ? { batch: await this.batchPeers(job) } : {}),
    });
    const method = agent?.agentType === 'openvswitch' ? 'restart' : agent?.agentType === 'linuxbridge' ? (job.inPlace ? 'in_place' : 'clean') : p.method;
    const plan: TogglePlan = {
      agent,
      refusal,
      method,
      downtimeS: p.downtimeS,
      predicted: p.predicted,
      warnings: [...(agent?.warnings ?? []), ...p.warnings].slice(0, 64),
      applicable: agent !== null && p.applicable,
    };
    await this.advance(job.id, {
      from: 'planned',
      plan,
      ...(agent ? { before: agent.before } : {}),
      step: step(
        'plan',
        agent ? 'ok' : 'failed',
        agent ? `${agent.iniPath} [${agent.section}]: ${method}, ${p.predicted.length} predicted finding(s)` : `no plan: ${refusal}`,
      ),
    });
  }

  private get timeoutMs(): number {
    return this.opts.commandTimeoutMs ?? 120_000;
  }

  private get deadlineMs(): number {
    return this.opts.deadlineMs ?? 120_000;
  }

  private async execute(job: ToggleJobView): Promise<void> {
    const host = job.host;
    const timeout = this.timeoutMs;
    let j = await this.advance(job.id, {
      from: 'approved',
      to: 'applying',
      step: step('apply', 'info', `set_mode ${JSON.stringify(job.change)} on ${host}`, timeout),
    });
    if (!j) return;
    let since: number;
    try {
      const set = await this.commands.send(host, 'set_mode', { job: j.id, change: j.change }, timeout);
      const r = set.reply.result as { iniPath?: string; backupPath?: string; diff?: string } | undefined;
      j = await this.advance(j.id, {
        from: 'applying',
        to: 'restarting',
        step: step('set_mode', 'ok', `${r?.iniPath ?? 'ini'} written${r?.backupPath ? `, backup ${r.backupPath}` : ''}`, timeout),
        evidence: [...set.progress, ...(r?.diff ? r.diff.split('\n').slice(0, 40) : [])],
      });
      if (!j) return;
      const vnis = this.cleanVnis(j);
      const before = this.cookiesLine(j);
      since = Date.now();
      const restart = vnis
        ? await this.commands.send(host, 'recreate_vxlan', { job: j.id, vnis }, timeout)
        : await this.commands.send(host, 'restart_agent', { job: j.id }, timeout);
      j = await this.advance(j.id, {
        from: 'restarting',
        to: 'verifying',
        step: step(
          vnis ? 'recreate_vxlan' : 'restart_agent',
          'ok',
          vnis ? `agent restarted, vxlan ${vnis.join(', ')} recreated` : 'agent restarted',
          this.deadlineMs,
        ),
        evidence: [...before, ...restart.progress],
      });
      if (!j) return;
    } catch (err) {
      if (err instanceof Stopped) throw err;
      const cur = await this.advance(job.id, { from: ['applying', 'restarting'], step: step('command', 'failed', (err as Error).message) });
      if (cur) await this.rollback(cur, (err as Error).message);
      return;
    }
    await this.verifyThen(j, since, Date.now() + this.deadlineMs);
  }

  /** An Open vSwitch host's job: the agent's plan says so, else the host's snapshot. */
  private isOvs(j: ToggleJobView): boolean {
    const t = j.plan?.agent?.agentType ?? this.opts.snapshot?.(j.host)?.agent.type;
    return t === 'openvswitch';
  }

  /** Open vSwitch: the evidence line with br-tun's cookies now (before a restart); none otherwise. */
  private cookiesLine(j: ToggleJobView): string[] {
    if (!this.isOvs(j)) return [];
    const c = brTunCookies(this.opts.snapshot?.(j.host));
    return c ? [cookiesBeforeLine(c)] : [];
  }

  /** VNIs for a clean Linux bridge switch (`recreate_vxlan`), null for a plain restart. */
  private cleanVnis(j: ToggleJobView): number[] | null {
    if (j.inPlace || j.plan?.method !== 'clean' || j.plan.agent?.agentType !== 'linuxbridge') return null;
    return j.plan.agent.vxlanVnis;
  }

  /** Verify the target mode; done, or roll back. */
  private async verifyThen(j: ToggleJobView, since: number, deadline: number): Promise<void> {
    const want = targetOf(j.change);
    const v = await this.verify(j, want, since, deadline, j.change.l2_population === true && j.before?.l2_population !== true);
    if (v.ok) {
      await this.advance(j.id, {
        from: 'verifying',
        to: 'done',
        step: step('verify', 'ok', v.gap ? 'in the new mode; a full-FDB gap remains (see evidence)' : 'in the new mode, no drift'),
      });
      return;
    }
    await this.rollback(j, v.why);
  }

  /**
   * Wait until the checks pass or the deadline: report_state, snapshot, br-tun (Open vSwitch: one
   * cookie, not one of those recorded before the restart in `j.evidence`, and tables in the mode),
   * drift. Each check is a step once it passes (or fails at the deadline) with its evidence lines.
   * A full-FDB gap (`checkDrift`'s `gap`) passes only at the deadline.
   */
  private async verify(
    j: ToggleJobView,
    want: ExpectedMode,
    since: number,
    deadline: number,
    l2popTurnedOn: boolean,
  ): Promise<{ ok: boolean; why: string; gap: boolean }> {
    const states: JobState[] = [j.state];
    const passed = new Set<string>();
    const ovs = this.isOvs(j);
    const before = cookiesBeforeOf(j.evidence);
    for (;;) {
      if (this.stopped) throw new Stopped('worker stopping');
      const analysis = this.opts.analysis()?.hosts[j.host];
      const report = this.startReport(j.host);
      const now = Date.now();
      const d = checkDrift(analysis, l2popTurnedOn);
      // a gap passes only at the deadline: until then zero drift may still come (the full FDB being applied)
      const drift = d.gap.length && now < deadline ? { ...d, ok: false } : d;
      const checks = [
        { name: 'report_state', r: checkReport(report, since, want) },
        { name: 'snapshot', r: checkSnapshot(analysis, since, want, this.cleanVnis(j) ?? []) },
        ...(ovs ? [{ name: 'br_tun', r: checkBrTun(this.opts.snapshot?.(j.host), since, want, before) }] : []),
        { name: 'drift', r: drift },
      ];
      // a check counts only once the ones before it passed (the snapshot after the restart, its drift)
      let allOk = true;
      for (const c of checks) {
        if (!allOk) break;
        if (!c.r.ok) allOk = false;
        else if (!passed.has(c.name)) {
          passed.add(c.name);
          await this.advance(j.id, { from: states, step: step(c.name, 'ok', c.r.evidence[0] ?? ''), evidence: c.r.evidence.map((l) => `${c.name}: ${l}`) });
        }
      }
      if (allOk) return { ok: true, why: '', gap: drift.gap.length > 0 };
      if (now >= deadline) {
        const failed = checks.filter((c) => !c.r.ok);
        for (const c of failed)
          await this.advance(j.id, { from: states, step: step(c.name, 'failed', c.r.evidence[0] ?? ''), evidence: c.r.evidence.map((l) => `${c.name}: ${l}`) });
        return { ok: false, why: `not verified within the deadline: ${failed.map((c) => `${c.name}: ${c.r.evidence[0] ?? ''}`).join('; ')}`, gap: false };
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The latest start_flag report of a host: from the pipeline, else the model's record (a worker restarted since). */
  private startReport(host: string): StartReport | undefined {
    const seen = this.reports.get(host);
    const h = this.opts.model.host(host);
    const fromModel: StartReport | undefined =
      h?.startedAt !== null && h?.startedAt !== undefined
        ? { at: h.startedAt, agentType: h.agentType ?? '', l2population: h.l2population, arpResponder: h.arpResponder }
        : undefined;
    if (!seen) return fromModel;
    return fromModel && fromModel.at > seen.at ? fromModel : seen;
  }

  /** `failed` (the step's `until`: the whole rollback), then {@link rollBackFailed}. */
  private async rollback(j: ToggleJobView, why: string): Promise<void> {
    const failed = await this.advance(j.id, {
      from: ['applying', 'restarting', 'verifying'],
      to: 'failed',
      error: why,
      step: step('failed', 'failed', why, this.timeoutMs + this.deadlineMs),
    });
    if (failed) await this.rollBackFailed(failed, why);
  }

  /** `failed` -> `rolling_back`, then {@link sendRollback}. */
  private async rollBackFailed(failed: ToggleJobView, why: string): Promise<void> {
    const back = await this.advance(failed.id, {
      from: 'failed',
      to: 'rolling_back',
      step: step('rollback', 'info', `restoring the ini backup of job ${failed.id}`, this.timeoutMs + this.deadlineMs),
    });
    if (back) await this.sendRollback(back, why);
  }

  /** The `rollback` command (restore the job's backup, recreate or restart), then verify the previous mode: `rolled_back`, or `failed`. */
  private async sendRollback(back: ToggleJobView, why: string): Promise<void> {
    const since = Date.now();
    let after: ToggleJobView | null;
    try {
      const vnis = this.cleanVnis(back) ?? [];
      const before = this.cookiesLine(back);
      const r = await this.commands.send(back.host, 'rollback', { job: back.id, vnis }, this.timeoutMs);
      after = await this.advance(back.id, {
        from: 'rolling_back',
        step: step('rollback', 'ok', 'ini restored, agent restarted', this.deadlineMs),
        evidence: [...before, ...r.progress],
      });
    } catch (err) {
      if (err instanceof Stopped) throw err;
      await this.advance(back.id, {
        from: 'rolling_back',
        to: 'failed',
        error: `${why}; the rollback failed: ${(err as Error).message}`,
        step: step('rollback', 'failed', (err as Error).message),
      });
      return;
    }
    await this.verifyRollback(after ?? back, since, Date.now() + this.deadlineMs, why);
  }

  private async verifyRollback(j: ToggleJobView, since: number, deadline: number, why: string): Promise<void> {
    const v = await this.verify(j, previousOf(j.change, j.before), since, deadline, false);
    if (v.ok) await this.advance(j.id, { from: 'rolling_back', to: 'rolled_back', step: step('verify', 'ok', 'back in the previous mode') });
    else await this.advance(j.id, { from: 'rolling_back', to: 'failed', error: `${why}; after the rollback: ${v.why}`, step: step('verify', 'failed', v.why) });
  }

  /**
   * A job found mid-way at start: verify first, then go on to done or roll back. One in
   * `rolling_back` whose rollback command completed (a `rollback` `ok` step after the last
   * `rollback` `info`) has its previous mode verified; else the rollback command is sent again
   * (restoring the same backup twice is harmless).
   */
  private async resume(j: ToggleJobView): Promise<void> {
    const restarts = j.steps.filter((s) => RESTARTS.has(s.step) || s.step === 'set_mode' || s.step === 'rollback');
    const since = restarts.length ? Date.parse(restarts[restarts.length - 1]!.at) : Date.parse(j.updatedAt);
    const deadline = Date.now() + this.deadlineMs;
    this.log(`toggle: resuming job ${j.id} (${j.host}, ${j.state})`);
    const rolledBack = j.state === 'rolling_back' && rollbackCompleted(j);
    const bound = j.state === 'rolling_back' && !rolledBack ? this.timeoutMs + this.deadlineMs : this.deadlineMs;
    const at = await this.advance(j.id, {
      from: j.state,
      step: step(
        'resume',
        'info',
        `worker restarted; ${j.state === 'rolling_back' && !rolledBack ? 'sending the rollback again' : `verifying from ${j.state}`}`,
        bound,
      ),
    });
    if (!at) return;
    if (at.state === 'rolling_back') {
      if (rolledBack) return this.verifyRollback(at, since, deadline, at.error ?? 'interrupted');
      return this.sendRollback(at, at.error ?? 'interrupted');
    }
    const want = targetOf(at.change);
    const v = await this.verify(at, want, since, deadline, at.change.l2_population === true && at.before?.l2_population !== true);
    if (!v.ok) return this.rollback(at, `after a worker restart: ${v.why}`);
    let cur: ToggleJobView | null = at;
    for (const to of ['restarting', 'verifying', 'done'] as const) {
      if (!cur || cur.state === 'done') break;
      if (cur.state === 'applying' && to !== 'restarting') continue;
      if (cur.state === 'restarting' && to === 'restarting') continue;
      if (cur.state === 'verifying' && to !== 'done') continue;
      cur = await this.advance(cur.id, { from: cur.state, to, step: step('resume', 'ok', `verified in the target mode after a worker restart: ${to}`) });
    }
  }

  /**
   * A `failed` job found at start that still owes its rollback (`awaitsRollback`: the worker
   * stopped between `failed` and `rolling_back`): rolled back now, unless a later job of its host
   * exists (its backup would overwrite that job's ini: the step says so and the job stays failed).
   */
  private async resumeFailed(j: ToggleJobView): Promise<void> {
    this.log(`toggle: resuming job ${j.id} (${j.host}, failed before its rollback)`);
    const latest = (await listToggleJobs(this.opts.db, { host: j.host, limit: 1 }))[0];
    if (latest && latest.id !== j.id) {
      await this.advance(j.id, {
        from: 'failed',
        step: step('rollback', 'info', `not rolled back after a worker restart: job ${latest.id} of ${j.host} came later (${latest.state})`),
      });
      return;
    }
    const at = await this.advance(j.id, {
      from: 'failed',
      step: step('resume', 'info', 'worker restarted; the job failed before its rollback: rolling back', this.timeoutMs + this.deadlineMs),
    });
    if (at && awaitsRollback(at)) await this.rollBackFailed(at, at.error ?? 'failed');
  }
}

/** Whether the last rollback command of a `rolling_back` job completed (a `rollback` `ok` step after the last `rollback` `info`). */
function rollbackCompleted(j: ToggleJobView): boolean {
  let started = -1;
  j.steps.forEach((s, i) => {
    if (s.step === 'rollback' && s.outcome === 'info') started = i;
  });
  return j.steps.some((s, i) => i > started && s.step === 'rollback' && s.outcome === 'ok');
}
