/**
 * l2scope NODE agents in the lab (`npm run lab -- agents start|stop|status`, `up --l2scope-agents`,
 * `demo`): one `apps/agent` per lab host, run inside the host's namespace exactly as on a hypervisor
 * (`ip netns exec l2lab-<host> node --import tsx apps/agent/src/main.ts --host <host> ...`, which is
 * what `npx tsx` runs, minus npm's wrapper process), reading the host's agent ini, reaching the lab's
 * broker through the host's socat relay (127.0.0.1:5672 in the namespace), BUM meter on `ul0`.
 * The OVS host gets its private ovsdb / rundir. Tracked by PID in the lab state under
 * `l2scope:agent:<host>` (so `lab down` stops them first), logs in `<logs>/l2scope-agent-<host>.log`.
 *
 * Agent commands (docs/lab.md#toggle-hooks): each agent gets `--stop-command`, `--start-command`,
 * `--restart-command` = the lab's `neutron-agent stop|start|restart --host <host>` run without npm
 * (neutron-agent.ts), `--state-dir <lab root>/l2scope-agent-<host>`, and `--command-public-key`
 * when the lab is given one (else the agents are read-only).
 *
 * Identity (docs/rabbitmq.md): each agent connects as its own RabbitMQ user `l2scope-agent-<host>`
 * with the domain's `nodeAgentPermissions(host)` (publish on `l2scope.node` under its own routing keys,
 * consume its own command queue), created with the machine's rabbitmqctl (a fresh password per
 * start). The lab declares `l2scope.node` and `l2scope.command` with its own (admin) credentials,
 * as the worker would: the agents may only check them. `agents stop` deletes the users (`lab down` leaves them; the next start resets them).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import { COMMAND_WIRE, NODE_EXCHANGE, nodeAgentPermissions, nodeAgentUser } from '@l2scope/domain';
import { agentIniPath } from './agents';
import { amqpEndpoint } from './broker';
import { hostExecArgv, isDvrHost } from './dvr';
import { run } from './exec';
import { REPO_ROOT } from './l2scope';
import { commandLine, neutronAgentArgv } from './neutron-agent';
import { ovsDirs } from './ovs';
import { paths } from './paths';
import { isRunning, startDaemon, stopDaemon } from './procs';
import type { HostState, LabState } from './state';

/** The node agent's entry point. */
export const NODE_AGENT_MAIN = path.join(REPO_ROOT, 'apps/agent/src/main.ts');

/** Key of a host's l2scope node agent in `LabState.procs`. */
export const nodeAgentKey = (host: string) => `l2scope:agent:${host}`;

/** Options passed through to every node agent. */
export interface NodeAgentOptions {
  /** Seconds between full snapshots (agent `--interval`). */
  intervalS?: number;
  /** Seconds per BUM report (agent `--bum-interval`). */
  bumIntervalS?: number;
  /** Run the BUM meter (default true). */
  bum?: boolean;
  /**
   * The worker's Ed25519 public key file for signed commands (agent `--command-public-key`,
   * absolute). Without it the node agents are read-only: they refuse every command.
   */
  commandPublicKey?: string;
}

/** Env variable naming the command public key file when `--command-public-key` is not given. */
export const COMMAND_PUBLIC_KEY_ENV = 'L2SCOPE_COMMAND_PUBLIC_KEY';

/**
 * The command public key file to give the node agents: `option`, else `$L2SCOPE_COMMAND_PUBLIC_KEY`,
 * as an absolute path (the agents run with another working directory); undefined when neither is set.
 */
export function commandPublicKeyFile(option: string | undefined, env: Record<string, string | undefined> = process.env): string | undefined {
  const f = option ?? (env[COMMAND_PUBLIC_KEY_ENV] || undefined);
  return f === undefined ? undefined : path.resolve(f);
}

/** A node agent's state directory (agent `--state-dir`: replay cache, ini backups index): `<lab root>/l2scope-agent-<host>`. */
export const nodeAgentStateDir = (host: string) => path.join(paths.root, `l2scope-agent-${host}`);

