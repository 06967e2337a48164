/**
 * The allowlisted actions (toggle/command.ts `AGENT_COMMAND_ACTIONS`) as they run on the host;
 * nothing else is ever executed:
 * - `plan`: what `set_mode` + a restart would do (ini path, section, before/after, diff, service,
 *   `vxlan-<VNI>` devices present, warnings); changes nothing.
 * - `set_mode`: back the ini up (per job, `backups.ts`) and write the new values atomically.
 * - `restart_agent`: restart the Neutron agent (`service.ts`).
 * - `recreate_vxlan`: stop the Neutron agent, `ip link del vxlan-<VNI>` for each listed VNI that
 *   exists, start it (the Linux bridge agent recreates the devices in its ini's mode: `ensure_vxlan`
 *   only creates a missing device, so `proxy`/`group` change only this way).
 * - `rollback`: restore the job's backup atomically, then recreate (VNIs given) or restart.
 */
import { readFile, stat } from 'node:fs/promises';
import type { AgentCommand, AgentPlan, ModeChange } from '@l2scope/domain';
import { runCommand } from '../exec';
import { writeFileAtomic } from './atomic';
import { BackupIndex, INI_MAX_BYTES } from './backups';
import { type EditableAgentType, chooseIni, iniDiff, modeSection, readIniMode, setIniMode } from './ini-edit';
import { KOLLA_CONTAINERS, type NeutronService } from './service';

/** Reports one step of a running action (becomes a `progress` reply). */
export type Progress = (step: string, detail: string) => void;

/** An action that ran but did not succeed (becomes a `failed` reply). */
export class ActionFailed extends Error {}

/** What the actions need from the agent. */
export interface ActionContext {
  host: string;
  type: EditableAgentType;
  /** the `--ini` files in oslo order */
  iniPaths: string[];
  service: NeutronService;
  backups: BackupIndex;
  /** environment for `ip` (PATH with sbin) */
  env: NodeJS.ProcessEnv;
  now?: () => number;
}

async function readIniFile(file: string): Promise<string> {
  const st = await stat(file);
  if (st.size > INI_MAX_BYTES) throw new ActionFailed(`${file}: ${st.size} bytes, over the ${INI_MAX_BYTES} byte limit`);
  return readFile(file, 'utf8');
}

/** The agent's side of every allowlisted action. */
export class CommandActions {
  constructor(private readonly ctx: ActionContext) {}

  private now(): number {
    return (this.ctx.now ?? Date.now)();
  }

