#!/usr/bin/env -S npx tsx
/**
 * `npm run lab -- <verb>`: the l2scope lab CLI (commander). Every verb takes the lab's lock,
 * loads the state file, acts, and saves the state even when it fails, so no PID is ever lost.
 * Needs root (namespaces, apt) on Debian 12.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { iniMode } from './agents';
import { labName, parseHostModes, parseOnOff } from './config';
import { runDemo } from './demo';
import { MAX_OVS_HOSTS, up } from './lab';
import { COMMAND_PUBLIC_KEY_ENV, commandPublicKeyFile, nodeAgentStatus, startNodeAgents, stopNodeAgents } from './l2scope-agents';
import { restartAgent, switchModes } from './modes';
import { NEUTRON_AGENT_ACTIONS, neutronAgent, setFailNextStart, waitNeutronAgent } from './neutron-agent';
import { AGENT_DOWN_TIME, DEFAULT_AMQP, DEFAULT_VNI, REPORT_INTERVAL } from './paths';
import { pingMatrix } from './ping';
import { formatKernel, formatOvs, formatPing, kernelReports, statusLines, waitKernelConverged } from './report';
import { loadState, saveState, withLock, withState, hostOf, type HostMode, type VmState } from './state';
import { dvrReport, routeVms } from './dvr-lab';
import { teardown } from './teardown';
import { addVm, changeVmIp, deleteVm, vmsOf } from './vms';

const log = (s: string) => console.log(s);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** A commander parser for a non-negative number option (NaN and negatives refused). */
const nonNegative = (parse: (v: string) => number) => (v: string) => {
  const n = parse(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`not a non-negative number: ${v}`);
  return n;
};
const int = nonNegative((v) => (/^\d+$/.test(v) ? Number(v) : Number.NaN));
const seconds = nonNegative(Number.parseFloat);

const program = new Command();
program
  .name('npm run lab --')
  .description(
    "A real Neutron (Zed) l2pop lab on this machine: neutron-server, Linux bridge / OVS agents in network namespaces, VMs as namespaces.\nNeeds root on Debian 12. Traffic stays on loopback and inside the lab's own namespaces (l2lab-*).",
  )
  .showHelpAfterError();