/**
 * The broker URL inside a host namespace: the lab's credentials and vhost, via the namespace's relay
 * on 127.0.0.1:5672.
 */
export function nodeAgentAmqpUrl(labAmqpUrl: string, cred?: { user: string; password: string }): string {
  const u = new URL(labAmqpUrl);
  u.hostname = '127.0.0.1';
  u.port = '5672';
  if (cred) {
    u.username = cred.user;
    u.password = cred.password;
  }
  return u.toString();
}

const RABBITMQCTL = '/usr/sbin/rabbitmqctl';

/** The vhost of an AMQP URL (`/` when the path is empty). */
const vhostOf = (amqpUrl: string) => decodeURIComponent(new URL(amqpUrl).pathname.slice(1)) || '/';

/** Whether the lab can manage users on the broker: the machine's own RabbitMQ and its rabbitmqctl (docs/lab.md gotcha 9). */
function canManageUsers(amqpUrl: string): boolean {
  const { host } = amqpEndpoint(amqpUrl);
  return ['127.0.0.1', 'localhost'].includes(host) && existsSync(RABBITMQCTL);
}

/**
 * Create (or reset) the RabbitMQ user of `host`'s node agent on the lab's vhost with
 * the domain's `nodeAgentPermissions(host)` (docs/rabbitmq.md).
 * @returns its credentials, or null when the broker is not the machine's own (the agent then uses the lab's, and the worker refuses its snapshots as host_mismatch)
 * @throws Error when a rabbitmqctl command fails
 */
export async function ensureNodeAgentUser(amqpUrl: string, host: string): Promise<{ user: string; password: string } | null> {
  if (!canManageUsers(amqpUrl)) return null;
  const user = nodeAgentUser(host);
  const password = randomBytes(12).toString('hex');
  const vhost = vhostOf(amqpUrl);
  const p = nodeAgentPermissions(host);
  await run(RABBITMQCTL, ['-q', 'delete_user', user], { allowFail: true, timeout: 60_000 });
  await run(RABBITMQCTL, ['-q', 'add_user', user, password], { timeout: 60_000 });
  await run(RABBITMQCTL, ['-q', 'set_permissions', '-p', vhost, user, p.vhost.configure, p.vhost.write, p.vhost.read], { timeout: 60_000 });
  for (const t of p.topics) await run(RABBITMQCTL, ['-q', 'set_topic_permissions', '-p', vhost, user, t.exchange, t.write, t.read], { timeout: 60_000 });
  return { user, password };
}

/** Delete a host's node agent user (ignored when absent or not manageable). */
async function deleteNodeAgentUser(amqpUrl: string, host: string): Promise<void> {
  if (!canManageUsers(amqpUrl)) return;
  await run(RABBITMQCTL, ['-q', 'delete_user', nodeAgentUser(host)], { allowFail: true, timeout: 60_000 });
}

