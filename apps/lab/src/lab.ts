/**
 * `up`: stands the whole lab up, step by step, converging from whatever state it finds
 * (docs/lab.md#up): packages, broker and MariaDB, Neutron's database, neutron-server, the AMQP relay,
 * the fabric and host namespaces, the agents (all at once), the network and one VM per host.
 * Re-running it on a running lab only adds what is missing (and switches a host's mode when a
 * different one is asked for explicitly, and adds or drops the GRE network and the OVS agents'
 * `tunnel_types = gre` when `--gre` differs).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { agentKey, ensureAgent, waitAgentStarted, writeAgentConfig } from './agents';
import { apiUp } from './api';
import { ensureBroker, ensureHostRelay, ensureRootRelay } from './broker';
import { lbHostName, lbUnderlayIp, ovsHostName, ovsUnderlayIp } from './config';
import { createDatabase, ensureMariadb, migrateDatabase } from './db';
import { dvrHostMode, isDvrHost } from './dvr';
import { ensureDvrMacsLearned, ensureDvrMountNs, ensureDvrRouter, ensureL3Agent, routeVms, waitL3AgentAlive, waitQrouter } from './dvr-lab';
import { ensureFabric, ensureHost } from './fabric';
import { deleteGrePorts, dropGreNetwork, restartAgents, retypeOvsInis } from './gre';
import { switchModes } from './modes';
import { ensureOvsDaemons, waitOvsBridges } from './ovs';
import { DVR_PACKAGES, ensurePackages, LINUXBRIDGE_PACKAGES, OVS_PACKAGES } from './packages';
import { AGENT_DOWN_TIME, hostNs, LAB_ROOT, REPORT_INTERVAL } from './paths';
import { isRunning } from './procs';
import { ensureServer, writeServerConfig } from './server';
import { emptyState, saveState, type Heartbeats, type HostMode, type HostState, type LabState } from './state';
import { teardown } from './teardown';
import { addVm, ensureGreNetwork, ensureNetwork, vmsOf, waitPortActive } from './vms';

/** Options of {@link up}. */
export interface UpOptions {
  /** Number of Linux bridge hosts (controller + compute1..N-1), 1..9. */
  hosts: number;
  /** Mode for every host not named in `hostModes`; undefined = keep / default (l2pop on, ARP responder off). */
  l2pop?: boolean;
  arp?: boolean;
  hostModes: Record<string, HostMode>;
  vni: number;
  /** Userspace OVS hosts `ovs1` .. `ovs<N>` to add, 0..{@link MAX_OVS_HOSTS} (`--ovs-hosts N`; `--ovs-host` is 1). */
  ovsHosts: number;
  amqpUrl: string;
  /** Create one VM per host that has none (default true); with `gre`, also one GRE VM per OVS host that has none. */
  vms: boolean;
  /**
   * `--gre`: OVS hosts also run `tunnel_types = gre` and a GRE network is made for them (docs/lab.md#gre).
   * On a running lab that differs, the OVS agents are reconfigured and restarted (`gre.ts`), and
   * dropping it deletes the GRE VMs and network.
   */
  gre?: boolean;
  /**
   * `--dvr` (needs `--gre` and at least 2 OVS hosts): distributed routing, an L3 agent per OVS host in
   * its own mount namespace, and the router `l2lab-dvr` on the VXLAN and GRE subnets (docs/lab.md#dvr).
   */
  dvr?: boolean;
  /**
   * `--report-interval` / `--agent-down-time` (docs/lab.md#heartbeats): set on a cold start only; a
   * running lab with other values must be taken down first (the server and agents read them at start).
   * Absent on a running lab: it keeps what it has.
   */
  heartbeats?: Heartbeats;
  /**
   * `--hybrid` (needs OVS hosts; a cold start only): OVS hosts run the `iptables_hybrid` firewall and
   * their VMs are plugged tap -> qbr -> qvb/qvo -> br-int (docs/lab.md#hybrid).
   */
  hybrid?: boolean;
}

/**
 * Check a lab's heartbeat settings against Neutron's own advice: `report_interval` should be "half
 * or less than agent_down_time" (neutron/conf/agent/common.py, the option's help), else one late
 * report marks a healthy agent down. Pure.
 * @throws Error when a value is not a positive whole number of seconds or the interval is over half the down time
 */
