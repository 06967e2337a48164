/**
 * The real lab behind the lab Playwright specs (docs/lab.md, docs/toggles.md#lab-ui): bring up (or
 * reuse) a lab of 3 Linux bridge hosts, start the l2scope dashboard (`npm start`) tapping its
 * broker on a fresh SQLite database, hand the worker's command public key to the lab's node
 * agents, and read what the lab says (Neutron API agents, VMs) to compare with the browser.
 * Every lab change goes through the lab CLI (`apps/lab/src/main.ts`), as a user would run it.
 * Needs root on Debian 12; run under `flock /tmp/l2lab.lock` on a machine where others use the lab.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import {
  DASHBOARD_PORTS,
  type HostMode,
  type LabState,
  type ProcRecord,
  REPO_ROOT,
  isRunning,
  listAgents,
  loadState,
  pickPort,
  startDashboard,
  stopDaemon,
} from '@l2scope/lab';

/** The lab's Linux bridge hosts (`lab up --hosts 3`), in the order a network batch runs them (by name). */
export const LAB_HOSTS = ['compute1', 'compute2', 'controller'] as const;
export type LabHost = (typeof LAB_HOSTS)[number];

/**
 * Run the lab CLI (`npm run lab -- <args>` without npm) and return its stdout.
 * @throws Error with the CLI's output when it exits non-zero (bounded at 15 min)
 */
export async function lab(...args: string[]): Promise<string> {
  const r = await execa(path.join(REPO_ROOT, 'node_modules/.bin/tsx'), [path.join(REPO_ROOT, 'apps/lab/src/main.ts'), ...args], {
    cwd: REPO_ROOT,
    reject: false,
    all: true,
    timeout: 900_000,
  });
  if (r.exitCode !== 0) throw new Error(`lab ${args.join(' ')} failed (${r.exitCode}):\n${r.all}`);
  return String(r.stdout);
}

/** The lab state. @throws Error when no lab is up */
export function labState(): LabState {
  const s = loadState();
  if (!s) throw new Error('no lab state (/var/lib/l2scope-lab/state.json)');
  return s;
}

/**
 * Whether the running lab has the shape of {@link LAB_HOSTS}: neutron-server running and exactly
 * those hosts, all Linux bridge with their agent running (the OVS host of another spec does not count).
 */
export function labHasShape(s: LabState | null): boolean {
  if (!s || !isRunning(s.procs.server)) return false;
  const names = Object.keys(s.hosts).sort();
  return (
    JSON.stringify(names) === JSON.stringify([...LAB_HOSTS].sort()) &&
    LAB_HOSTS.every((h) => s.hosts[h]!.kind === 'linuxbridge' && isRunning(s.procs[`agent:${h}`]))
  );
}

/**
 * A lab of {@link LAB_HOSTS} with every host in `mode` and no VM: reuses a running lab of that
 * shape (switching modes with `lab mode all` and deleting its VMs), else takes whatever runs down
 * and brings a new one up.
 * @returns whether this call brought the lab up (so the caller takes it down at the end)
 */
export async function ensureLab(mode: HostMode, log: (s: string) => void): Promise<boolean> {
  const onOff = (b: boolean) => (b ? 'on' : 'off');
  const s = loadState();
  if (!labHasShape(s)) {
    log(`lab: ${s ? 'a lab of another shape runs: down, then ' : ''}up (3 Linux bridge hosts, ${JSON.stringify(mode)})`);
    await lab('down');
    await lab('up', '--hosts', '3', '--l2pop', onOff(mode.l2pop), '--arp-responder', onOff(mode.arp), '--no-vms');
    return true;
  }
  if (LAB_HOSTS.some((h) => JSON.stringify(s!.hosts[h]!.mode) !== JSON.stringify(mode))) {
    log(`lab: reused, switching every host to ${JSON.stringify(mode)} (lab mode all)`);
    await lab('mode', 'all', '--l2pop', onOff(mode.l2pop), '--arp-responder', onOff(mode.arp));
  } else log('lab: reused, already in the mode');
  for (const h of LAB_HOSTS) if (Object.values(labState().vms).some((v) => v.host === h)) await lab('vm', 'del', '--host', h, '--all');
  return false;
}

