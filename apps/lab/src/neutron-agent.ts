/**
 * `npm run lab -- neutron-agent stop|start|restart --host <h>`: a lab host's Neutron L2 agent
 * switched the way a hypervisor's service manager would (docs/lab.md#toggle-hooks), for
 * l2scope's node agent (its `--stop-command`, `--start-command`, `--restart-command`: the argv of
 * {@link neutronAgentArgv}, run without npm) and for tests.
 *
 * - stop: by PID, as `lab agent restart` does (`stopAgent`: SIGTERM to the process group, SIGKILL
 *   after 10 s).
 * - start: on the config files as they are. Nothing is rendered: the ini is l2scope's to edit now,
 *   so the lab reads the mode FROM the ini, records it as the host's mode, and waits for the
 *   agent's new report in the API (a new `started_at`, `configurations.l2_population` as the ini
 *   says: docs/lab.md#gotcha-11). It fails at once when the started agent exits.
 * - restart: stop, then start.
 *
 * The state file is updated under the lab's lock (`withState`), held for the stop and the spawn
 * only, so the node agents of several hosts may run these at once. The wait for the report runs
 * outside the lock.
 *
 * Run from inside a host namespace (`ip netns exec l2lab-<host> ...`, where the node agent runs),
 * stop and start work as they are: PIDs are shared across network namespaces, and
 * `ip netns exec l2lab-<host>` works from any of them as root. Only the Neutron API
 * (127.0.0.1:9696 in neutron-server's namespace) is out of reach there: the wait then runs as
 * `nsenter --net=/proc/<neutron-server pid>/ns/net -- <lab> neutron-agent wait ...`.
 *
 * The test hook `fail-next-start` makes the host's next start begin an agent that cannot come
 * back: it gets one more `--config-file` that moves `local_ip` to an address on no interface of
 * the host, and the agent exits during its start ("Tunneling cannot be enabled without the
 * local_ip bound to an interface on the host"), so it never reports. Consumed once.
 */
import { mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '@l2scope/domain';
import { agentKey, iniMode, startAgent, stopAgent, waitAgentStarted } from './agents';
import { renderIni } from './config';
import { run } from './exec';
import { paths } from './paths';
import { isRunning, type ProcRecord } from './procs';
import { hostOf, loadState, withState, type HostMode, type HostState } from './state';

/** What `neutron-agent` does to a host's Neutron L2 agent. */
export const NEUTRON_AGENT_ACTIONS = ['stop', 'start', 'restart'] as const;
/** One of {@link NEUTRON_AGENT_ACTIONS}. */
export type NeutronAgentAction = (typeof NEUTRON_AGENT_ACTIONS)[number];

/** The lab CLI's entry point. */
export const LAB_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
/** tsx's loader, by absolute path: `node --import <it>` then works from any working directory. */
export const TSX_LOADER = createRequire(import.meta.url).resolve('tsx');

/** Environment variables that move the lab's files or API; passed on to a lab command run by someone else. */
const LAB_ENV = ['L2SCOPE_LAB_ROOT', 'L2SCOPE_LAB_RUN', 'L2SCOPE_LAB_API_PORT'] as const;

/**
 * The argv that runs the lab CLI without npm: `node --import <tsx loader> <repo>/apps/lab/src/main.ts ...args`,
 * prefixed with `/usr/bin/env L2SCOPE_LAB_ROOT=...` when the lab's files are moved (pure).
 * @param o.node the node binary (default this process's); o.env the environment to read the lab's variables from
 */
export function labCliArgv(args: string[], o: { node?: string; env?: Record<string, string | undefined> } = {}): string[] {
  const env = o.env ?? process.env;
  const vars = LAB_ENV.filter((k) => env[k] !== undefined).map((k) => `${k}=${env[k]}`);
  return [...(vars.length ? ['/usr/bin/env', ...vars] : []), o.node ?? process.execPath, '--import', TSX_LOADER, LAB_MAIN, ...args];
}

/**
 * The argv of `neutron-agent <action> --host <host>` without npm (pure), e.g.
 * `['/usr/bin/node', '--import', '<repo>/node_modules/tsx/dist/loader.mjs', '<repo>/apps/lab/src/main.ts', 'neutron-agent', 'restart', '--host', 'compute1']`.
 */
export function neutronAgentArgv(host: string, action: NeutronAgentAction, o: Parameters<typeof labCliArgv>[1] = {}): string[] {
  return labCliArgv(['neutron-agent', action, '--host', host], o);
}

/**
 * An argv as one command line (the form of the node agent's `--restart-command` and friends,
 * split again with a POSIX-shell word splitter and run without a shell): words made only of
 * `[A-Za-z0-9_@%+=:,./-]` stay bare, the others are single-quoted (pure).
 */
export function commandLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : shellQuote(a))).join(' ');
}