program
  .command('up')
  .description('install what is missing and bring the lab up (idempotent: converges a running lab)')
  .option('--hosts <n>', 'Linux bridge hosts: controller, compute1..N-1', (v) => Number.parseInt(v, 10), 3)
  .option('--l2pop <on|off>', 'l2_population for every host not in --host-mode (default on)', parseOnOff)
  .option('--arp-responder <on|off>', 'arp_responder for every host not in --host-mode (default off)', parseOnOff)
  .option('--host-mode <H=l2pop,arp...>', 'per-host mode, repeatable: H=l2pop,arp | H=l2pop | H=off', (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option('--vni <vni>', 'VXLAN VNI of the lab network', (v) => Number.parseInt(v, 10), DEFAULT_VNI)
  .option('--ovs-host', 'add host ovs1 running neutron-openvswitch-agent on userspace OVS (docs/lab.md#ovs-host); the same as --ovs-hosts 1', false)
  .option('--ovs-hosts <n>', `add OVS hosts ovs1..ovsN (0..${MAX_OVS_HOSTS}) at 10.0.20.21.. (docs/lab.md#ovs-host)`, (v) => Number.parseInt(v, 10))
  .option(
    '--gre',
    'OVS hosts also run tunnel_types gre; a GRE network (key = --vni) gets one VM per OVS host. On a running lab, adding or leaving it out reconfigures the OVS agents (docs/lab.md#gre)',
    false,
  )
  .option(
    '--dvr',
    'distributed routing: an L3 agent per OVS host in its own mount namespace and a router on the two subnets; needs --gre, --ovs-hosts 2+ (docs/lab.md#dvr)',
    false,
  )
  .option(
    '--hybrid',
    'OVS hosts run firewall_driver iptables_hybrid and plug VMs tap -> qbr -> qvb/qvo -> br-int; needs --ovs-hosts 1+, a cold start only (docs/lab.md#hybrid)',
    false,
  )
  .option('--no-vms', 'do not create one VM per host')
  .option(
    '--report-interval <s>',
    `the agents' [agent] report_interval in seconds (default ${REPORT_INTERVAL}); a cold start only (docs/lab.md#heartbeats)`,
    (v) => Number(v),
  )
  .option(
    '--agent-down-time <s>',
    `neutron-server's agent_down_time in seconds (default ${AGENT_DOWN_TIME}); a cold start only (docs/lab.md#heartbeats)`,
    (v) => Number(v),
  )
  .option('--amqp <url>', 'broker URL', DEFAULT_AMQP)
  .option('--l2scope-agents', 'also start an l2scope node agent in every host namespace (see "agents")', false)
  .option(
    '--command-public-key <file>',
    `with --l2scope-agents: the worker's Ed25519 public key for signed commands (default $${COMMAND_PUBLIC_KEY_ENV}; none: read-only agents)`,
  )
  .action(
    async (o: {
      hosts: number;
      l2pop?: boolean;
      arpResponder?: boolean;
      hostMode: string[];
      vni: number;
      ovsHost: boolean;
      ovsHosts?: number;
      gre: boolean;
      dvr: boolean;
      hybrid: boolean;
      vms: boolean;
      reportInterval?: number;
      agentDownTime?: number;
      amqp: string;
      l2scopeAgents: boolean;
      commandPublicKey?: string;
    }) => {
      const t0 = Date.now();
      await withLock(async () => {
        const r = await up(
          loadState(),
          {
            hosts: o.hosts,
            l2pop: o.l2pop,
            arp: o.arpResponder,
            hostModes: parseHostModes(o.hostMode),
            vni: o.vni,
            ovsHosts: o.ovsHosts ?? (o.ovsHost ? 1 : 0),
            amqpUrl: o.amqp,
            vms: o.vms,
            gre: o.gre,
            dvr: o.dvr,
            heartbeats:
              o.reportInterval !== undefined || o.agentDownTime !== undefined
                ? { reportInterval: o.reportInterval ?? REPORT_INTERVAL, agentDownTime: o.agentDownTime ?? AGENT_DOWN_TIME }
                : undefined,
            hybrid: o.hybrid,
          },
          log,
        );
        if (o.l2scopeAgents) {
          await startNodeAgents(r.state, log, { commandPublicKey: commandPublicKeyFile(o.commandPublicKey) });
          saveState(r.state);
        }
        for (const l of await statusLines(r.state)) log(l);
      });
      log(`lab up in ${secs(Date.now() - t0)}`);
    },
  );

const vm = program.command('vm').description('add, delete, readdress VMs (namespaces on veth taps bound to a host)');
vm.command('add')
  .requiredOption('--host <H>', 'host to bind the port to')
  .option('--count <n>', 'how many', (v) => Number.parseInt(v, 10), 1)
  .addOption(new Option('--network <net>', 'the VXLAN lab network, or the GRE one (lab up --gre; OVS hosts)').choices(['vxlan', 'gre']).default('vxlan'))
  .action(async (o: { host: string; count: number; network: 'vxlan' | 'gre' }) => {
    await withState(async (s) => {
      const h = hostOf(s, o.host);
      for (let i = 0; i < o.count; i++) {
        const t0 = Date.now();
        const v = await addVm(s, h, true, o.network);
        log(`${v.name} on ${h.name}: ${v.ip} ${v.mac} port ${v.portId} ACTIVE after ${secs(Date.now() - t0)}`);
      }
      // a DVR lab's VMs route through the distributed router (docs/lab.md#dvr)
      if (s.dvr) await routeVms(s);
    });
  });
vm.command('del')
  .requiredOption('--host <H>', 'host whose VM to delete (the oldest, unless --name)')
  .option('--name <vm>', 'VM name')
  .option('--all', 'delete every VM of the host')
  .action(async (o: { host: string; name?: string; all?: boolean }) => {
    await withState(async (s) => {
      const vms = vmsOf(s, o.host).filter((v) => !o.name || v.name === o.name);
      if (vms.length === 0) throw new Error(`no VM${o.name ? ` ${o.name}` : ''} on ${o.host}`);
      for (const v of o.all ? vms : vms.slice(0, 1)) {
        await deleteVm(s, v, s.hosts);
        log(`deleted ${v.name} (${v.ip}, port ${v.portId})`);
      }
    });
  });
vm.command('ip')
  .requiredOption('--host <H>', 'host of the VM (the oldest, unless --name)')
  .option('--name <vm>', 'VM name')
  .argument('<ip>', 'new fixed IP, in 172.16.1.0/24')
  .action(async (newIp: string, o: { host: string; name?: string }) => {
    await withState(async (s) => {
      const v = vmsOf(s, o.host).find((x) => !o.name || x.name === o.name);
      if (!v) throw new Error(`no VM on ${o.host}`);
      const old = v.ip;
      await changeVmIp(s, v, newIp);
      log(`${v.name}: ${old} -> ${newIp} (update_fdb_entries chg_ip)`);
    });
  });
vm.command('list').action(async () => {
  await withState(async (s) => {
    for (const v of Object.values(s.vms)) log(`${v.name} ${v.host} ${v.network ?? 'vxlan'} ${v.ip} ${v.mac} ${v.portId}`);
  });
});

program
  .command('agent')
  .description('agent actions')
  .command('restart')
  .argument('<H>', 'host')
  .description("restart the host's agent (stop by PID, start, wait for a new started_at)")
  .action(async (host: string) => {
    await withState(async (s) => {
      const ms = await restartAgent(s, hostOf(s, host));
      log(`agent ${host} restarted: new started_at after ${secs(ms)}`);
    });
  });

// a host's Neutron L2 agent switched as a service manager would, for l2scope's node agents: see neutron-agent.ts
const neutronAgentCmd = program
  .command('neutron-agent')
  .description(
    "a host's Neutron L2 agent as a service: stop | start | restart (the ini is not rewritten: start reads the mode from it), fail-next-start (test hook)",
  );
for (const action of NEUTRON_AGENT_ACTIONS) {
  neutronAgentCmd
    .command(action)
    .description(
      {
        stop: "stop the host's agent by PID",
        start: "start the host's agent on its config files as they are, record the mode its ini holds, wait for its new report in the API",
        restart: 'stop, then start',
      }[action],
    )
    .requiredOption('--host <H>', 'host')
    .option('--timeout <s>', 'seconds to wait for the new report', seconds, 90)
    .action(async (o: { host: string; timeout: number }) => {
      const r = await neutronAgent(action, o.host, o.timeout * 1000);
      if (r.stoppedPid !== undefined) log(`neutron agent ${r.host}: stopped pid ${r.stoppedPid}`);
      else if (action !== 'start') log(`neutron agent ${r.host}: was not running`);
      if (r.alreadyRunning) log(`neutron agent ${r.host}: already running`);
      if (r.pid !== undefined)
        log(
          `neutron agent ${r.host}: started pid ${r.pid}, l2_population=${r.mode!.l2pop} arp_responder=${r.mode!.arp} (${labName(r.mode!)}, from the ini), new started_at ${r.startedAt} after ${secs(r.ms)}`,
        );
    });
}
neutronAgentCmd
  .command('fail-next-start')
  .description("test hook: the host's next neutron-agent start begins an agent that exits before it reports (consumed once)")
  .requiredOption('--host <H>', 'host')
  .option('--clear', 'disarm it')
  .action(async (o: { host: string; clear?: boolean }) => {
    const armed = await setFailNextStart(o.host, o.clear === true);
    log(`fail-next-start ${o.clear ? 'cleared' : 'armed'} for ${o.host} (armed: ${armed.join(', ') || 'none'})`);
  });
neutronAgentCmd
  .command('wait')
  .description(
    "wait for the host's agent's new report in the API (run in neutron-server's network namespace; neutron-agent start uses it from a host namespace)",
  )
  .requiredOption('--host <H>', 'host')
  .requiredOption('--after <ms>', 'epoch ms the agent was started', int)
  .option('--pid <pid>', "the agent's PID: stop waiting when it exits", int)
  .option('--start-time <ticks>', 'its start time in /proc/<pid>/stat', int)
  .option('--timeout <s>', 'seconds', seconds, 90)
  .action(async (o: { host: string; after: number; pid?: number; startTime?: number; timeout: number }) => {
    const rec = o.pid !== undefined && o.startTime !== undefined ? { pid: o.pid, startTime: o.startTime } : undefined;
    log(await waitNeutronAgent(o.host, o.after, rec, o.timeout * 1000));
  });

program
  .command('mode')
  .argument('<H|all>', 'a host or all')
  .description('switch l2_population / arp_responder: clean by default (stop, delete vxlan-<VNI>, edit, start, wait); --in-place only edits + restarts')
  .option('--l2pop <on|off>', 'l2_population (default: unchanged)', parseOnOff)
  .option('--arp-responder <on|off>', 'arp_responder (default: unchanged)', parseOnOff)
  .addOption(new Option('--in-place', 'edit the ini and restart only (reproduces the half-switched state)').default(false))
  .action(async (target: string, o: { l2pop?: boolean; arpResponder?: boolean; inPlace: boolean }) => {
    await withState(async (s) => {
      const hosts = target === 'all' ? Object.values(s.hosts) : [hostOf(s, target)];
      // an unnamed setting stays as the ini has it (l2scope's toggles may have changed it)
      const targets = hosts.map((h) => {
        const now = iniMode(h);
        return { host: h, mode: { l2pop: o.l2pop ?? now.l2pop, arp: o.arpResponder ?? now.arp } as HostMode };
      });
      const t0 = Date.now();
      const res = await switchModes(s, targets, o.inPlace);
      for (const r of res)
        log(
          `${r.host}: l2_population=${r.mode.l2pop} arp_responder=${r.mode.arp} (${labName(r.mode)})${r.deletedVxlan ? `, deleted vxlan-${s.vni}` : ''}, new started_at ${r.startedAt} after ${secs(r.ms)}`,
        );
      log(`${o.inPlace ? 'in-place' : 'clean'} switch of ${res.length} host(s) in ${secs(Date.now() - t0)}`);
      const { reports, ms } = await waitKernelConverged(s, o.inPlace ? 8000 : 30_000);
      log(`kernel ${reports.every((r) => !r.diffs?.length) ? `converged after ${secs(ms)}` : `after ${secs(ms)}`}:`);
      for (const l of formatKernel(reports)) log(l);
    });
  });

program
  .command('ping')
  .description('full VM ping matrix, one line per ordered pair (ARP caches flushed first)')
  .action(async () => {
    await withState(async (s) => {
      const onOvs = (v: VmState) => s.hosts[v.host]?.kind === 'ovs';
      const res = await pingMatrix(
        Object.values(s.vms).sort((a, b) => a.name.localeCompare(b.name)),
        (a, b) => s.dvr !== undefined && onOvs(a) && onOvs(b),
      );
      for (const l of formatPing(res)) log(l);
      if (res.some((r) => !r.ok)) process.exitCode = 1;
    });
  });

program
  .command('dvr')
  .description(
    "DVR hosts: br-tun tables 1/9 and br-int tables 1/3 flow counts, and each qrouter-*'s permanent neighbours, read in the host's own mount namespace (docs/lab.md#dvr)",
  )
  .action(async () => {
    await withState(async (s) => {
      if (!s.dvr) throw new Error('not a DVR lab (lab up --dvr)');
      for (const l of await dvrReport(s)) log(l);
    });
  });

program
  .command('kernel')
  .argument('[H]', 'one host (default: all)')
  .description("each host's FDB / vxlan device / neighbours on vxlan-<VNI>, checked against its mode (docs/lab.md#labs); OVS: br-tun")
  .action(async (host?: string) => {
    await withState(async (s) => {
      const reports = (await kernelReports(s)).filter((r) => !host || r.host.name === host);
      for (const l of formatKernel(reports)) log(l);
      for (const h of Object.values(s.hosts)) if (h.kind === 'ovs' && (!host || host === h.name)) for (const l of await formatOvs(h)) log(l);
      for (const h of Object.values(s.hosts)) {
        const m = iniMode(h);
        if (m.l2pop !== h.mode.l2pop || m.arp !== h.mode.arp)
          log(`note: ${h.name}'s ini says l2pop=${m.l2pop} arp=${m.arp}, the state ${JSON.stringify(h.mode)}`);
      }
      if (reports.some((r) => r.diffs?.length)) process.exitCode = 1;
    });
  });

// l2scope node agents (apps/agent) in the host namespaces: see l2scope-agents.ts
const nodeAgents = program.command('agents').description('l2scope node agents (apps/agent), one per lab host inside its namespace: start | stop | status');
nodeAgents
  .command('start')
  .description('start an l2scope node agent in every host namespace that has none running')
  .option('--interval <s>', 'seconds between full snapshots', (v) => Number.parseFloat(v))
  .option('--bum-interval <s>', 'seconds per BUM report', (v) => Number.parseFloat(v))
  .option('--no-bum', 'without the BUM meter')
  .option('--command-public-key <file>', `the worker's Ed25519 public key for signed commands (default $${COMMAND_PUBLIC_KEY_ENV}; none: read-only agents)`)
  .action(async (o: { interval?: number; bumInterval?: number; bum: boolean; commandPublicKey?: string }) => {
    await withState(async (s) => {
      const started = await startNodeAgents(s, log, {
        intervalS: o.interval,
        bumIntervalS: o.bumInterval,
        bum: o.bum,
        commandPublicKey: commandPublicKeyFile(o.commandPublicKey),
      });
      log(started.length ? `started ${started.length} node agent(s)` : 'every host already has a running node agent');
    });
  });
nodeAgents
  .command('stop')
  .description('stop every l2scope node agent (by PID)')
  .action(async () => {
    await withState(async (s) => {
      log(`stopped ${await stopNodeAgents(s, log)} node agent(s)`);
    });
  });
nodeAgents
  .command('status')
  .description('which hosts run an l2scope node agent')
  .action(async () => {
    await withState(async (s) => {
      for (const l of nodeAgentStatus(s)) log(l);
    });
  });

program
  .command('status')
  .description("processes, agents as the API sees them, OVS hosts' tunnel ports (VXLAN and GRE), VMs")
  .action(async () => {
    await withLock(async () => {
      const s = loadState();
      if (!s) return log('no lab is up');
      for (const l of await statusLines(s)) log(l);
    });
  });

program
  .command('down')
  .description('stop every process the lab started (by PID), delete its namespaces, drop its database')
  .action(async () => {
    const t0 = Date.now();
    await withLock(async () => {
      await teardown(loadState(), log);
    });
    log(`lab down in ${secs(Date.now() - t0)}`);
  });

program
  .command('demo')
  .description('bring the lab up AND start l2scope (worker tapping the lab broker, web); add a VM every few seconds, remove old ones')
  .option('--hosts <n>', 'Linux bridge hosts', (v) => Number.parseInt(v, 10), 3)
  .option('--interval <s>', 'seconds between VM changes', (v) => Number.parseFloat(v), 5)
  .option('--max-vms <n>', 'VMs kept per host before the oldest goes', (v) => Number.parseInt(v, 10), 2)
  .option('--amqp <url>', 'broker URL', DEFAULT_AMQP)
  .option('--no-l2scope', 'only churn VMs (l2scope started elsewhere)')
  .option('--duration <s>', 'stop after this many seconds (default: until Ctrl-C)', (v) => Number.parseFloat(v))
  .action(async (o: { hosts: number; interval: number; maxVms: number; amqp: string; l2scope: boolean; duration?: number }) => {
    await runDemo({ hosts: o.hosts, intervalS: o.interval, maxVmsPerHost: o.maxVms, amqpUrl: o.amqp, startL2scope: o.l2scope, durationS: o.duration }, log);
  });

program.parseAsync(process.argv).catch((e: Error) => {
  console.error(`error: ${e.message}`);
  process.exit(1);
});