/** The dashboard the spec runs: its URL, the first admin's password, the worker's port and token, its database. */
export interface Dashboard {
  url: string;
  admin: { name: string; password: string };
  workerUrl: string;
  workerToken: string;
  /** `file:<dir>/l2scope.db` */
  dbUrl: string;
  /** The worker's command public key (`<dir>/command-key.pub.pem`). */
  commandPublicKey: string;
  proc: ProcRecord;
  dir: string;
}

/**
 * Start `npm start -- --amqp <lab broker> --no-replay` on a fresh SQLite database in a new temporary
 * directory (the worker makes its command key there) and read the first admin's sign-in from its output.
 * @throws Error when the output has no first-start sign-in or the worker made no public key
 */
export async function startLabDashboard(amqpUrl: string, extraArgs: readonly string[] = []): Promise<Dashboard> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'l2scope-lab-ui-'));
  const dbUrl = `file:${path.join(dir, 'l2scope.db')}`;
  const ports = { web: await pickPort(DASHBOARD_PORTS.web), worker: await pickPort(DASHBOARD_PORTS.worker) };
  if (ports.web === ports.worker) ports.worker = await pickPort(0);
  const d = await startDashboard(amqpUrl, ports, dbUrl, extraArgs);
  const stopOnError = async (msg: string): Promise<never> => {
    await stopDaemon(d.proc);
    throw new Error(msg);
  };
  const m = /^user (\S+), password (\S+)$/.exec(d.firstLogin ?? '');
  if (!m) return stopOnError(`npm start printed no first-start sign-in (${d.firstLogin ?? 'none'})`);
  const commandPublicKey = path.join(dir, 'command-key.pub.pem');
  if (!existsSync(commandPublicKey)) return stopOnError(`the worker made no command public key at ${commandPublicKey}`);
  return {
    url: d.url,
    admin: { name: m[1]!, password: m[2]! },
    workerUrl: `http://127.0.0.1:${ports.worker}`,
    workerToken: d.token,
    dbUrl,
    commandPublicKey,
    proc: d.proc,
    dir,
  };
}

/** Stop the dashboard (its process group) and remove its directory. */
export async function stopLabDashboard(d: Dashboard): Promise<void> {
  await stopDaemon(d.proc);
  rmSync(d.dir, { recursive: true, force: true });
}

/** The worker's `/api/nodes` answer, the fields the spec reads. */
export interface NodesView {
  analysis: { hosts: Record<string, { drift: unknown[]; mode: { summary: string } }> } | null;
  findings: { kind: string; hosts: string[] }[];
}

/** `GET <worker>/api/nodes` (the live told-vs-held analysis and open findings). */
export async function workerNodes(d: Pick<Dashboard, 'workerUrl' | 'workerToken'>): Promise<NodesView> {
  const r = await fetch(`${d.workerUrl}/api/nodes`, { headers: { authorization: `Bearer ${d.workerToken}` }, signal: AbortSignal.timeout(5000) });
  if (!r.ok) throw new Error(`GET /api/nodes: ${r.status}`);
  return (await r.json()) as NodesView;
}

/** The lab hosts' Neutron agent `started_at` (UTC `YYYY-MM-DD HH:MM:SS`) as the API shows it now. */
export async function startedAt(): Promise<Record<string, string>> {
  const agents = await listAgents();
  return Object.fromEntries(agents.filter((a) => (LAB_HOSTS as readonly string[]).includes(a.host)).map((a) => [a.host, a.started_at]));
}

/**
 * Sample the API's `started_at` of every lab host about every second until `stop()`: every distinct
 * value each host showed, in order (an observation beside a wait on the UI, not a synchronisation).
 */
export function sampleStartedAt(): { stop: () => Promise<Record<string, string[]>> } {
  const seen: Record<string, string[]> = {};
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        for (const [h, at] of Object.entries(await startedAt())) if ((seen[h] ??= []).at(-1) !== at) seen[h].push(at);
      } catch {
        // the API may be slow on a loaded machine: the next sample counts
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}