export function checkHeartbeats(h: Heartbeats): Heartbeats {
  for (const [k, v] of Object.entries(h))
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`--${k === 'reportInterval' ? 'report-interval' : 'agent-down-time'} must be a whole number of seconds >= 1 (got ${v})`);
  if (h.reportInterval * 2 > h.agentDownTime)
    throw new Error(`--agent-down-time ${h.agentDownTime} must be at least twice --report-interval ${h.reportInterval} (neutron-server's own rule)`);
  return h;
}

/**
 * The mode a host new to the lab starts with when none is asked for: the mode every host of the
 * lab already runs (`up --ovs-host` on a Lab3 lab adds an OVS host with the ARP responder on, not a
 * broken mix), else Lab2 (l2pop on, ARP responder off). Pure.
 * @param hosts the lab's hosts before the new one
 */
export function defaultHostMode(hosts: readonly Pick<HostState, 'mode'>[]): HostMode {
  const first = hosts[0]?.mode;
  if (first && hosts.every((h) => h.mode.l2pop === first.l2pop && h.mode.arp === first.arp)) return { l2pop: first.l2pop, arp: first.arp };
  return { l2pop: true, arp: false };
}

/** Most OVS hosts `up` adds (10.0.20.21-24: each runs ovsdb-server, ovs-vswitchd and the OVS agent). */
export const MAX_OVS_HOSTS = 4;

/** Step timings of one `up`, in ms, in the order they ran. */
export type Timings = [step: string, ms: number][];

/** The hosts `up` should have, in address order. */
export function plannedHosts(opts: Pick<UpOptions, 'hosts' | 'ovsHosts'>): { name: string; kind: HostState['kind']; index: number; underlayIp: string }[] {
  if (opts.hosts < 1 || opts.hosts > 9) throw new Error(`--hosts must be 1..9 (got ${opts.hosts})`);
  if (!Number.isInteger(opts.ovsHosts) || opts.ovsHosts < 0 || opts.ovsHosts > MAX_OVS_HOSTS)
    throw new Error(`--ovs-hosts must be 0..${MAX_OVS_HOSTS} (got ${opts.ovsHosts})`);
  const out: { name: string; kind: HostState['kind']; index: number; underlayIp: string }[] = [];
  for (let i = 0; i < opts.hosts; i++) out.push({ name: lbHostName(i), kind: 'linuxbridge', index: i, underlayIp: lbUnderlayIp(i) });
  for (let k = 0; k < opts.ovsHosts; k++) out.push({ name: ovsHostName(k), kind: 'ovs', index: 10 + k, underlayIp: ovsUnderlayIp(k) });
  return out;
}

/**
 * Bring the lab up (or converge a running one).
 * @param state the current state (null: none), updated in place
 * @returns the new state (also saved to disk, after every daemon start and at the end, even on failure) and the step timings
 */
