/**
 * The DVR lab's I/O (docs/lab.md#dvr): each OVS host's private mount namespace, its
 * neutron-l3-agent, the distributed router on the lab's two subnets, and the VMs' routes.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { listAgents, neutron, startedAtMs } from './api';
import { dvrMountPaths, DVR_ROUTER_NAME, hostExecArgv, l3AgentMode, renderL3AgentIni } from './dvr';
import { mariadb } from './db';
import { ip, run, waitFor } from './exec';
import { ovsEnv, tableFlows } from './ovs';
import { DB, paths } from './paths';
import { restartAgent } from './modes';
import { isRunning, startDaemon, stopDaemon, tail } from './procs';
import type { HostState, LabState } from './state';

/** Key of a host's L3 agent in `LabState.procs` (stopped with the L2 agents, teardown.ts `rankOf`). */
export const l3AgentKey = (host: string) => `l3agent:${host}`;

async function isMountPoint(p: string): Promise<boolean> {
  return (await run('mountpoint', ['-q', p], { allowFail: true })).ok;
}

/**
 * Create the host's private mount namespace unless it exists (docs/lab.md#dvr-mount-ns):
 * 1. `<LAB_RUN>/mnt` becomes a private bind mount of itself (a mount namespace can only be
 *    persisted on a file of a non-shared mount);
 * 2. `unshare --mount=<LAB_RUN>/mnt/<host> --propagation private` in the host's network namespace,
 *    which binds the host's own `l2lab-<host>` into `<LAB_ROOT>/netns/<host>` and then that directory
 *    (recursively) over `/run/netns`;
 * 3. a sysfs of the host's network namespace over `/sys` in it, so `/sys/class/net` lists the
 *    host's devices as `ip netns exec` would show them.
 * @throws Error with the command's output when a step fails
 */
export async function ensureDvrMountNs(h: HostState): Promise<void> {
  const p = dvrMountPaths(h.name);
  mkdirSync(p.mntDir, { recursive: true });
  if (!(await isMountPoint(p.mntDir))) {
    await run('mount', ['--bind', p.mntDir, p.mntDir]);
    await run('mount', ['--make-private', p.mntDir]);
  }
  if (existsSync(p.mntFile) && (await isMountPoint(p.mntFile))) return;
  mkdirSync(p.netnsDir, { recursive: true });
  const own = path.join(p.netnsDir, h.ns);
  writeFileSync(own, '');
  writeFileSync(p.mntFile, '');
  await run('unshare', [
    `--mount=${p.mntFile}`,
    '--propagation',
    'private',
    '--',
    'sh',
    '-ec',
    'mount --bind "$1" "$2" && mount --rbind "$3" /run/netns',
    'sh',
    `/run/netns/${h.ns}`,
    own,
    p.netnsDir,
  ]);
  await run('nsenter', [`--mount=${p.mntFile}`, `--net=/run/netns/${h.ns}`, '--', 'mount', '-t', 'sysfs', 'sysfs', '/sys']);
}

/** Remove a host's private mount namespace (after its processes stopped); its `qrouter-*` go with it. */
export async function removeDvrMountNs(host: string): Promise<void> {
  const p = dvrMountPaths(host);
  if (existsSync(p.mntFile)) {
    await run('umount', ['-l', p.mntFile], { allowFail: true });
    rmSync(p.mntFile, { force: true });
  }
  if (existsSync(p.netnsDir)) {
    await run('umount', ['-l', path.join(p.netnsDir, `l2lab-${host}`)], { allowFail: true });
    rmSync(p.netnsDir, { recursive: true, force: true });
  }
}

/** Remove every DVR host's mount namespace, then the private bind mount that held them (teardown; idempotent). */
export async function removeAllDvrMountNs(): Promise<void> {
  const { mntDir } = dvrMountPaths('x');
  if (!existsSync(mntDir)) return;
  for (const host of readdirSync(mntDir)) await removeDvrMountNs(host);
  if (await isMountPoint(mntDir)) await run('umount', ['-l', mntDir], { allowFail: true });
}

/** Path of the host's `l3_agent.ini`. */
export function l3AgentIniPath(host: string): string {
  return path.join(paths.hostEtc(host), 'l3_agent.ini');
}

/**
 * Write the host's `l3_agent.ini` and start its neutron-l3-agent inside the host's mount and network
 * namespaces, unless it runs. `ovs1` is `dvr_snat`, the others `dvr` ({@link l3AgentMode}).
 */
