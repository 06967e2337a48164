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
import type { FleetMessage } from './neutron';

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
  .option('--start <time>', 'virtual time of the first message, ISO-8601 or epoch s (default: now; with --out: 2026-12-01T00:00:00Z)')
  .action(async (o: Opts) => {
    const fleet = generateFleet({ seed: o.seed, hosts: o.hosts, networks: o.networks, ports: o.ports, ovsShare: o.ovsShare });
    const startMs = o.start ? parseTimeArg(o.start) : o.out ? Date.parse('2026-12-01T00:00:00Z') : Date.now();
    const durationS = o.once ? 0 : (o.duration ?? (o.out ? 0 : Infinity));
    if (o.out && !Number.isFinite(durationS)) throw new InvalidArgumentError('--out needs a finite --duration');
    const schedule = fleetSchedule(fleet, loadTemplates(), {
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
    });
    const counts = { fanout: 0, directed: 0, report: 0, deliveries: 0 };
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
    if (o.out) {
      n = await writeCapture(counted(), o.out);
      console.log(`fleet: wrote ${n} messages to ${o.out}: ${what}`);
    } else {
      console.log(`fleet: publishing ${what} to ${o.amqp.replace(/\/\/[^@]*@/, '//***@')}${Number.isFinite(durationS) ? '' : ' (Ctrl-C stops)'}`);
      n = await publishFleet(counted(), {
        url: o.amqp,
        realTime: true,
        durableExchanges: o.durableExchanges,
        signal: ac.signal,
        onProgress: (k) => process.stderr.write(`\rfleet: ${k} published`),
      });
      console.log(`\nfleet: published ${n} messages`);
    }
    console.log(`fleet: ${counts.report} report_state, ${counts.fanout} fanout casts, ${counts.directed} host-directed casts, ${counts.deliveries} deliveries`);
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`fleet: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