export async function up(state: LabState | null, opts: UpOptions, log: (s: string) => void): Promise<{ state: LabState; timings: Timings }> {
  const timings: Timings = [];
  let t = Date.now();
  const step = (name: string) => {
    const now = Date.now();
    timings.push([name, now - t]);
    log(`  ${name}: ${((now - t) / 1000).toFixed(1)} s`);
    t = now;
  };

  await ensurePackages([...LINUXBRIDGE_PACKAGES, ...(opts.ovsHosts > 0 ? OVS_PACKAGES : []), ...(opts.dvr ? DVR_PACKAGES : [])], log);
  step('packages');

  let s = state;
  const warm = s !== null && isRunning(s.procs.server) && (await apiUp());
  if (warm && s!.vni !== opts.vni) throw new Error(`the running lab uses VNI ${s!.vni}; run "lab down" before changing --vni`);
  if (warm && s!.amqpUrl !== opts.amqpUrl) throw new Error(`the running lab uses ${s!.amqpUrl}; run "lab down" before changing --amqp`);
  if (opts.dvr && (!opts.gre || opts.ovsHosts < 2))
    throw new Error('--dvr needs --gre and --ovs-hosts 2 or more (the router joins the VXLAN and the GRE subnet)');
  if (warm && (s!.dvr !== undefined) !== (opts.dvr === true))
    throw new Error(`the running lab ${s!.dvr ? 'has' : 'has no'} DVR; run "lab down" before ${opts.dvr ? 'adding' : 'dropping'} --dvr`);
  // without the flags, a running lab keeps its heartbeats (a host added later gets them too)
  if (
    warm &&
    opts.heartbeats &&
    JSON.stringify(s!.heartbeats ?? { reportInterval: REPORT_INTERVAL, agentDownTime: AGENT_DOWN_TIME }) !== JSON.stringify(opts.heartbeats)
  )
    throw new Error('the running lab has other --report-interval / --agent-down-time; run "lab down" before changing them');
  if (opts.hybrid && opts.ovsHosts < 1) throw new Error("--hybrid needs OVS hosts (--ovs-hosts 1 or more): it is the OVS agent's firewall");
  if (warm && (s!.hybrid === true) !== (opts.hybrid === true))
    throw new Error(
      `the running lab ${s!.hybrid ? 'runs' : 'does not run'} the hybrid firewall; run "lab down" before ${opts.hybrid ? 'adding' : 'dropping'} --hybrid`,
    );
  if (s && !warm) {
    log('found a lab whose neutron-server is not running: tearing its leftovers down first');
    await teardown(s, log);
    s = null;
  }
  if (!s) {
    // a cold start begins from nothing: no stale configs (ini modes) from an earlier run
    for (const dir of ['etc', 'agents', 'ovs']) rmSync(path.join(LAB_ROOT, dir), { recursive: true, force: true });
    s = emptyState(opts.amqpUrl, opts.vni);
    if (opts.gre) s.gre = { networkId: null, subnetId: null };
    if (opts.dvr) s.dvr = { routerId: null };
    if (opts.heartbeats) s.heartbeats = checkHeartbeats(opts.heartbeats);
    if (opts.hybrid) s.hybrid = true;
  }
  // adding --gre to a running lab: converge edits the OVS inis, restarts their agents and makes the network
  if (opts.gre && !s.gre) s.gre = { networkId: null, subnetId: null };
  const lab = s;
  try {
    return await converge(lab, opts, warm, step, timings, log);
  } finally {
    // every PID started so far is on disk, even when a later step failed
    saveState(lab);
  }
}

