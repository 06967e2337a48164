/** The CLI's options, validated into an {@link AgentConfig} (pure, so it is unit-tested). */
import os from 'node:os';
import type { AgentConfig } from './agent';
import type { Log } from './log';

/** Default broker when neither `--amqp` nor `AMQP_URL` is given (the lab's and the dev machine's). */
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672/';

/** Options as commander hands them over. */
export interface CliOptions {
  host?: string;
  amqp?: string;
  interval: string;
  ini: string[];
  type: string;
  ovsDb?: string;
  ovsRundir?: string;
  bum: boolean;
  bumIface?: string;
  bumPort?: string;
  bumInterval: string;
  bumBudget: string;
  poll?: string;
  bundle?: string;
  once?: boolean;
  statusFile?: string;
  commandPublicKey?: string;
  stateDir?: string;
  restartCommand?: string;
  stopCommand?: string;
  startCommand?: string;
}

/** What main runs. */
export type AgentMode = { mode: 'run'; config: AgentConfig } | { mode: 'once'; config: AgentConfig } | { mode: 'bundle'; dir: string; config: AgentConfig };

function num(name: string, v: string, min: number, max: number, integer = false): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} in ${min}..${max} (got "${v}")`);
  return n;
}

/**
 * Validate the options. `env` supplies `AMQP_URL` (when `--amqp` is absent) and
 * `L2SCOPE_AGENT_STATUS_FILE` (when `--status-file` is absent; empty = no status file).
 * @throws Error naming the bad option
 */
export function parseAgentOptions(o: CliOptions, env: NodeJS.ProcessEnv, log: Log): AgentMode {
  const host = (o.host ?? os.hostname()).trim();
  if (!host || /[\s#*]/.test(host) || host.length > 255) throw new Error(`--host must be the Neutron host name (no spaces, "#" or "*"; got "${host}")`);
  if (!['auto', 'linuxbridge', 'openvswitch'].includes(o.type)) throw new Error(`--type must be auto, linuxbridge or openvswitch (got "${o.type}")`);
  const amqpUrl = o.amqp ?? env.AMQP_URL ?? DEFAULT_AMQP_URL;
  if (!/^amqps?:\/\//.test(amqpUrl)) throw new Error('--amqp / AMQP_URL must be an amqp:// or amqps:// URL');
  if (o.bumIface !== undefined && !/^[\w.:@-]{1,15}$/.test(o.bumIface)) throw new Error(`--bum-iface must be an interface name (got "${o.bumIface}")`);
  // the container image sets L2SCOPE_AGENT_STATUS_FILE (its HEALTHCHECK reads the same variable)
  const statusFile = (o.statusFile ?? env.L2SCOPE_AGENT_STATUS_FILE ?? '').trim();
  if (statusFile.endsWith('/')) throw new Error(`--status-file must name a file, not a directory (got "${statusFile}")`);
  const config: AgentConfig = {
    host,
    amqpUrl,
    intervalS: num('--interval', o.interval, 1, 86_400),
    iniPaths: o.ini,
    type: o.type as AgentConfig['type'],
    ...(o.ovsDb ? { ovsDb: o.ovsDb } : {}),
    ...(o.ovsRundir ? { ovsRundir: o.ovsRundir } : {}),
    bum: o.bum,
    ...(o.bumIface ? { bumIface: o.bumIface } : {}),
    ...(o.bumPort !== undefined ? { bumPort: num('--bum-port', o.bumPort, 1, 65_535, true) } : {}),
    bumIntervalS: num('--bum-interval', o.bumInterval, 0.5, 3600),
    bumBudgetPps: num('--bum-budget', o.bumBudget, 100, 10_000_000, true),
    ...(o.poll !== undefined ? { pollS: num('--poll', o.poll, 0, 3600) } : {}),
    ...(statusFile ? { statusFile } : {}),
    ...(o.commandPublicKey ? { commandPublicKey: o.commandPublicKey } : {}),
    ...(o.stateDir ? { stateDir: o.stateDir } : {}),
    ...(o.restartCommand ? { restartCommand: o.restartCommand } : {}),
    ...(o.stopCommand ? { stopCommand: o.stopCommand } : {}),
    ...(o.startCommand ? { startCommand: o.startCommand } : {}),
    log,
  };
  if ((o.stopCommand === undefined) !== (o.startCommand === undefined)) throw new Error('--stop-command and --start-command go together');
  for (const [name, v] of [
    ['--restart-command', o.restartCommand],
    ['--stop-command', o.stopCommand],
    ['--start-command', o.startCommand],
  ] as const)
    if (v !== undefined && (!v.trim() || v.length > 4096)) throw new Error(`${name} must be a command line of 1..4096 characters`);
  if (o.stateDir !== undefined && !o.stateDir.trim()) throw new Error('--state-dir must name a directory');
  if (o.bundle !== undefined && o.once) throw new Error('--bundle and --once exclude each other');
  if (o.bundle !== undefined) return { mode: 'bundle', dir: o.bundle, config };
  if (o.once) return { mode: 'once', config };
  return { mode: 'run', config };
}