  /** The ini this agent edits and its text. @throws ActionFailed when there is none or it is unreadable */
  async targetIni(): Promise<{ path: string; text: string }> {
    const files: { path: string; text: string }[] = [];
    for (const p of this.ctx.iniPaths) {
      try {
        files.push({ path: p, text: await readIniFile(p) });
      } catch (e) {
        if (e instanceof ActionFailed) throw e;
        throw new ActionFailed(`${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    const file = chooseIni(files, this.ctx.type);
    if (!file) throw new ActionFailed('no agent ini known (--ini)');
    return files.find((f) => f.path === file)!;
  }

  /** The VNIs of the `vxlan-<VNI>` devices present now (`ip -j link show type vxlan`). */
  async vxlanVnis(): Promise<number[]> {
    const r = await runCommand(['ip', '-j', 'link', 'show', 'type', 'vxlan'], { env: this.ctx.env, maxBuffer: 64 * 1024 * 1024 });
    if (!r.ok) throw new ActionFailed(`cannot list vxlan devices: ${r.error ?? 'failed'}`);
    let links: unknown;
    try {
      links = JSON.parse(r.stdout || '[]');
    } catch {
      throw new ActionFailed('ip -j link: not JSON');
    }
    const out: number[] = [];
    for (const l of Array.isArray(links) ? links : []) {
      const m = /^vxlan-(\d{1,8})$/.exec(String((l as { ifname?: unknown }).ifname ?? ''));
      if (m) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  /** `plan`: what would change; changes nothing. */
  async plan(change: ModeChange, inPlace: boolean): Promise<AgentPlan> {
    const { path: iniPath, text } = await this.targetIni();
    const section = modeSection(this.ctx.type);
    const before = readIniMode(text, section);
    const next = setIniMode(text, section, change);
    const after = readIniMode(next, section);
    const vxlanVnis = this.ctx.type === 'linuxbridge' ? await this.vxlanVnis().catch(() => []) : [];
    return {
      agentType: this.ctx.type,
      iniPath,
      section,
      before,
      after,
      diff: iniDiff(iniPath, text, next).slice(0, 65_536),
      service: this.ctx.service.info,
      vxlanVnis: vxlanVnis.slice(0, 4096),
      warnings: this.warnings({ iniPath, text, change, inPlace, vxlanVnis }).slice(0, 32),
    };
  }

  private warnings(o: { iniPath: string; text: string; change: ModeChange; inPlace: boolean; vxlanVnis: number[] }): string[] {
    const w: string[] = [];
    const { service, type, host } = this.ctx;
    const section = modeSection(type);
    const file = o.iniPath.split('/').pop()!;
    if (service.info.method === 'kolla') {
      const svc = KOLLA_CONTAINERS[type].service;
      const keys = (['l2_population', 'arp_responder'] as const).filter((k) => o.change[k] !== undefined).map((k) => `${k} = ${String(o.change[k])}`);
      w.push(
        `kolla: a later \`kolla-ansible reconfigure\` or \`deploy\` regenerates /etc/kolla/${svc}/${file} and reverts this change unless /etc/kolla/config/neutron/${host}/${file} also sets [${section}] ${keys.join(', ')}.`,
      );
      if (!o.iniPath.startsWith(`/etc/kolla/${svc}/`))
        w.push(
          `kolla: the container copies its config from /etc/kolla/${svc}/ at every start; ${o.iniPath} is not there, so the edit may not reach the agent.`,
        );
    }
    if (service.info.method === 'none')
      w.push('no restart method found (no --restart-command, systemd unit or kolla container): the ini can be edited but the Neutron agent not restarted.');
    if (type === 'linuxbridge') {
      if (o.inPlace) {
        if (o.vxlanVnis.length)
          w.push(
            `in place on Linux bridge: the agent keeps its ${o.vxlanVnis.length} existing vxlan-<VNI> device(s) (ensure_vxlan only creates missing ones; group, proxy and local are set at creation), so they stay in the old mode: half-switched until they are recreated.`,
          );
      } else if (!service.canStopStart) {
        w.push('no stop and start commands known: a clean switch (stop, delete the vxlan-<VNI> devices, start) is impossible; only a restart in place.');
      } else if (o.vxlanVnis.length) {
        w.push(
          `clean switch: the agent is stopped and ${o.vxlanVnis.length} vxlan-<VNI> device(s) deleted and recreated: the VMs of this host lose traffic for a few seconds.`,
        );
      }
    }
    if (type === 'openvswitch') {
      const dvr = /^\s*enable_distributed_routing\s*[=:]\s*(true|1|yes|on)\s*$/im.test(o.text);
      if (dvr && o.change.l2_population === false)
        w.push(
          'DVR host (enable_distributed_routing = True): the Open vSwitch agent refuses to start without l2_population ("DVR deployments for VXLAN/GRE/Geneve underlays require L2-pop to be enabled").',
        );
      if (dvr && o.change.arp_responder === false) w.push('DVR host: the Open vSwitch agent forces arp_responder on whatever the ini says.');
      if (!service.canRestart) w.push('no restart method known: the change takes effect only when the agent restarts.');
    }
    return w.map((s) => s.slice(0, 2048));
  }

  /** `set_mode`: backup, then the atomic edit. @returns `{iniPath, backupPath, diff}` */
  async setMode(job: string, change: ModeChange, progress: Progress): Promise<{ iniPath: string; backupPath: string; diff: string }> {
    const { path: iniPath, text } = await this.targetIni();
    const next = setIniMode(text, modeSection(this.ctx.type), change);
    const b = await this.ctx.backups.backup(job, iniPath, this.now());
    progress('backup', b.backup);
    const diff = iniDiff(iniPath, text, next);
    if (next !== text) await writeFileAtomic(iniPath, next);
    progress('write', next === text ? `${iniPath}: already so, unchanged` : iniPath);
    return { iniPath, backupPath: b.backup, diff };
  }

  /** `restart_agent`. @returns `{ms}` */
  async restart(progress: Progress): Promise<{ ms: number }> {
    const r = await this.ctx.service.restart();
    if (!r.ok) throw new ActionFailed(`restart: ${r.error ?? 'failed'}`);
    progress('restart', `${r.argv.join(' ')} in ${r.ms} ms`);
    return { ms: r.ms };
  }

  /** `recreate_vxlan`: stop, delete the listed devices present, start. @returns `{ms, deleted}` */
  async recreateVxlan(vnis: number[], progress: Progress): Promise<{ ms: number; deleted: number[] }> {
    const t0 = this.now();
    const svc = this.ctx.service;
    if (!svc.canStopStart) throw new ActionFailed('no stop and start commands known: cannot recreate the vxlan devices');
    const stop = await svc.stop();
    if (!stop.ok) throw new ActionFailed(`stop: ${stop.error ?? 'failed'}`);
    progress('stop', `${stop.argv.join(' ')} in ${stop.ms} ms`);
    const deleted: number[] = [];
    let failure: string | null = null;
    try {
      const present = new Set(await this.vxlanVnis());
      for (const vni of vnis) {
        if (!present.has(vni)) continue;
        const r = await runCommand(['ip', 'link', 'del', `vxlan-${vni}`], { env: this.ctx.env });
        if (!r.ok) {
          failure = `ip link del vxlan-${vni}: ${r.error ?? 'failed'}`;
          break;
        }
        deleted.push(vni);
      }
      progress('delete', deleted.length ? deleted.map((v) => `vxlan-${v}`).join(' ') : 'no listed vxlan device present');
    } catch (e) {
      failure = (e as Error).message;
    }
    // start again whatever happened: the agent must not stay down
    const start = await svc.start();
    if (!start.ok) throw new ActionFailed(`start: ${start.error ?? 'failed'}${failure ? `; before: ${failure}` : ''}`);
    progress('start', `${start.argv.join(' ')} in ${start.ms} ms`);
    if (failure) throw new ActionFailed(failure);
    return { ms: this.now() - t0, deleted };
  }

  /** `rollback`: restore the job's backup, then recreate (VNIs) or restart. */
  async rollback(job: string, vnis: number[], progress: Progress): Promise<{ iniPath: string; backupPath: string; ms: number; deleted?: number[] }> {
    const b = this.ctx.backups.get(job);
    if (!b) throw new ActionFailed(`no backup for job ${job}`);
    // the index lives in the agent's own state directory; still, restore only over an ini it was given
    if (!this.ctx.iniPaths.includes(b.ini)) throw new ActionFailed(`the backup of job ${job} is of ${b.ini}, not one of this agent's --ini files`);
    let data: Buffer;
    try {
      const st = await stat(b.backup);
      if (st.size > INI_MAX_BYTES) throw new ActionFailed(`${b.backup}: over the size limit`);
      data = await readFile(b.backup);
      await writeFileAtomic(b.ini, data, st.mode & 0o7777);
    } catch (e) {
      if (e instanceof ActionFailed) throw e;
      throw new ActionFailed(`restore ${b.backup}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    progress('restore', `${b.backup} -> ${b.ini}`);
    if (vnis.length) {
      const r = await this.recreateVxlan(vnis, progress);
      return { iniPath: b.ini, backupPath: b.backup, ...r };
    }
    const r = await this.restart(progress);
    return { iniPath: b.ini, backupPath: b.backup, ...r };
  }

  /** Run one validated command. @throws ActionFailed (or any error) when it did not succeed */
  run(c: AgentCommand, progress: Progress): Promise<unknown> {
    switch (c.action) {
      case 'plan':
        return this.plan(c.params.change, c.params.inPlace);
      case 'set_mode':
        return this.setMode(c.params.job, c.params.change, progress);
      case 'restart_agent':
        return this.restart(progress);
      case 'recreate_vxlan':
        return this.recreateVxlan(c.params.vnis, progress);
      case 'rollback':
        return this.rollback(c.params.job, c.params.vnis, progress);
    }
  }
}
