#!/usr/bin/env -S npx tsx
/**
 * The fleet simulator. From the repository root:
 *   npm run fleet -- --hosts 1000 --networks 2000 --ports 100000 [--churn R] [--amqp URL] [options]
 * Publishes on RabbitMQ what neutron-server and N agents would (docs/fleet.md), or with --out
 * writes it as a capture file for `npm start -- --replay FILE`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { parseTimeArg } from '@l2scope/domain';
import { generateFleet } from './fleet';
import { deliveries, fleetSchedule } from './schedule';
import { loadTemplates } from './templates';
import { publishFleet, writeCapture } from './publish';
import { NeutronSimulation, type FleetMessage } from './neutron';
import { NodeSimulation } from './node';
import { createNodeAgentUsers, nodeAgentUrl, vhostOf } from './users';

const int = (min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`an integer >= ${min}`);
  return n;
};
const num =
  (min: number, max = Infinity) =>
  (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`a number in ${min}..${max}`);
    return n;
  };

interface Opts {
  hosts: number;
  networks: number;
  ports: number;
  seed: number;
  ovsShare: number;
  churn: number;
  reportInterval: number;
  reportJitter: number;
  duration?: number;
  once: boolean;
  storm: number;
  stormAt: number;
  dead: number;
  duplicates: boolean;
  amqp: string;
  durableExchanges: boolean;
  out?: string;
  start?: string;
  nodes: boolean;
  nodeInterval: number;
  bumInterval: number;
  drift: number;
  halfSwitched: number;
  hostPrefix: string;
  nodePassword?: string;
  createNodeUsers: boolean;
  nodeConnections: number;
  nodesOut?: string;
}

const program = new Command('fleet')
  .description("publish what neutron-server's l2pop driver and a fleet of L2 agents put on RabbitMQ (seeded), or write it as a capture")
  .showHelpAfterError()
  .option('--hosts <n>', 'hypervisors (1..65535)', int(1), 20)
  .option('--networks <n>', 'VXLAN networks', int(1), 10)
  .option('--ports <n>', 'VM ports bound at the start', int(0), 100)
  .option('--seed <n>', 'seed: the same seed (and --start) gives the same bytes', int(0), 1)
  .option('--ovs-share <f>', 'share of hosts running the OVS agent (the rest Linux bridge)', num(0, 1), 0.5)
  .option('--churn <r>', 'port events per second (new port, deleted port, fixed-IP change)', num(0), 0)
  .option('--report-interval <s>', "seconds between an agent's report_state ([agent] report_interval)", num(0.001), 30)
  .option('--report-jitter <s>', 'each report interval is drawn in interval ± jitter', num(0), 1)
  .option('--duration <s>', 'seconds of timeline after the initial state (default: endless; with --out: 0)', num(0))
  .option('--once', 'publish the initial state (and the storm, if any), then exit', false)
  .option('--storm <n>', 'an OVS agent restart storm: the first n OVS agents restart', int(0), 0)
  .option('--storm-at <s>', 'seconds after the initial state when the storm happens', num(0), 0)
  .option('--dead <n>', 'agents that stop reporting after their first report_state', int(0), 0)
  .option('--no-duplicates', 'send each port-up cast once (ML2 sends it twice)')
  .option('--amqp <url>', 'broker to publish to', process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672')
  .option('--durable-exchanges', 'the cloud runs amqp_durable_queues=True (durable neutron exchange)', false)
  .option('--out <file>', 'write a capture file (.jsonl) instead of publishing')
  .option('--host-prefix <p>', 'host names are <prefix><index>', 'compute-')
  .option('--nodes', "also send every host's node agent snapshots and BUM reports (l2scope.node), each over the host's own RabbitMQ user", false)
  .option('--node-interval <s>', "seconds between a node agent's full snapshots (the agent's --interval)", num(1), 30)
  .option('--bum-interval <s>', "seconds per BUM report (the agent's --bum-interval; 0: no BUM reports)", num(0), 5)
  .option('--drift <n>', 'hosts whose snapshots drift from what they were told (a missing flood entry, a stale MAC; alternately)', int(0), 0)
  .option('--half-switched <n>', 'Linux bridge hosts whose VXLAN devices keep their multicast group beside the l2pop entries', int(0), 0)
  .option('--node-password <pw>', 'password of every l2scope-agent-<host> user (default: $L2SCOPE_FLEET_NODE_PASSWORD)')
  .option('--create-node-users', 'create the l2scope-agent-<host> users first (rabbitmqctl import_definitions, on the broker machine)', false)
  .option('--node-connections <n>', 'node agent connections open at a time (least recently used closed past it)', int(1), 1000)
  .option('--nodes-out <file>', 'with --out: the node messages capture (default: <out>.nodes.jsonl)')
  .option('--start <time>', 'virtual time of the first message, ISO-8601 or epoch s (default: now; with --out: 2026-12-01T00:00:00Z)')
  .action(async (o: Opts) => {
    const fleet = generateFleet({ seed: o.seed, hosts: o.hosts, networks: o.networks, ports: o.ports, ovsShare: o.ovsShare, hostPrefix: o.hostPrefix });
    const startMs = o.start ? parseTimeArg(o.start) : o.out ? Date.parse('2026-12-01T00:00:00Z') : Date.now();
    const durationS = o.once ? 0 : (o.duration ?? (o.out ? 0 : Infinity));
    if (o.out && !Number.isFinite(durationS)) throw new InvalidArgumentError('--out needs a finite --duration');
    if (!o.nodes && (o.drift || o.halfSwitched)) throw new InvalidArgumentError('--drift and --half-switched need --nodes');
    const templates = loadTemplates();
    const sim = new NeutronSimulation(fleet, templates, o.seed, startMs, { duplicates: o.duplicates });
    const node = new NodeSimulation(sim, o.seed);
    const schedule = fleetSchedule(
      fleet,
      templates,
      {
        seed: o.seed,
        startMs,
        reportIntervalS: o.reportInterval,
        reportJitterS: o.reportJitter,
        churnPerS: o.churn,
        durationS,
        storm: o.storm,
        stormAtS: o.stormAt,
        dead: o.dead,
        duplicates: o.duplicates,
        ...(o.nodes ? { nodes: { intervalS: o.nodeInterval, bumIntervalS: o.bumInterval, drift: o.drift, halfSwitched: o.halfSwitched } } : {}),
      },
      sim,
      node,
    );
    const counts = { fanout: 0, directed: 0, report: 0, snapshot: 0, bum: 0, deliveries: 0 };
    function* counted(): Generator<FleetMessage> {
      for (const m of schedule) {
        counts[m.kind]++;
        counts.deliveries += deliveries(fleet, m);
        yield m;
      }
    }
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    process.once('SIGTERM', () => ac.abort());
    const what = `${fleet.hosts.length} hosts, ${fleet.networks.length} networks, ${fleet.ports.length} ports (seed ${o.seed})`;
    let n: number;
    const password = o.nodePassword ?? process.env.L2SCOPE_FLEET_NODE_PASSWORD;
    if (o.out) {
      const nodesOut = o.nodes ? (o.nodesOut ?? o.out.replace(/(\.jsonl)?$/, '.nodes.jsonl')) : undefined;
      n = await writeCapture(counted(), o.out, nodesOut);
      const node = counts.snapshot + counts.bum;
      console.log(`fleet: wrote ${n - node} messages to ${o.out}${nodesOut ? ` and ${node} node messages to ${nodesOut}` : ''}: ${what}`);
    } else {
      if (o.nodes && !password)
        throw new InvalidArgumentError('--nodes needs --node-password or $L2SCOPE_FLEET_NODE_PASSWORD (the l2scope-agent-<host> users)');
      if (o.nodes && o.createNodeUsers) {
        await createNodeAgentUsers(
          fleet.hosts.map((h) => h.name),
          vhostOf(o.amqp),
          password!,
        );
        console.log(`fleet: created ${fleet.hosts.length} node agent users l2scope-agent-<host> on vhost ${vhostOf(o.amqp)}`);
      }
      console.log(`fleet: publishing ${what} to ${o.amqp.replace(/\/\/[^@]*@/, '//***@')}${Number.isFinite(durationS) ? '' : ' (Ctrl-C stops)'}`);
      n = await publishFleet(counted(), {
        url: o.amqp,
        realTime: true,
        durableExchanges: o.durableExchanges,
        signal: ac.signal,
        ...(o.nodes ? { nodeUrl: (host: string) => nodeAgentUrl(o.amqp, host, password!), nodeConnections: o.nodeConnections } : {}),
        onProgress: (k) => process.stderr.write(`\rfleet: ${k} published`),
      });
      console.log(`\nfleet: published ${n} messages`);
    }
    console.log(`fleet: ${counts.report} report_state, ${counts.fanout} fanout casts, ${counts.directed} host-directed casts, ${counts.deliveries} deliveries`);
    if (o.nodes) {
      const f = node.faults;
      const names = (hs: Iterable<number>) => [...hs].map((h) => fleet.hosts[h]!.name).join(', ') || 'none';
      console.log(`fleet: ${counts.snapshot} node snapshots, ${counts.bum} BUM reports`);
      console.log(
        `fleet: faults: drift ${f.drift.map((d) => `${fleet.hosts[d.host]!.name} (${d.kind})`).join(', ') || 'none'}; half-switched ${names(f.halfSwitched)}; dead ${names(f.dead)}`,
      );
    }
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`fleet: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