export async function ensureL3Agent(s: LabState, h: HostState): Promise<boolean> {
  const key = l3AgentKey(h.name);
  if (isRunning(s.procs[key])) return false;
  writeFileSync(l3AgentIniPath(h.name), renderL3AgentIni(l3AgentMode(h.index - 10)));
  s.procs[key] = await startDaemon(
    hostExecArgv(
      h,
      true,
      [
        '/usr/bin/neutron-l3-agent',
        '--config-file',
        path.join(paths.hostEtc(h.name), 'neutron.conf'),
        '--config-file',
        l3AgentIniPath(h.name),
        '--log-file',
        paths.log(`l3-agent-${h.name}`),
      ],
      paths.hostState(h.name),
    ),
    paths.log(`l3-agent-${h.name}.stdout`),
    { cwd: paths.hostState(h.name), env: ovsEnv(h.name) },
  );
  return true;
}

/**
 * Wait until the API shows the host's `L3 agent` alive with a `started_at` not before `after`
 * (epoch ms, 1 s resolution, docs/lab.md#gotcha-11).
 * @throws Error with the agent's log tail after `timeoutMs`
 */
export async function waitL3AgentAlive(host: string, after: number, timeoutMs = 120_000): Promise<void> {
  try {
    await waitFor(
      `L3 agent ${host} alive`,
      async () => {
        const a = (await listAgents(host)).find((x) => x.agent_type === 'L3 agent');
        return a && a.alive && startedAtMs(a) >= Math.floor(after / 1000) * 1000 ? true : undefined;
      },
      timeoutMs,
      500,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${tail(paths.log(`l3-agent-${host}`), 15)}`, { cause: e });
  }
}

/** Stop a host's L3 agent by PID. */
export async function stopL3Agent(s: LabState, host: string): Promise<void> {
  await stopDaemon(s.procs[l3AgentKey(host)]);
  delete s.procs[l3AgentKey(host)];
}

/**
 * Create the distributed router `l2lab-dvr` (unless recorded) with interfaces on the lab's VXLAN and
 * GRE subnets (gateways 172.16.1.1 and 172.16.2.1), and record its id in `s.dvr`.
 * @throws Error when a subnet is missing (run `up --gre --dvr`) or the API refuses
 */
export async function ensureDvrRouter(s: LabState): Promise<string> {
  if (!s.dvr) throw new Error('not a DVR lab (lab up --dvr)');
  if (s.dvr.routerId) return s.dvr.routerId;
  const subnets = [s.subnetId, s.gre?.subnetId];
  if (subnets.some((x) => !x)) throw new Error('the DVR router needs the VXLAN and the GRE subnet: lab up --ovs-hosts 2 --gre --dvr');
  const r = await neutron<{ router: { id: string } }>('POST', '/v2.0/routers', { router: { name: DVR_ROUTER_NAME, distributed: true } });
  s.dvr.routerId = r.router.id;
  for (const subnet_id of subnets) await neutron('PUT', `/v2.0/routers/${r.router.id}/add_router_interface`, { subnet_id });
  return r.router.id;
}

/** Give every VM on an OVS host a default route via its subnet's gateway (`.1`), for east-west pings through the router. */
export async function routeVms(s: LabState): Promise<void> {
  for (const vm of Object.values(s.vms)) {
    if (s.hosts[vm.host]?.kind !== 'ovs') continue;
    const gw = vm.ip.split('.').slice(0, 3).join('.') + '.1';
    await ip(vm.ns, ['route', 'replace', 'default', 'via', gw]);
  }
}

/**
 * Wait until the host's L3 agent has built `qrouter-<router id>` (it lists in the host's own
 * `/run/netns`) with a `qr-` device per subnet.
 * @throws Error after `timeoutMs`
 */
export async function waitQrouter(h: HostState, routerId: string, timeoutMs = 120_000): Promise<void> {
  const ns = `qrouter-${routerId}`;
  await waitFor(
    `${ns} with two qr- devices on ${h.name}`,
    async () => {
      const r = await inHost(h, ['ip', '-n', ns, '-o', 'link', 'show']);
      return r.ok && (r.stdout.match(/: qr-/g) ?? []).length >= 2 ? true : undefined;
    },
    timeoutMs,
    1000,
  );
}

/**
 * Every host's DVR MAC as neutron-server registered it (table `dvr_host_macs`, written by
 * neutron/db/dvr_mac_db.py `get_dvr_mac_address_by_host` when an agent first asks), lowercase with
 * colons (the table holds netaddr's `FA-16-3F-..` form).
 */
async function registeredDvrMacs(): Promise<Map<string, string>> {
  const out = await mariadb(`SELECT host, mac_address FROM ${DB.name}.dvr_host_macs`);
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [host, mac] = l.split('\t');
        return [host!, mac!.toLowerCase().replaceAll('-', ':')];
      }),
  );
}

/**
 * Make sure every DVR OVS agent holds every other DVR host's MAC in br-tun table 9 (DVR_NOT_LEARN),
 * restarting the agents that missed one.
 *
 * Why: an OVS agent reads the DVR MAC list once (`get_dvr_mac_address_list`, in
 * ovs_dvr_neutron_agent.py `setup_dvr_mac_flows_on_all_brs`) before it starts consuming RPC
 * (ovs_neutron_agent.py `consume_in_threads` at the end of `__init__`). A peer that registers its
 * DVR MAC between the two is announced only by a `dvr_mac_address_update` fanout the agent is not
 * yet listening to, so the agent never learns that MAC until it restarts. Agents started together,
 * as `lab up` starts them, can hit this window; a restarted agent reads the full list.
 *
 * Waits (up to `timeoutMs` each) for every host's DVR MAC in Neutron's database, then for each
 * host's br-tun table 9 to hold its peers' (`dl_src=<mac>`); a host still missing one is restarted
 * and checked again.
 * @returns the hosts whose agent was restarted
 * @throws Error when a host never registers a DVR MAC, or still misses a peer's after its restart
 */
export async function ensureDvrMacsLearned(s: LabState, hosts: HostState[], log: (line: string) => void, timeoutMs = 30_000): Promise<HostState[]> {
  const macs = await waitFor(
    "every DVR host's MAC in dvr_host_macs",
    async () => {
      const m = await registeredDvrMacs();
      return hosts.every((h) => m.has(h.name)) ? m : undefined;
    },
    120_000,
    500,
  );
  const missing = async (h: HostState) => {
    const t9 = (await tableFlows(h, 'br-tun', 9)).join('\n');
    return hosts.filter((p) => p !== h && !t9.includes(`dl_src=${macs.get(p.name)}`)).map((p) => p.name);
  };
  const learned = (h: HostState) =>
    waitFor(`${h.name}'s br-tun table 9 to hold its peers' DVR MACs`, async () => ((await missing(h)).length === 0 ? true : undefined), timeoutMs, 500).then(
      () => true,
      () => false,
    );
  const restarted: HostState[] = [];
  for (const h of hosts) {
    if (await learned(h)) continue;
    log(`  ${h.name} missed the DVR MAC of ${(await missing(h)).join(', ')} (announced before its agent listened): restarting its agent`);
    await restartAgent(s, h);
    restarted.push(h);
    if (!(await learned(h))) throw new Error(`${h.name} still misses the DVR MAC of ${(await missing(h)).join(', ')} after its agent restarted`);
  }
  return restarted;
}

/**
 * `lab dvr`: per DVR host, how many flows br-tun tables 1 (DVR_PROCESS) and 9 (DVR_NOT_LEARN) and
 * br-int tables 1 (DVR_TO_SRC_MAC) and 3 (ARP_DVR_MAC_TO_DST_MAC) hold, and the permanent
 * neighbours of each `qrouter-*` in the host's own `/run/netns` (one line each).
 */
export async function dvrReport(s: LabState): Promise<string[]> {
  const out: string[] = [];
  for (const h of Object.values(s.hosts).filter((x) => x.kind === 'ovs')) {
    const count = async (br: string, table: number) => (await tableFlows(h, br, table)).length;
    out.push(
      `${h.name}: br-tun table 1: ${await count('br-tun', 1)}, table 9: ${await count('br-tun', 9)}; br-int table 1: ${await count('br-int', 1)}, table 3: ${await count('br-int', 3)}`,
    );
    const list = await inHost(h, ['ip', 'netns', 'list']);
    for (const ns of list.stdout
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter((n) => n.startsWith('qrouter-'))) {
      const neigh = await inHost(h, ['ip', '-n', ns, 'neigh', 'show', 'nud', 'permanent']);
      out.push(`  ${ns}: ${neigh.stdout.trim().split('\n').filter(Boolean).length} permanent neighbours`);
      for (const l of neigh.stdout.trim().split('\n').filter(Boolean)) out.push(`    ${l.trim()}`);
    }
  }
  return out;
}

function inHost(h: HostState, argv: string[]) {
  const [cmd, ...args] = hostExecArgv(h, true, argv);
  return run(cmd!, args, { allowFail: true });
}
