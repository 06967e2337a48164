#!/usr/bin/env -S npx tsx
/** l2scope command line. `npm run -s l2scope -- <command>` from the repository root. */
import { Command } from 'commander';
import { analyzeCommand } from './analyze';
import { decodeCommand } from './decode';
import { rabbitmqPrintCommand } from './rabbitmq';
import { toggleCommand } from './toggle';
import { userCommand } from './user';

// `l2scope decode big.jsonl | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('l2scope').description('l2scope: an observatory for OpenStack Neutron l2pop').showHelpAfterError();

program
  .command('decode')
  .description('decode captured AMQP messages (one JSON object per line: ts, exchange, routingKey, properties, body) into l2pop terms')
  .argument('[file]', 'capture file (.jsonl); stdin when omitted or "-"')
  .option('--strict', 'exit 1 when any line could not be decoded', false)
  .action(async (file: string | undefined, opts: { strict: boolean }) => {
    process.exitCode = await decodeCommand(file, opts);
  });

program
  .command('analyze')
  .description(
    'told (l2pop model from a capture) vs held (node snapshots of a support bundle): per host mode, drift and flood lists, cross-host findings, as JSON',
  )
  .requiredOption('--messages <file>', 'capture file (.jsonl: ts, exchange, routingKey, properties, body per line)')
  .requiredOption(
    '--snapshots <dir>',
    'support bundle directory (<host>-bridge-fdb.json, <host>-ip-neigh.json, <host>-ip-link-vxlan.json, <host>-ovs-vsctl.json, <host>-flows-br-tun.txt, <host>-agent.ini, ...)',
  )
  .option('--until <time>', 'only messages received up to this time count (ISO-8601 or epoch seconds)')
  .option('--agent-down-time <s>', "neutron-server's agent_down_time (seconds): hosts without report_state for longer, as of --until, are down", '75')
  .option('--no-evidence', 'leave the evidence rows out')
  .option('--compact', 'one-line JSON', false)
  .option('--fail-on-drift', 'exit 1 when any host has drift or there is a finding', false)
  .action((opts: { messages: string; snapshots: string; until?: string; agentDownTime: string; evidence: boolean; compact: boolean; failOnDrift: boolean }) => {
    process.exitCode = analyzeCommand(opts);
  });

const rabbitmq = program.command('rabbitmq').description("RabbitMQ users and permissions of l2scope's worker and node agents (docs/rabbitmq.md)");
rabbitmq
  .command('print')
  .description(
    'print the rabbitmqctl commands: the worker user (declares and alone publishes on the command exchange), one user per node agent (its own routing keys and its own command queue)',
  )
  .option('--vhost <vhost>', 'the vhost Neutron uses', '/')
  .option('--host <name...>', "a hypervisor running a node agent (Neutron's host name; repeat or list)", [] as string[])
  .option('--worker-user <user>', "the worker's RabbitMQ user", 'l2scope')
  .action((opts: { vhost: string; host: string[]; workerUser: string }) => {
    process.exitCode = rabbitmqPrintCommand(opts);
  });
program.addCommand(userCommand());

program
  .command('toggle')
  .description(
    "switch l2_population / arp_responder on hosts through the dashboard's API: plan, show the plan, confirm, apply, follow until done (docs/toggles.md)",
  )
  .option('--host <name...>', "a host (Neutron's host name; repeat or comma-separate)")
  .option('--network <id>', 'every host of this network, as one batch (host by host, stop on the first failure)')
  .option('--l2pop <on|off>', 'l2_population')
  .option('--arp-responder <on|off>', 'arp_responder')
  .option('--in-place', 'Linux bridge: only write the ini and restart (existing vxlan devices keep their old mode)', false)
  .option('--plan', 'print the plan and stop (the jobs are cancelled)', false)
  .option('--yes', 'apply without asking', false)
  .option('--url <url>', "the dashboard's URL (default L2SCOPE_URL or http://localhost:3000)")
  .option('--token <token>', 'a token from `l2scope user token <name>` (default L2SCOPE_TOKEN)')
  .option('--timeout <seconds>', 'give up waiting after this long', '900')
  .addHelpText('after', '\nThe password (asked again when the token is older than 5 minutes) comes from L2SCOPE_PASSWORD or the terminal.')
  .action(async (opts: Parameters<typeof toggleCommand>[0]) => {
    process.exitCode = await toggleCommand(opts);
  });

await program.parseAsync();