async function converge(
  lab: LabState,
  opts: UpOptions,
  warm: boolean,
  step: (name: string) => void,
  timings: Timings,
  log: (s: string) => void,
): Promise<{ state: LabState; timings: Timings }> {
  await ensureBroker(lab.amqpUrl, log);
  await ensureMariadb(log);
  step('broker + mariadb');

  writeServerConfig(lab.amqpUrl, lab.dvr !== undefined, lab.heartbeats?.agentDownTime);
  if (!warm) {
    await createDatabase(true);
    lab.dbCreated = true;
    await migrateDatabase();
    step('database (neutron-db-manage upgrade head)');
  }
  lab.procs.server = await ensureServer(lab.procs.server);
  saveState(lab);
  step('neutron-server');

  // dropping --gre from a running lab: its VMs and network go first, while the agents still run GRE
  if (warm && lab.gre && !opts.gre) {
    await dropGreNetwork(lab, log);
    saveState(lab);
    step('GRE network and VMs deleted');
  }

  lab.procs.relay = await ensureRootRelay(lab.amqpUrl, lab.procs.relay);
  saveState(lab);
  await ensureFabric(lab);
  const toSwitch: { host: HostState; mode: HostMode }[] = [];
  const labMode = defaultHostMode(Object.values(lab.hosts));
  for (const p of plannedHosts(opts)) {
    const explicit =
      opts.hostModes[p.name] ?? (opts.l2pop !== undefined || opts.arp !== undefined ? { l2pop: opts.l2pop ?? true, arp: opts.arp ?? false } : undefined);
    let h = lab.hosts[p.name];
    if (!h) {
      h = { name: p.name, kind: p.kind, index: p.index, underlayIp: p.underlayIp, ns: hostNs(p.name), mode: explicit ?? labMode };
      // DVR with tunnels forces the ARP responder on (the agent reports arp_responder_enabled true)
      // and refuses to start without l2pop: a DVR host's mode is Lab3 (docs/lab.md#dvr)
      if (lab.dvr && p.kind === 'ovs') h.mode = dvrHostMode(h.mode);
      lab.hosts[p.name] = h;
    } else if (explicit && (explicit.l2pop !== h.mode.l2pop || explicit.arp !== h.mode.arp)) {
      toSwitch.push({ host: h, mode: explicit });
    }
    await ensureHost(lab, h, h.kind !== 'ovs');
    lab.procs[`relay:${h.name}`] = await ensureHostRelay(h.ns, h.name, lab.procs[`relay:${h.name}`]);
    if (h.kind === 'ovs') await ensureOvsDaemons(lab, h);
    if (isDvrHost(lab, h)) await ensureDvrMountNs(h);
    writeAgentConfig(lab, h);
    saveState(lab);
  }
  for (const name of Object.keys(lab.hosts)) {
    if (!plannedHosts(opts).some((p) => p.name === name))
      log(`note: host ${name} exists but is beyond --hosts ${opts.hosts}; it is kept (lab down removes it)`);
  }
  // the OVS inis follow --gre (a new host's ini is written with it already)
  const retyped = retypeOvsInis(lab);
  step('fabric + hosts + relays');

  const startAt = Date.now();
  const started: HostState[] = [];
  for (const h of Object.values(lab.hosts)) if (await ensureAgent(lab, h)) started.push(h);
  saveState(lab);
  await Promise.all(started.map((h) => waitAgentStarted(h, startAt, h.mode)));
  for (const h of started) if (h.kind === 'ovs') await waitOvsBridges(h);
  if (started.length) step(`agents alive (${started.map((h) => h.name).join(', ')})`);
  if (lab.dvr && started.some((h) => isDvrHost(lab, h))) {
    const restarted = await ensureDvrMacsLearned(
      lab,
      Object.values(lab.hosts).filter((h) => isDvrHost(lab, h)),
      log,
    );
    saveState(lab);
    step(`DVR MACs learned by every OVS host${restarted.length ? ` (restarted ${restarted.map((h) => h.name).join(', ')})` : ''}`);
  }
  // a running agent reads tunnel_types only at start
  const restart = retyped.filter((h) => !started.includes(h));
  if (restart.length) {
    await restartAgents(lab, restart);
    saveState(lab);
    if (!lab.gre) for (const p of await deleteGrePorts(lab)) log(`  deleted ${p} (no GRE any more)`);
    step(`tunnel_types ${lab.gre ? 'vxlan,gre' : 'vxlan'}: agents restarted (${restart.map((h) => h.name).join(', ')})`);
  }
  const l3 = [];
  for (const h of Object.values(lab.hosts)) if (isDvrHost(lab, h) && (await ensureL3Agent(lab, h))) l3.push(h);
  saveState(lab);
  if (l3.length) {
    await Promise.all(l3.map((h) => waitL3AgentAlive(h.name, startAt)));
    step(`L3 agents alive (${l3.map((h) => h.name).join(', ')})`);
  }
  if (toSwitch.length) {
    await switchModes(lab, toSwitch, false);
    step(`mode switch (${toSwitch.map((x) => x.host.name).join(', ')})`);
  }

  await ensureNetwork(lab);
  if (lab.gre) await ensureGreNetwork(lab);
  // the router before the VMs: the server then casts add_arp_entry for each VM port (l3_dvr_db.py
  // update_arp_entry_for_dvr_service_port), which the tap sees; entries of ports older than the
  // router reach the L3 agents only in RPC replies (docs/dvr.md#limits)
  const routerId = lab.dvr ? await ensureDvrRouter(lab) : null;
  saveState(lab);
  if (opts.vms) {
    const created = [];
    const onNet = (h: HostState, n: 'vxlan' | 'gre') => vmsOf(lab, h.name).filter((v) => (v.network ?? 'vxlan') === n).length;
    for (const h of Object.values(lab.hosts)) if (onNet(h, 'vxlan') === 0) created.push(await addVm(lab, h, false));
    if (lab.gre) for (const h of Object.values(lab.hosts)) if (h.kind === 'ovs' && onNet(h, 'gre') === 0) created.push(await addVm(lab, h, false, 'gre'));
    await Promise.all(created.map((v) => waitPortActive(v.portId)));
    step(`network + ${created.length} VMs ACTIVE`);
  } else {
    step('network');
  }
  if (routerId && opts.vms) {
    await routeVms(lab);
    await Promise.all(
      Object.values(lab.hosts)
        .filter((h) => isDvrHost(lab, h))
        .map((h) => waitQrouter(h, routerId)),
    );
    step(`DVR router ${routerId} on every OVS host`);
  }
  for (const key of Object.keys(lab.procs)) if (key.startsWith('agent:') && !lab.hosts[key.slice(agentKey('').length)]) delete lab.procs[key];
  return { state: lab, timings };
}
