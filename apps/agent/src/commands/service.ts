/**
 * How the Neutron L2 agent runs on this host, and restarting / stopping / starting it. Detection, in
 * this order (the first that applies wins):
 * 1. `command`: `--restart-command` (and `--stop-command` / `--start-command`) given at install, as
 *    the lab does; argv strings split like a shell would (`string-argv`) and run WITHOUT a shell.
 * 2. `systemd`: the unit `neutron-linuxbridge-agent` / `neutron-openvswitch-agent` is loaded
 *    (`systemctl show -p LoadState,ActiveState <unit>`); restart/stop/start with `systemctl`.
 * 3. `kolla`: a container `neutron_linuxbridge_agent` / `neutron_openvswitch_agent`
 *    (`docker inspect`, else `podman inspect`); its config is under `/etc/kolla/<service>/`, which
 *    kolla-ansible regenerates (the plan warns).
 * 4. `none`: the agent can edit the ini but not restart the Neutron agent.
 * Every run is bounded in time (default 120 s) and its output in size; nothing goes through a shell.
 */
import { execa } from 'execa';
import parseArgsStringToArgv from 'string-argv';
import type { EditableAgentType } from './ini-edit';

/** How the Neutron agent runs (the contract's `agentServiceSchema`). */
export interface ServiceInfo {
  method: 'systemd' | 'kolla' | 'command' | 'none';
  /** unit, container, or the restart command's first word; empty for `none` */
  name: string;
}

/** The commands given at install (argv strings). */
export interface ServiceCommands {
  restart?: string;
  stop?: string;
  start?: string;
}

/** The result of one service operation. */
export interface ServiceRun {
  ok: boolean;
  /** wall time (ms) */
  ms: number;
  /** argv run (for the log and the reply) */
  argv: string[];
  /** why it failed: exit code and stderr's last line, timeout, not found */
  error: string | null;
}

/** systemd unit names of the Neutron L2 agents (Debian/Ubuntu/RDO packages). */
export const SYSTEMD_UNITS: Record<EditableAgentType, string> = { linuxbridge: 'neutron-linuxbridge-agent', openvswitch: 'neutron-openvswitch-agent' };
/** kolla-ansible container names (`neutron_<type>_agent`) and their config directory under /etc/kolla. */
export const KOLLA_CONTAINERS: Record<EditableAgentType, { container: string; service: string }> = {
  linuxbridge: { container: 'neutron_linuxbridge_agent', service: 'neutron-linuxbridge-agent' },
  openvswitch: { container: 'neutron_openvswitch_agent', service: 'neutron-openvswitch-agent' },
};

/**
 * Split an argv string like a POSIX shell (quotes, no expansion).
 * @throws Error when it is empty or too long (4 KiB)
 */
export function splitArgv(s: string, option: string): string[] {
  if (s.length > 4096) throw new Error(`${option} is longer than 4096 characters`);
  const argv = parseArgsStringToArgv(s);
  if (argv.length === 0 || !argv[0]) throw new Error(`${option} is empty`);
  return argv;
}

/** Run argv without a shell, bounded. Never throws. */
export async function runArgv(argv: string[], timeoutMs = 120_000, env?: NodeJS.ProcessEnv): Promise<ServiceRun> {
  const t0 = Date.now();
  const r = await execa(argv[0]!, argv.slice(1), {
    reject: false,
    timeout: timeoutMs,
    maxBuffer: 1024 * 1024,
    stdin: 'ignore',
    ...(env ? { env, extendEnv: false } : {}),
  });
  const ms = Date.now() - t0;
  if (!r.failed) return { ok: true, ms, argv, error: null };
  const last =
    String(r.stderr ?? '')
      .trim()
      .split('\n')
      .pop()
      ?.slice(0, 400) ?? '';
  const why = r.timedOut
    ? `timed out after ${timeoutMs} ms`
    : r.code === 'ENOENT'
      ? 'not found'
      : `exit ${String(r.exitCode ?? r.signal)}${last ? `: ${last}` : ''}`;
  return { ok: false, ms, argv, error: `${argv[0]}: ${why}` };
}

