/**
 * l2scope NODE agents in the lab (`npm run lab -- agents start|stop|status`, `up --l2scope-agents`,
 * `demo`): one `apps/agent` per lab host, run inside the host's namespace exactly as on a hypervisor
 * (`ip netns exec l2lab-<host> node --import tsx apps/agent/src/main.ts --host <host> ...`, which is
 * what `npx tsx` runs, minus npm's wrapper process), reading the host's agent ini, reaching the lab's
 * broker through the host's socat relay (127.0.0.1:5672 in the namespace), BUM meter on `ul0`.
 * The OVS host gets its private ovsdb / rundir. Tracked by PID in the lab state under
 * `l2scope:agent:<host>` (so `lab down` stops them first), logs in `<logs>/l2scope-agent-<host>.log`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { agentIniPath } from './agents';
import { REPO_ROOT } from './l2scope';
import { ovsDirs } from './ovs';
import { paths } from './paths';
import { isRunning, startDaemon, stopDaemon } from './procs';
import type { HostState, LabState } from './state';

/** The node agent's entry point. */
export const NODE_AGENT_MAIN = path.join(REPO_ROOT, 'apps/agent/src/main.ts');

/** Key of a host's l2scope node agent in `LabState.procs`. */
export const nodeAgentKey = (host: string) => `l2scope:agent:${host}`;

/** Options passed through to every node agent. */
export interface NodeAgentOptions {
  /** Seconds between full snapshots (agent `--interval`). */
  intervalS?: number;
  /** Seconds per BUM report (agent `--bum-interval`). */
  bumIntervalS?: number;
  /** Run the BUM meter (default true). */
  bum?: boolean;
}

/**
 * The broker URL inside a host namespace: the lab's credentials and vhost, via the namespace's relay
 * on 127.0.0.1:5672.
 */
export function nodeAgentAmqpUrl(labAmqpUrl: string): string {
  const u = new URL(labAmqpUrl);
  u.hostname = '127.0.0.1';
  u.port = '5672';
  return u.toString();
}

/** The argv of a host's node agent (pure). */
export function nodeAgentArgv(s: Pick<LabState, 'amqpUrl'>, h: HostState, o: NodeAgentOptions = {}, node = process.execPath): string[] {
  const argv = [
    'ip',
    'netns',
    'exec',
    h.ns,
    node,
    '--import',
    'tsx',
    NODE_AGENT_MAIN,
    '--host',
    h.name,
    '--amqp',
    nodeAgentAmqpUrl(s.amqpUrl),
    '--ini',
    agentIniPath(h),
  ];
  argv.push('--type', h.kind === 'ovs' ? 'openvswitch' : 'linuxbridge');
  if (h.kind === 'ovs') {
    // the VTEP sits on br-phy (userspace datapath): VXLAN leaves through ul0, its uplink
    const d = ovsDirs(h.name);
    argv.push('--ovs-db', `unix:${d.sock}`, '--ovs-rundir', d.run, '--bum-iface', 'ul0');
  }
  if (o.intervalS !== undefined) argv.push('--interval', String(o.intervalS));
  if (o.bumIntervalS !== undefined) argv.push('--bum-interval', String(o.bumIntervalS));
  if (o.bum === false) argv.push('--no-bum');
  return argv;
}

/**
 * Start the node agent of every host that has none running (idempotent).
 * @returns the hosts whose agent was started now
 */
export async function startNodeAgents(s: LabState, log: (s: string) => void, o: NodeAgentOptions = {}): Promise<string[]> {
  if (!existsSync(NODE_AGENT_MAIN)) throw new Error(`the l2scope node agent is not in this checkout (${NODE_AGENT_MAIN})`);
  const started: string[] = [];
  for (const h of Object.values(s.hosts)) {
    const key = nodeAgentKey(h.name);
    if (isRunning(s.procs[key])) continue;
    s.procs[key] = await startDaemon(nodeAgentArgv(s, h, o), paths.log(`l2scope-agent-${h.name}`), { cwd: REPO_ROOT, settleMs: 500 });
    log(`l2scope node agent on ${h.name}: pid ${s.procs[key]!.pid}, log ${s.procs[key]!.log}`);
    started.push(h.name);
  }
  return started;
}

/** Stop every node agent (by PID, SIGTERM first: the agent stops its tcpdump and monitors). */
export async function stopNodeAgents(s: LabState, log: (s: string) => void): Promise<number> {
  let n = 0;
  await Promise.all(
    Object.keys(s.procs)
      .filter((k) => k.startsWith('l2scope:agent:'))
      .map(async (k) => {
        if (await stopDaemon(s.procs[k])) {
          log(`stopped ${k} (pid ${s.procs[k]!.pid})`);
          n++;
        }
        delete s.procs[k];
      }),
  );
  return n;
}

/** `agents status` lines: per host, running or not, PID, log. */
export function nodeAgentStatus(s: LabState): string[] {
  return Object.values(s.hosts).map((h) => {
    const rec = s.procs[nodeAgentKey(h.name)];
    return `  ${h.name.padEnd(10)} ${rec ? `${isRunning(rec) ? 'running' : 'STOPPED'} pid ${rec.pid}  log ${rec.log}` : 'not started'}`;
  });
}