/** Declare `l2scope.node` and `l2scope.command` with the lab's credentials (what the worker does; idempotent). */
async function declareLabExchanges(amqpUrl: string): Promise<void> {
  const conn = await amqp.connect(amqpUrl);
  try {
    const ch = await conn.createChannel();
    await ch.assertExchange(NODE_EXCHANGE.name, NODE_EXCHANGE.type, { durable: NODE_EXCHANGE.durable, autoDelete: NODE_EXCHANGE.autoDelete });
    await ch.assertExchange(COMMAND_WIRE.exchange, COMMAND_WIRE.exchangeType, { ...COMMAND_WIRE.exchangeOptions });
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** The argv of a host's node agent (pure). */
export function nodeAgentArgv(
  s: Pick<LabState, 'amqpUrl' | 'dvr'>,
  h: HostState,
  o: NodeAgentOptions = {},
  node = process.execPath,
  cred?: { user: string; password: string },
): string[] {
  // a DVR host's node agent runs in the host's own mount namespace, to read its own qrouter-* (docs/lab.md#dvr)
  const argv = hostExecArgv(
    h,
    isDvrHost(s, h),
    [node, '--import', 'tsx', NODE_AGENT_MAIN, '--host', h.name, '--amqp', nodeAgentAmqpUrl(s.amqpUrl, cred), '--ini', agentIniPath(h)],
    REPO_ROOT,
  );
  argv.push('--type', h.kind === 'ovs' ? 'openvswitch' : 'linuxbridge');
  if (h.kind === 'ovs') {
    // the VTEP sits on br-phy (userspace datapath): VXLAN leaves through ul0, its uplink
    const d = ovsDirs(h.name);
    argv.push('--ovs-db', `unix:${d.sock}`, '--ovs-rundir', d.run, '--bum-iface', 'ul0');
  }
  if (o.intervalS !== undefined) argv.push('--interval', String(o.intervalS));
  if (o.bumIntervalS !== undefined) argv.push('--bum-interval', String(o.bumIntervalS));
  if (o.bum === false) argv.push('--no-bum');
  // the Neutron agent as a service: the lab's own neutron-agent verbs, run without npm (neutron-agent.ts)
  argv.push('--stop-command', commandLine(neutronAgentArgv(h.name, 'stop', { node })));
  argv.push('--start-command', commandLine(neutronAgentArgv(h.name, 'start', { node })));
  argv.push('--restart-command', commandLine(neutronAgentArgv(h.name, 'restart', { node })));
  argv.push('--state-dir', nodeAgentStateDir(h.name));
  if (o.commandPublicKey !== undefined) argv.push('--command-public-key', o.commandPublicKey);
  return argv;
}

/**
 * Start the node agent of every host that has none running (idempotent).
 * @returns the hosts whose agent was started now
 */
export async function startNodeAgents(s: LabState, log: (s: string) => void, o: NodeAgentOptions = {}): Promise<string[]> {
  if (!existsSync(NODE_AGENT_MAIN)) throw new Error(`the l2scope node agent is not in this checkout (${NODE_AGENT_MAIN})`);
  if (o.commandPublicKey !== undefined && !existsSync(o.commandPublicKey)) throw new Error(`no command public key at ${o.commandPublicKey}`);
  const started: string[] = [];
  await declareLabExchanges(s.amqpUrl);
  for (const h of Object.values(s.hosts)) {
    const key = nodeAgentKey(h.name);
    if (isRunning(s.procs[key])) continue;
    const cred = await ensureNodeAgentUser(s.amqpUrl, h.name);
    mkdirSync(nodeAgentStateDir(h.name), { recursive: true, mode: 0o700 });
    if (!cred)
      log(
        `l2scope node agent on ${h.name}: cannot create its RabbitMQ user (broker not local): using the lab's credentials; the worker will refuse its snapshots (docs/rabbitmq.md)`,
      );
    s.procs[key] = await startDaemon(nodeAgentArgv(s, h, o, process.execPath, cred ?? undefined), paths.log(`l2scope-agent-${h.name}`), {
      cwd: REPO_ROOT,
      settleMs: 500,
    });
    log(`l2scope node agent on ${h.name}: pid ${s.procs[key]!.pid}, log ${s.procs[key]!.log}`);
    started.push(h.name);
  }
  return started;
}

/** Stop every node agent (by PID, SIGTERM first: the agent stops its tcpdump and monitors). */
export async function stopNodeAgents(s: LabState, log: (s: string) => void): Promise<number> {
  let n = 0;
  await Promise.all(
    Object.keys(s.procs)
      .filter((k) => k.startsWith('l2scope:agent:'))
      .map(async (k) => {
        if (await stopDaemon(s.procs[k])) {
          log(`stopped ${k} (pid ${s.procs[k]!.pid})`);
          n++;
        }
        delete s.procs[k];
        await deleteNodeAgentUser(s.amqpUrl, k.slice('l2scope:agent:'.length));
      }),
  );
  return n;
}

/** `agents status` lines: per host, running or not, PID, log. */
export function nodeAgentStatus(s: LabState): string[] {
  return Object.values(s.hosts).map((h) => {
    const rec = s.procs[nodeAgentKey(h.name)];
    return `  ${h.name.padEnd(10)} ${rec ? `${isRunning(rec) ? 'running' : 'STOPPED'} pid ${rec.pid}  log ${rec.log}` : 'not started'}`;
  });
}
