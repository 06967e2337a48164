/**
 * neutron-linuxbridge-agent (and, for OVS hosts, neutron-openvswitch-agent) in a host namespace
 * (docs/lab.md#agents): config files, start/stop by PID, and waiting for a NEW `started_at` with the
 * expected configuration (docs/lab.md#gotcha-11: the old row stays `alive` for up to `agent_down_time`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { listAgents, startedAtMs, type NeutronAgent } from './api';
import { agentTransportUrl, readIniMode, renderAgentNeutronConf, renderLinuxbridgeIni, renderOvsIni, setIniMode } from './config';
import { FatalWaitError, waitFor } from './exec';
import { paths } from './paths';
import { ovsEnv } from './ovs';
import { isRunning, startDaemon, stopDaemon, tail, type ProcRecord } from './procs';
import type { HostMode, HostState, LabState } from './state';

/** Key of a host's agent in `LabState.procs`. */
export const agentKey = (host: string) => `agent:${host}`;

/** Path of the host's agent ini (the file `mode` edits). */
export function agentIniPath(h: HostState): string {
  return path.join(paths.hostEtc(h.name), h.kind === 'ovs' ? 'openvswitch_agent.ini' : 'linuxbridge_agent.ini');
}

/** Write the agent's `neutron.conf` and, unless present, its ini with the host's mode. */
export function writeAgentConfig(s: LabState, h: HostState): void {
  mkdirSync(paths.hostEtc(h.name), { recursive: true });
  mkdirSync(path.join(paths.hostState(h.name), 'lock'), { recursive: true });
  writeFileSync(path.join(paths.hostEtc(h.name), 'neutron.conf'), renderAgentNeutronConf(h.name, agentTransportUrl(s.amqpUrl), s.heartbeats?.reportInterval));
  const ini = agentIniPath(h);
  if (!existsSync(ini)) {
    writeFileSync(
      ini,
      h.kind === 'ovs'
        ? renderOvsIni(h.underlayIp, h.mode, s.gre !== undefined, s.dvr !== undefined, s.hybrid === true)
        : renderLinuxbridgeIni(h.underlayIp, h.mode),
    );
  }
}

/** Set l2_population / arp_responder in the host's ini (other keys untouched). */
export function editAgentMode(h: HostState, mode: HostMode): void {
  const file = agentIniPath(h);
  writeFileSync(file, setIniMode(readFileSync(file, 'utf8'), h.kind, mode));
}

/** The mode the host's ini file holds now. */
export function iniMode(h: HostState): HostMode {
  return readIniMode(readFileSync(agentIniPath(h), 'utf8'), h.kind);
}

/**
 * Start the host's agent (not waiting for its report) on the config files as they are: it renders
 * nothing (`up` renders them, {@link writeAgentConfig}; the ini belongs to `lab mode` and to
 * l2scope's toggles once written).
 * @param extraConfigFiles further `--config-file`s after the ini (oslo.config: later files win),
 *   e.g. the `fail-next-start` hook's (neutron-agent.ts)
 * @throws Error when the process exits within its settle time (with its log tail)
 */
export async function startAgent(h: HostState, extraConfigFiles: string[] = []): Promise<ProcRecord> {
  const binary = h.kind === 'ovs' ? '/usr/bin/neutron-openvswitch-agent' : '/usr/bin/neutron-linuxbridge-agent';
  return startDaemon(
    [
      'ip',
      'netns',
      'exec',
      h.ns,
      binary,
      '--config-file',
      path.join(paths.hostEtc(h.name), 'neutron.conf'),
      '--config-file',
      agentIniPath(h),
      ...extraConfigFiles.flatMap((f) => ['--config-file', f]),
      '--log-file',
      paths.log(`agent-${h.name}`),
    ],
    paths.log(`agent-${h.name}.stdout`),
    { cwd: paths.hostState(h.name), ...(h.kind === 'ovs' ? { env: ovsEnv(h.name) } : {}) },
  );
}

/** Stop the host's agent (and its privsep helpers) by PID. */
export async function stopAgent(s: LabState, host: string): Promise<void> {
  await stopDaemon(s.procs[agentKey(host)]);
  delete s.procs[agentKey(host)];
}

/** The host's L2 agent row in the API, if any (a DVR host also has an `L3 agent` row, docs/lab.md#dvr). */
export async function agentOf(host: string): Promise<NeutronAgent | undefined> {
  return (await listAgents(host)).find((a) => a.agent_type !== 'L3 agent');
}

/**
 * Wait until the API shows the host's agent alive, with `started_at` later than `after`
 * (epoch ms; 0 = any) and `configurations.l2_population` equal to `mode.l2pop`
 * (and, for OVS, `arp_responder_enabled` equal to `mode.arp`).
 * @param rec the started process: when given, its exit stops the wait at once (an agent that
 *   died never reports)
 * @throws Error with the agent log tail after `timeoutMs`, or as soon as `rec` has exited
 */
export async function waitAgentStarted(h: HostState, after: number, mode: HostMode, timeoutMs = 90_000, rec?: ProcRecord): Promise<NeutronAgent> {
  try {
    return await waitFor(
      `agent ${h.name} (new started_at, l2_population=${mode.l2pop})`,
      async () => {
        if (rec && !isRunning(rec)) throw new FatalWaitError(`agent ${h.name} (pid ${rec.pid}) exited before it reported`);
        const a = await agentOf(h.name);
        if (!a || !a.alive) return undefined;
        // started_at has 1 s resolution; a restart takes more than that
        if (after > 0 && startedAtMs(a) < Math.floor(after / 1000) * 1000) return undefined;
        if ((a.configurations.l2_population ?? false) !== mode.l2pop) return undefined;
        if (h.kind === 'ovs' && (a.configurations.arp_responder_enabled ?? false) !== mode.arp) return undefined;
        return a;
      },
      timeoutMs,
      500,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${tail(paths.log(`agent-${h.name}`), 15)}`, { cause: e });
  }
}

/**
 * Make sure the host's agent runs (start it when its recorded process is gone).
 * @returns true when it was started now
 */
export async function ensureAgent(s: LabState, h: HostState): Promise<boolean> {
  if (isRunning(s.procs[agentKey(h.name)])) return false;
  s.procs[agentKey(h.name)] = await startAgent(h);
  return true;
}
