/**
 * `demo`: the live way to try l2scope. Brings the lab up, starts the l2scope dashboard tapping the
 * lab's broker, then keeps the topology moving: every `intervalS` seconds a VM is added on the
 * next host (round robin), and a host's oldest VM is deleted once it has more than
 * `maxVmsPerHost`. Ctrl-C (or `durationS`) stops the churn and the dashboard; the lab stays up
 * (`npm run lab -- down` removes it).
 */
import { up } from './lab';
import { commandPublicKeyFile, startNodeAgents } from './l2scope-agents';
import { DASHBOARD_PORTS, REPO_ROOT, dashboardAvailable, pickPort, startDashboard, waitFirstHost, webBuilt } from './l2scope';
import { run } from './exec';
import { sleep } from './exec';
import { parseHostModes } from './config';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { API_URL, DEFAULT_VNI, LAB_ROOT, paths } from './paths';
import { stopDaemon } from './procs';
import { loadState, saveState, withLock, type LabState } from './state';
import { addVm, deleteVm, vmsOf } from './vms';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  hosts: number;
  intervalS: number;
  maxVmsPerHost: number;
  amqpUrl: string;
  /** Start the dashboard (`npm start`); false when l2scope runs elsewhere. */
  startL2scope: boolean;
  /** Stop this many seconds after the churn began; undefined = until SIGINT/SIGTERM. */
  durationS?: number;
}

/** Key of the dashboard process in the lab state (so `down` stops it too). */
export const DASHBOARD_KEY = 'l2scope:dashboard';

/** Run the demo until interrupted. */
export async function runDemo(o: DemoOptions, log: (s: string) => void): Promise<void> {
  const t0 = Date.now();
  const since = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  let stopping = false;
  const onSignal = () => {
    stopping = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  await withLock(async () => {
    const { state } = await up(
      loadState(),
      { hosts: o.hosts, hostModes: parseHostModes([]), vni: loadState()?.vni ?? DEFAULT_VNI, ovsHosts: 0, amqpUrl: o.amqpUrl, vms: true },
      log,
    );
    // l2scope node agents in the host namespaces (snapshots + BUM meter on l2scope.node)
    await startNodeAgents(state, log, { commandPublicKey: commandPublicKeyFile(undefined) });
    saveState(state);
  });
  log(`[${since()}] lab up`);

  if (o.startL2scope) {
    if (!dashboardAvailable()) {
      log("l2scope's dashboard (npm start) is not in this checkout yet: churning VMs only");
    } else {
      if (!webBuilt()) {
        log(`[${since()}] building l2scope (npm run build, first time only)...`);
        const b = await run('npm', ['run', 'build'], { cwd: REPO_ROOT, timeout: 1_800_000, allowFail: true, env: { PATH: process.env.PATH ?? '' } });
        if (!b.ok) throw new Error(`npm run build failed:\n${(b.stdout + b.stderr).split('\n').slice(-30).join('\n')}`);
        log(`[${since()}] built`);
      }
      // ports in use (another l2scope on this machine) are never shared: its worker would answer for ours
      const ports = { web: await pickPort(DASHBOARD_PORTS.web), worker: await pickPort(DASHBOARD_PORTS.worker) };
      if (ports.web === ports.worker) ports.worker = await pickPort(0);
      // a fresh database of the demo's own: the live topology starts empty and fills from the lab
      const db = path.join(LAB_ROOT, 'l2scope-demo.db');
      for (const f of [db, `${db}-journal`, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      const { proc, url, token, firstLogin } = await startDashboard(o.amqpUrl, ports, `file:${db}`, ['--neutron-api', API_URL]);
      await withLock(async () => {
        const s = loadState()!;
        s.procs[DASHBOARD_KEY] = proc;
        saveState(s);
      });
      log(`[${since()}] l2scope dashboard: ${url}  (worker tapping ${o.amqpUrl}) - open it in a browser`);
      // the demo's database is new each time: npm start made the admin user (docs/auth.md)
      if (firstLogin) log(`[${since()}] sign in as ${firstLogin}`);
      // measured alongside the churn: when the browser can first show a host
      void waitFirstHost(`http://127.0.0.1:${ports.worker}`, token, 120_000).then((first) =>
        log(
          first
            ? `[${since()}] first host in l2scope's model: ${first.join(', ')}`
            : `[${since()}] no host in l2scope's model after 120 s (check ${paths.log('l2scope-dashboard')})`,
        ),
      );
    }
  }

  let turn = 0;
  const churnStart = Date.now();
  while (!stopping && (o.durationS === undefined || Date.now() - churnStart < o.durationS * 1000)) {
    await withLock(async () => {
      const s = loadState()!;
      try {
        await churnOnce(s, turn++, o.maxVmsPerHost, (m) => log(`[${since()}] ${m}`));
      } finally {
        saveState(s);
      }
    });
    for (let i = 0; i < o.intervalS * 10 && !stopping; i++) await sleep(100);
  }

  await withLock(async () => {
    const s = loadState();
    if (s?.procs[DASHBOARD_KEY]) {
      await stopDaemon(s.procs[DASHBOARD_KEY]);
      delete s.procs[DASHBOARD_KEY];
      saveState(s);
      log('stopped the l2scope dashboard');
    }
  });
  log('demo stopped; the lab is still up ("npm run lab -- down" removes it)');
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** One churn step: add a VM on host `turn mod N`, then trim that host to `maxVms` (oldest first). */
export async function churnOnce(s: LabState, turn: number, maxVms: number, log: (s: string) => void): Promise<void> {
  const hosts = Object.values(s.hosts).sort((a, b) => a.index - b.index);
  if (hosts.length === 0) return;
  const h = hosts[turn % hosts.length]!;
  const v = await addVm(s, h, false);
  log(`added ${v.name} on ${h.name} (${v.ip})`);
  const vms = vmsOf(s, h.name);
  for (const old of vms.slice(0, Math.max(0, vms.length - maxVms))) {
    await deleteVm(s, old, s.hosts);
    log(`removed ${old.name} from ${h.name}`);
  }
}