/** An address on no interface of any lab host (TEST-NET-1, RFC 5737): the `fail-next-start` agent's `local_ip`. */
export const FAIL_LOCAL_IP = '192.0.2.1';

/** The extra config file of a `fail-next-start` start. */
export const failConfigPath = (host: string) => path.join(paths.hostEtc(host), 'fail-next-start.conf');

/**
 * The extra config of a start that cannot come back (pure): `local_ip` = {@link FAIL_LOCAL_IP}, in
 * `[vxlan]` (Linux bridge: `LinuxBridgeManager` exits "Tunneling cannot be enabled without the
 * local_ip bound to an interface on the host") or `[ovs]` (OVS: `validate_local_ip` exits
 * "Tunneling can't be enabled with invalid local_ip").
 */
export function renderFailConfig(kind: HostState['kind']): string {
  return `# l2scope lab: fail-next-start (docs/lab.md#toggle-hooks): an agent that cannot come back\n${renderIni(
    kind === 'ovs' ? { ovs: { local_ip: FAIL_LOCAL_IP } } : { vxlan: { local_ip: FAIL_LOCAL_IP } },
  )}`;
}

/**
 * Arm (or, with `clear`, disarm) the `fail-next-start` hook of a host, under the lab's lock.
 * @returns the hosts armed afterwards
 * @throws Error when no lab is up or there is no such host
 */
export async function setFailNextStart(host: string, clear: boolean): Promise<string[]> {
  return withState(async (s) => {
    hostOf(s, host);
    const armed = new Set(s.failNextStart ?? []);
    if (clear) armed.delete(host);
    else armed.add(host);
    s.failNextStart = [...armed].sort();
    return s.failNextStart;
  });
}

/** What one `neutron-agent` run did. */
export interface NeutronAgentResult {
  host: string;
  action: NeutronAgentAction;
  /** PID of the agent that was stopped (stop, restart; absent when none ran). */
  stoppedPid?: number;
  /** PID of the agent started (start, restart). */
  pid?: number;
  /** true when `start` found the agent running and did nothing. */
  alreadyRunning?: boolean;
  /** The mode read from the ini and recorded as the host's (start, restart). */
  mode?: HostMode;
  /** The agent's new `started_at` in the API (UTC `YYYY-MM-DD HH:MM:SS`). */
  startedAt?: string;
  /** Milliseconds from the beginning of the run to the new report (or to the stop). */
  ms: number;
}

/**
 * Stop, start or restart a host's Neutron L2 agent (module docstring). The lab state's process
 * record and, on start, the host's mode (read from the ini) are saved under the lab's lock.
 * @throws Error when no lab is up or no such host; on start, when the agent exits (the
 *   `fail-next-start` hook, a broken ini) or does not report within `timeoutMs`; when
 *   neutron-server does not run
 */