/** The Neutron agent's service, with what it can do. */
export class NeutronService {
  constructor(
    readonly info: ServiceInfo,
    private readonly argv: { restart: string[] | null; stop: string[] | null; start: string[] | null },
    private readonly env?: NodeJS.ProcessEnv,
  ) {}

  /** Whether a clean switch (stop, delete devices, start) is possible. */
  get canStopStart(): boolean {
    return this.argv.stop !== null && this.argv.start !== null;
  }

  /** Whether a restart is possible. */
  get canRestart(): boolean {
    return this.argv.restart !== null || this.canStopStart;
  }

  /** Restart (the restart command; else stop then start). */
  async restart(): Promise<ServiceRun> {
    if (this.argv.restart) return runArgv(this.argv.restart, undefined, this.env);
    if (!this.canStopStart) return { ok: false, ms: 0, argv: [], error: 'no restart method known (no --restart-command, systemd unit or kolla container)' };
    const stop = await this.stop();
    if (!stop.ok) return stop;
    const start = await this.start();
    return { ...start, ms: stop.ms + start.ms, argv: [...stop.argv, '&&', ...start.argv] };
  }

  /** Stop. */
  stop(): Promise<ServiceRun> {
    return this.argv.stop ? runArgv(this.argv.stop, undefined, this.env) : Promise.resolve({ ok: false, ms: 0, argv: [], error: 'no stop command known' });
  }

  /** Start. */
  start(): Promise<ServiceRun> {
    return this.argv.start ? runArgv(this.argv.start, undefined, this.env) : Promise.resolve({ ok: false, ms: 0, argv: [], error: 'no start command known' });
  }
}

/**
 * Find how the Neutron agent runs (see the module comment).
 * @param type the agent type (unit and container names)
 * @param cmds the commands given at install
 * @param env the environment for the commands (PATH with sbin)
 * @throws Error when a given command string is empty or too long
 */
export async function detectService(type: EditableAgentType, cmds: ServiceCommands, env?: NodeJS.ProcessEnv): Promise<NeutronService> {
  if (cmds.restart || cmds.stop || cmds.start) {
    const restart = cmds.restart ? splitArgv(cmds.restart, '--restart-command') : null;
    const stop = cmds.stop ? splitArgv(cmds.stop, '--stop-command') : null;
    const start = cmds.start ? splitArgv(cmds.start, '--start-command') : null;
    return new NeutronService({ method: 'command', name: (restart ?? stop ?? start)![0]!.slice(0, 512) }, { restart, stop, start }, env);
  }
  const unit = SYSTEMD_UNITS[type];
  const sd = await execa('systemctl', ['show', '-p', 'LoadState,ActiveState', unit], {
    reject: false,
    timeout: 10_000,
    stdin: 'ignore',
    ...(env ? { env } : {}),
  });
  if (!sd.failed && /^LoadState=loaded$/m.test(String(sd.stdout))) {
    return new NeutronService(
      { method: 'systemd', name: unit },
      { restart: ['systemctl', 'restart', unit], stop: ['systemctl', 'stop', unit], start: ['systemctl', 'start', unit] },
      env,
    );
  }
  const { container } = KOLLA_CONTAINERS[type];
  for (const engine of ['docker', 'podman']) {
    const r = await execa(engine, ['inspect', '--format', '{{.Name}}', container], {
      reject: false,
      timeout: 10_000,
      stdin: 'ignore',
      ...(env ? { env } : {}),
    });
    if (!r.failed) {
      return new NeutronService(
        { method: 'kolla', name: container },
        { restart: [engine, 'restart', container], stop: [engine, 'stop', container], start: [engine, 'start', container] },
        env,
      );
    }
  }
  return new NeutronService({ method: 'none', name: '' }, { restart: null, stop: null, start: null }, env);
}
