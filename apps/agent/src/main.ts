#!/usr/bin/env -S npx tsx
/**
 * `npx tsx apps/agent/src/main.ts --host <neutron host> ...`: the l2scope node agent. Runs as root on
 * a hypervisor (in the lab: `ip netns exec l2lab-<host> ...`), in the network namespace it is started
 * in. See apps/agent/README.md.
 */
import { Command, Option } from 'commander';
import { NodeAgent } from './agent';
import { writeBundle } from './bundle';
import { redactUrl } from '@l2scope/domain';
import { type Log, errLine, stdoutLog } from './log';
import { type CliOptions, parseAgentOptions } from './options';

const log: Log = stdoutLog;
const collectIni = (v: string, acc: string[]) => [...acc, v];

const program = new Command();
program
  .name('l2scope-agent')
  .description('l2scope node agent: node snapshots (full + deltas) and the VXLAN BUM meter, published on l2scope\'s own exchange "l2scope.node"')
  .option('--host <name>', 'Neutron host name of this node ([DEFAULT] host; default: the system host name)')
  .option('--amqp <url>', 'broker URL (default: env AMQP_URL, else amqp://guest:guest@127.0.0.1:5672/); the user needs configure+write on ^l2scope\\.node$')
  .option('--interval <s>', 'seconds between full snapshots', '30')
  .option(
    '--ini <path>',
    'the Neutron L2 agent ini, read-only (repeatable, oslo --config-file order; default: the Debian path of the type)',
    collectIni,
    [] as string[],
  )
  .addOption(new Option('--type <type>', 'agent type').choices(['auto', 'linuxbridge', 'openvswitch']).default('auto'))
  .option('--ovs-db <db>', 'OVSDB for ovs-vsctl (e.g. unix:/run/openvswitch/db.sock)')
  .option('--ovs-rundir <dir>', 'OVS_RUNDIR for ovs-vsctl / ovs-ofctl')
  .option('--bum', 'run the BUM meter (default)')
  .option('--no-bum', 'do not run the BUM meter')
  .option('--bum-iface <if>', 'underlay interface to capture on (default: the one holding local_ip)')
  .option('--bum-port <port>', "VXLAN UDP port (default: the ini's, i.e. 8472 for Linux bridge, 4789 for OVS)")
  .option('--bum-interval <s>', 'seconds per BUM report', '5')
  .option('--bum-budget <pps>', 'packets per second decoded in full; above it every k-th packet is decoded and counts scaled', '20000')
  .option('--poll <s>', 'also collect every S seconds and send a delta when something changed (default: 5 for OVS, 0 = monitors only for Linux bridge)')
  .option('--bundle <dir>', 'write a support bundle of the current state into DIR and exit (no AMQP)')
  .option('--once', 'publish one full snapshot and exit')
  .option(
    '--status-file <path>',
    'rewrite this JSON file (atomically) after every broker-confirmed publish, for a health check (default: env L2SCOPE_AGENT_STATUS_FILE; unset: none)',
  )
  .option(
    '--command-public-key <file>',
    "the worker's Ed25519 public key (PEM SPKI or JWK) that signs agent commands; without it the agent is read-only and refuses every command",
  )
  .option('--state-dir <dir>', 'where the agent keeps its replay cache and the index of ini backups', '/var/lib/l2scope-agent')
  .option(
    '--restart-command <argv>',
    'restart the Neutron L2 agent with this command (split like a shell, run without one); default: the systemd unit or kolla container found',
  )
  .option('--stop-command <argv>', 'stop the Neutron L2 agent (with --start-command: the clean switch of the vxlan devices)')
  .option('--start-command <argv>', 'start the Neutron L2 agent')
  .showHelpAfterError();

async function main(): Promise<number> {
  program.parse(process.argv);
  const opts = program.opts<CliOptions>();
  opts.bum ??= true;
  const m = parseAgentOptions(opts, process.env, log);
  const agent = new NodeAgent(m.config);

  if (m.mode === 'bundle') {
    await agent.resolveType();
    const { collected, snapshot } = await agent.snapshot();
    const files = await writeBundle(m.dir, m.config.host, collected.raw, { takenAt: collected.takenAt, agentType: agent.type });
    for (const e of collected.errors) log(`bundle: ${e.source}: ${e.message}`);
    log(`bundle: ${files.length} files for ${m.config.host} (${agent.type}) in ${m.dir}: ${files.join(' ')}`);
    if (snapshot.errors.length) log(`bundle: snapshot problems: ${snapshot.errors.map((e) => `${e.source}: ${e.message}`).join('; ')}`);
    return 0;
  }
  log(`agent: broker ${redactUrl(m.config.amqpUrl)}`);
  if (m.mode === 'once') return (await agent.runOnce(30_000)) ? 0 : 1;

  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log(`agent: ${sig}: stopping`);
    agent.stop().then(
      () => {
        log('agent: stopped');
        process.exit(0);
      },
      (e) => {
        log(`agent: stop failed: ${errLine(e)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await agent.start();
  return -1; // keep running
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    log(`agent: error: ${errLine(e)}`);
    process.exit(2);
  },
);