export async function neutronAgent(action: NeutronAgentAction, host: string, timeoutMs = 90_000): Promise<NeutronAgentResult> {
  const t0 = Date.now();
  interface Begun {
    h: HostState;
    stoppedPid?: number;
    alreadyRunning?: boolean;
    started?: { mode: HostMode; rec: ProcRecord; startAt: number; server: ProcRecord | undefined };
  }
  const begun = await withState(async (s): Promise<Begun> => {
    const h = hostOf(s, host);
    const old = s.procs[agentKey(host)];
    let stoppedPid: number | undefined;
    if (action !== 'start') {
      if (isRunning(old)) stoppedPid = old!.pid;
      await stopAgent(s, host);
      if (action === 'stop') return { h, stoppedPid };
    } else if (isRunning(old)) {
      return { h, alreadyRunning: true };
    }
    const mode = iniMode(h);
    h.mode = { ...mode };
    const failing = (s.failNextStart ?? []).includes(host);
    if (failing) {
      s.failNextStart = s.failNextStart!.filter((x) => x !== host);
      mkdirSync(paths.hostEtc(host), { recursive: true });
      writeFileSync(failConfigPath(host), renderFailConfig(h.kind));
    }
    const startAt = Date.now();
    const rec = await startAgent(h, failing ? [failConfigPath(host)] : []);
    s.procs[agentKey(host)] = rec;
    return { h: { ...h }, stoppedPid, started: { mode, rec, startAt, server: s.procs.server } };
  });
  const { stoppedPid, alreadyRunning, started } = begun;
  if (!started) return { host, action, stoppedPid, alreadyRunning, ms: Date.now() - t0 };
  const startedAt = await waitReport(begun.h, started.startAt, started.mode, started.rec, started.server, timeoutMs);
  return { host, action, stoppedPid, pid: started.rec.pid, mode: started.mode, startedAt, ms: Date.now() - t0 };
}

/** The network namespace of a process (`net:[<inode>]`), or null when it is gone. */
function netnsOf(pid: number | 'self'): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return null;
  }
}

/**
 * Wait for the agent's new report in the API, from wherever this process runs: in
 * neutron-server's network namespace directly, elsewhere (a host namespace) through
 * `nsenter --net=/proc/<server pid>/ns/net` running `neutron-agent wait`.
 * @returns the new `started_at`
 */
async function waitReport(h: HostState, after: number, mode: HostMode, rec: ProcRecord, server: ProcRecord | undefined, timeoutMs: number): Promise<string> {
  if (!server || !isRunning(server)) throw new Error('neutron-server is not running: no API to wait on');
  if (netnsOf('self') === netnsOf(server.pid)) return (await waitAgentStarted(h, after, mode, timeoutMs, rec)).started_at;
  const argv = labCliArgv([
    'neutron-agent',
    'wait',
    '--host',
    h.name,
    '--after',
    String(after),
    '--pid',
    String(rec.pid),
    '--start-time',
    String(rec.startTime),
  ]);
  const r = await run('nsenter', [`--net=/proc/${server.pid}/ns/net`, '--', ...argv], { allowFail: true, timeout: timeoutMs + 30_000 });
  if (!r.ok) throw new Error(r.stderr.trim().replace(/^error: /, '') || `neutron-agent wait exited ${r.code}`);
  return r.stdout.trim().split('\n').pop()!;
}

/**
 * `neutron-agent wait`: wait in the API (this process must be in neutron-server's network
 * namespace) for the host's agent reporting after `after` in the mode its ini holds.
 * @param rec the agent process: its exit ends the wait at once
 * @returns the new `started_at`
 * @throws Error when no lab is up, the process exits, or after `timeoutMs`
 */
export async function waitNeutronAgent(host: string, after: number, rec?: Pick<ProcRecord, 'pid' | 'startTime'>, timeoutMs = 90_000): Promise<string> {
  const s = loadState();
  if (!s) throw new Error('no lab is up');
  const h = hostOf(s, host);
  const full = rec ? { ...rec, argv: [], log: '', startedAt: after } : undefined;
  return (await waitAgentStarted(h, after, iniMode(h), timeoutMs, full)).started_at;
}
