/**
 * Collecting a node's state: the exact commands of `NODE_COMMANDS` for the agent type, and the
 * Neutron agent's ini read as a file (never written). Outputs go to `buildNodeSnapshot` (pure) and,
 * for a support bundle, to `bundleFiles`.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { AGENT_INI_PATHS, NODE_COMMANDS, NODE_COMMANDS_BY_AGENT, type RawNodeOutputs, type RawOutputName, detectAgentType, parseIni } from '@l2scope/domain';
import { runCommand } from './exec';

export type AgentType = 'linuxbridge' | 'openvswitch';

/** Where and how to collect. */
export interface CollectConfig {
  type: AgentType;
  /** Ini files, read in this order and concatenated (oslo `--config-file` order). */
  iniPaths: string[];
  /** `ovs-vsctl --db=<this>` (e.g. `unix:/run/openvswitch/db.sock`); default: ovs-vsctl's own. */
  ovsDb?: string;
  /** `OVS_RUNDIR` for ovs-vsctl / ovs-ofctl (where `br-tun.mgmt` and `db.sock` live). */
  ovsRundir?: string;
  /** Per command (default 15 s). */
  timeoutMs?: number;
}

/** One collection: raw outputs, failures, when. */
export interface Collected {
  raw: RawNodeOutputs;
  errors: { source: string; message: string }[];
  /** Epoch ms the commands started. */
  takenAt: number;
  /** Wall time the collection took (ms). */
  durationMs: number;
}

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The environment for node commands: PATH with the sbin directories, OVS_RUNDIR when set, C locale. */
export function commandEnv(cfg: Pick<CollectConfig, 'ovsRundir'>): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '/usr/bin:/bin').split(':').filter(Boolean);
  for (const d of SBIN) if (!path.includes(d)) path.push(d);
  return { ...process.env, PATH: path.join(':'), LC_ALL: 'C', ...(cfg.ovsRundir ? { OVS_RUNDIR: cfg.ovsRundir } : {}) };
}

/** The argv actually run for one raw output (NODE_COMMANDS plus the OVS connection options). */
export function commandFor(name: Exclude<RawOutputName, 'agentIni' | 'qrouterNeigh'>, cfg: Pick<CollectConfig, 'ovsDb'>): string[] {
  const argv: string[] = [...NODE_COMMANDS[name]];
  if (argv[0] === 'ovs-vsctl') argv.splice(1, 0, ...(cfg.ovsDb ? [`--db=${cfg.ovsDb}`] : []), '--timeout=5');
  if (argv[0] === 'ovs-ofctl') argv.splice(1, 0, '--timeout=5');
  return argv;
}

/**
 * The agent type for `--type auto`: from the ini files given (their sections), else from which
 * default ini exists (Debian/Ubuntu paths), else Linux bridge.
 * @returns the type and how it was decided (for the log)
 */
export async function detectType(iniPaths: string[]): Promise<{ type: AgentType; why: string }> {
  for (const p of iniPaths) {
    try {
      const t = detectAgentType(parseIni(await readFile(p, 'utf8')).doc);
      if (t) return { type: t, why: `sections of ${p}` };
    } catch {
      // unreadable: try the next
    }
  }
  if (iniPaths.length === 0) {
    if (existsSync(AGENT_INI_PATHS.openvswitch) && !existsSync(AGENT_INI_PATHS.linuxbridge))
      return { type: 'openvswitch', why: `${AGENT_INI_PATHS.openvswitch} exists` };
    if (existsSync(AGENT_INI_PATHS.linuxbridge)) return { type: 'linuxbridge', why: `${AGENT_INI_PATHS.linuxbridge} exists` };
  }
  return { type: 'linuxbridge', why: 'default (no ini told otherwise)' };
}

/** Default ini path of an agent type. */
export function defaultIniPaths(type: AgentType): string[] {
  return [AGENT_INI_PATHS[type]];
}

/** Read the ini files (concatenated with a newline between). */
export async function readIni(paths: string[]): Promise<{ text?: string; error?: string }> {
  const parts: string[] = [];
  for (const p of paths) {
    try {
      parts.push(await readFile(p, 'utf8'));
    } catch (e) {
      return { error: `${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
    }
  }
  return parts.length ? { text: parts.join('\n') } : {};
}

/** Most `qrouter-*` namespaces read per collection (docs/dvr.md#node-side). */
export const MAX_QROUTER_NAMESPACES = 1_000;

/**
 * The static ARP entries of the host's DVR routers: `ip netns list`, then for each `qrouter-*`
 * namespace `ip -n <ns> -j neigh show nud permanent` (one at a time: a node may hold hundreds),
 * as the `qrouterNeigh` document of dvr/neigh.ts. No namespace at all (no L3 agent) gives no text.
 */
export async function collectQrouterNeigh(env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<{ text?: string; error?: string }> {
  const list = await runCommand(['ip', 'netns', 'list'], { env, timeoutMs });
  if (!list.ok) return { error: list.error ?? 'ip netns list failed' };
  const names = list.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith('qrouter-'))
    .slice(0, MAX_QROUTER_NAMESPACES);
  if (names.length === 0) return {};
  const doc: { namespace: string; neigh: unknown }[] = [];
  const failed: string[] = [];
  for (const ns of names) {
    const r = await runCommand(['ip', '-n', ns, '-j', 'neigh', 'show', 'nud', 'permanent'], { env, timeoutMs });
    if (!r.ok) {
      failed.push(ns);
      continue;
    }
    try {
      doc.push({ namespace: ns, neigh: JSON.parse(r.stdout || '[]') as unknown });
    } catch {
      failed.push(ns);
    }
  }
  return { text: JSON.stringify(doc), ...(failed.length ? { error: `unreadable: ${failed.slice(0, 5).join(', ')}${failed.length > 5 ? ', ...' : ''}` } : {}) };
}

/** Run the type's commands (concurrently) and read the ini. Never throws. */
export async function collect(cfg: CollectConfig): Promise<Collected> {
  const takenAt = Date.now();
  const env = commandEnv(cfg);
  const raw: RawNodeOutputs = {};
  const errors: { source: string; message: string }[] = [];
  const names = NODE_COMMANDS_BY_AGENT[cfg.type] as readonly Exclude<RawOutputName, 'agentIni' | 'qrouterNeigh'>[];
  await Promise.all([
    ...names.map(async (name) => {
      const r = await runCommand(commandFor(name, cfg), { env, timeoutMs: cfg.timeoutMs });
      if (r.ok) raw[name] = r.stdout;
      else errors.push({ source: name, message: r.error ?? 'failed' });
    }),
    (async () => {
      if (cfg.type !== 'openvswitch') return;
      const r = await collectQrouterNeigh(env, cfg.timeoutMs);
      if (r.text !== undefined) raw.qrouterNeigh = r.text;
      if (r.error) errors.push({ source: 'qrouterNeigh', message: r.error });
    })(),
    (async () => {
      const ini = await readIni(cfg.iniPaths);
      if (ini.text !== undefined) raw.agentIni = ini.text;
      if (ini.error) errors.push({ source: 'agentIni', message: ini.error });
    })(),
  ]);
  // deterministic order of errors whatever finished first
  errors.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
  return { raw, errors, takenAt, durationMs: Date.now() - takenAt };
}
