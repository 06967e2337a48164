/**
 * A userspace Open vSwitch "hypervisor" (docs/lab.md#ovs-host): in the host namespace, a private
 * `ovsdb-server` (unix socket + `ptcp:6640:127.0.0.1` on the namespace's own loopback) and
 * `ovs-vswitchd`, `datapath_type=netdev` (this kernel has no openvswitch module). The VTEP
 * address sits on the OVS internal port `br-phy` with `ul0` as its uplink (docs/lab.md#ovs-br-phy); the agent
 * builds `br-int` / `br-tun` itself.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ip, nsRun, run, waitFor, type RunResult } from './exec';
import { LAB_ROOT, paths } from './paths';
import { isRunning, startDaemon } from './procs';
import type { HostState, LabState } from './state';

/** Private OVS directories of an OVS host. */
export function ovsDirs(host: string): { dir: string; run: string; db: string; sock: string } {
  const dir = path.join(LAB_ROOT, 'ovs', host);
  return { dir, run: path.join(dir, 'run'), db: path.join(dir, 'conf.db'), sock: path.join(dir, 'run', 'db.sock') };
}

/** Environment that points OVS tools (and the agent's ovs-ofctl calls) at the host's private OVS. */
export function ovsEnv(host: string): Record<string, string> {
  const d = ovsDirs(host);
  return { OVS_RUNDIR: d.run, OVS_DBDIR: d.dir, OVS_LOGDIR: paths.logs, OVS_SYSCONFDIR: d.dir };
}

/** `ovs-vsctl` against the host's private ovsdb, inside its namespace. */
export function ovsVsctl(h: HostState, args: string[]): Promise<RunResult> {
  return nsRun(h.ns, 'ovs-vsctl', [`--db=unix:${ovsDirs(h.name).sock}`, '--timeout=20', ...args], { env: ovsEnv(h.name) });
}

/** `ovs-ofctl` against one of the host's bridges. */
export function ovsOfctl(h: HostState, args: string[]): Promise<RunResult> {
  return nsRun(h.ns, 'ovs-ofctl', args, { env: ovsEnv(h.name), allowFail: true });
}

/** The flows of one table of one of the host's bridges (`ovs-ofctl --no-names dump-flows`), one line each; none when the bridge is missing. */
export async function tableFlows(h: HostState, br: string, table: number): Promise<string[]> {
  const r = await ovsOfctl(h, ['--no-names', 'dump-flows', br, `table=${table}`]);
  return r.stdout.split('\n').filter((l) => l.includes('actions='));
}

/** Start (if not running) ovsdb-server and ovs-vswitchd in the host namespace, and build `br-phy` with the VTEP address. */
export async function ensureOvsDaemons(s: LabState, h: HostState): Promise<void> {
  const d = ovsDirs(h.name);
  mkdirSync(d.run, { recursive: true });
  const env = ovsEnv(h.name);
  if (!existsSync(d.db)) await run('ovsdb-tool', ['create', d.db, '/usr/share/openvswitch/vswitch.ovsschema']);
  const dbKey = `ovsdb:${h.name}`;
  if (!isRunning(s.procs[dbKey])) {
    s.procs[dbKey] = await startDaemon(
      [
        'ip',
        'netns',
        'exec',
        h.ns,
        'ovsdb-server',
        d.db,
        `--remote=punix:${d.sock}`,
        '--remote=ptcp:6640:127.0.0.1',
        `--unixctl=${path.join(d.run, 'ovsdb-server.ctl')}`,
        `--pidfile=${path.join(d.run, 'ovsdb-server.pid')}`,
        `--log-file=${paths.log(`ovsdb-server-${h.name}`)}`,
      ],
      paths.log(`ovsdb-server-${h.name}.stdout`),
      { env },
    );
    await waitFor('ovsdb-server socket', async () => (existsSync(d.sock) ? true : undefined), 20_000, 100);
    await ovsVsctl(h, ['--no-wait', 'init']);
  }
  const swKey = `vswitchd:${h.name}`;
  if (!isRunning(s.procs[swKey])) {
    s.procs[swKey] = await startDaemon(
      [
        'ip',
        'netns',
        'exec',
        h.ns,
        'ovs-vswitchd',
        `unix:${d.sock}`,
        `--unixctl=${path.join(d.run, 'ovs-vswitchd.ctl')}`,
        `--pidfile=${path.join(d.run, 'ovs-vswitchd.pid')}`,
        `--log-file=${paths.log(`ovs-vswitchd-${h.name}`)}`,
      ],
      paths.log(`ovs-vswitchd-${h.name}.stdout`),
      { env },
    );
  }
  await ovsVsctl(h, [
    '--may-exist',
    'add-br',
    'br-phy',
    '--',
    'set',
    'bridge',
    'br-phy',
    'datapath_type=netdev',
    '--',
    '--may-exist',
    'add-port',
    'br-phy',
    'ul0',
  ]);
  await waitFor('br-phy in the namespace', async () => ((await ip(h.ns, ['link', 'show', 'br-phy'], { allowFail: true })).ok ? true : undefined), 20_000, 200);
  const addrs = JSON.parse((await ip(h.ns, ['-j', 'addr', 'show', 'dev', 'br-phy'])).stdout) as { addr_info?: { local: string }[] }[];
  if (!addrs.some((l) => l.addr_info?.some((a) => a.local === h.underlayIp))) await ip(h.ns, ['addr', 'add', `${h.underlayIp}/24`, 'dev', 'br-phy']);
  await ip(h.ns, ['link', 'set', 'br-phy', 'up']);
}

/** Wait until the OVS agent has built br-int and br-tun (VMs plug into br-int). */
export async function waitOvsBridges(h: HostState): Promise<void> {
  await waitFor(
    `br-int and br-tun on ${h.name}`,
    async () => {
      const r = await ovsVsctl(h, ['list-br']);
      const brs = r.stdout.split('\n');
      return brs.includes('br-int') && brs.includes('br-tun') ? true : undefined;
    },
    60_000,
    500,
  );
}
