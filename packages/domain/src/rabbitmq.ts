/**
 * RabbitMQ users and permissions of an l2scope deployment (docs/rabbitmq.md), as the exact
 * `rabbitmqctl` commands an operator runs (`l2scope rabbitmq print`): the worker's user (its tap
 * queues, read on Neutron's exchanges, declares `l2scope.node` and `l2scope.command`, alone publishes
 * signed agent commands), and one user per hypervisor's node agent (publishes on `l2scope.node` with
 * its own host's routing keys only; declares and consumes its own command queue
 * `l2scope.command.<host>`, bound with its own host name only). Pure string building.
 */
import { nodeAgentUser } from './node/identity';
import { NODE_EXCHANGE } from './topics';
import { COMMAND_EXCHANGE_NAME, COMMAND_WIRE } from './toggle/command';

/** Permissions as `rabbitmqctl set_permissions` takes them (regexes on resource names). */
export interface VhostPermissions {
  configure: string;
  write: string;
  read: string;
}

/**
 * The worker's user: its own `l2scope.tap.*` queues, dead-letter exchanges, `l2scope.node`; declares
 * and alone publishes on the command exchange `l2scope.command`; read on Neutron's exchanges.
 */
export const WORKER_PERMISSIONS: VhostPermissions = {
  configure: '^(l2scope\\.tap\\..*|l2scope\\.node|l2scope\\.command)$',
  write: '^(l2scope\\.tap\\..*|l2scope\\.command)$',
  read: '^(l2scope\\.tap\\..*|l2scope\\.node|neutron|q-agent-notifier-.*_fanout|q-server-resource-versions_fanout|l3_agent_fanout)$',
};

/**
 * A node agent's user without the command channel: publish on `l2scope.node` only (no configure:
 * it passive-checks the exchange; no read). An agent that takes commands needs
 * {@link nodeAgentPermissions} instead.
 */
export const NODE_AGENT_PERMISSIONS: VhostPermissions = { configure: '^$', write: '^l2scope\\.node$', read: '^$' };

/** The command exchange (worker -> agents): `COMMAND_WIRE.exchange` of toggle/command.ts. */
export const COMMAND_EXCHANGE = COMMAND_EXCHANGE_NAME;

/** `s` with every regex metacharacter escaped (host names carry dots). */
export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The topic permission (write) of a host's agent on `l2scope.node`: `^(snapshot|bum|reply)\.<host>$`. */
export const nodeAgentTopicPattern = (host: string): string => `^(snapshot|bum|reply)\\.${escapeRegex(host)}$`;

/** The topic permission (read = binding keys) of a host's agent on `l2scope.command`: `^<host>$`. */
export const nodeAgentCommandTopicPattern = (host: string): string => `^${escapeRegex(COMMAND_WIRE.routingKey(host))}$`;

/** A topic permission as `rabbitmqctl set_topic_permissions` takes it (regexes on routing keys). */
export interface TopicPermissions {
  exchange: string;
  write: string;
  read: string;
}

/**
 * Everything a host's node agent may do on the vhost (docs/rabbitmq.md), for `rabbitmqctl`:
 * - `vhost`: configure its own queue `l2scope.command.<host>` (declare; no exchange: it only
 *   passive-checks `l2scope.node` and `l2scope.command`); write on `l2scope.node` (snapshots, BUM
 *   reports, command replies) and on its own queue (RabbitMQ checks write on the queue of a
 *   `queue.bind`); read on its own queue (consume) and on `l2scope.command` (the exchange side of
 *   the bind).
 * - `topics`: on `l2scope.node` write only `snapshot|bum|reply.<host>`; on `l2scope.command` read
 *   (binding keys) only `<host>`, so its queue can receive no other host's commands.
 */
export function nodeAgentPermissions(host: string): { vhost: VhostPermissions; topics: TopicPermissions[] } {
  const cmd = escapeRegex(COMMAND_EXCHANGE);
  const q = escapeRegex(COMMAND_WIRE.queue(host));
  return {
    vhost: { configure: `^${q}$`, write: `^(l2scope\\.node|${q})$`, read: `^(${cmd}|${q})$` },
    topics: [
      { exchange: NODE_EXCHANGE.name, write: nodeAgentTopicPattern(host), read: '^$' },
      { exchange: COMMAND_EXCHANGE, write: '^$', read: nodeAgentCommandTopicPattern(host) },
    ],
  };
}

/** A value quoted for a POSIX shell (single quotes). */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Options of {@link rabbitmqCommands}. */
export interface RabbitmqCommandOptions {
  /** The vhost Neutron uses (default `/`). */
  vhost?: string;
  /** Hypervisors (Neutron host names) that run a node agent. */
  hosts?: readonly string[];
  /** The worker's user (default `l2scope`). */
  workerUser?: string;
}

/**
 * The `rabbitmqctl` commands for the worker and each node agent, as printable lines (comments
 * start with `#`; passwords are shell variables to set first).
 * @throws Error when a host name is empty or holds whitespace (not a Neutron host name)
 */
export function rabbitmqCommands(o: RabbitmqCommandOptions = {}): string[] {
  const vhost = o.vhost ?? '/';
  const worker = o.workerUser ?? 'l2scope';
  const v = shellQuote(vhost);
  const perms = (user: string, p: VhostPermissions) =>
    `rabbitmqctl set_permissions -p ${v} ${shellQuote(user)} ${shellQuote(p.configure)} ${shellQuote(p.write)} ${shellQuote(p.read)}`;
  const out: string[] = [`# l2scope on vhost ${vhost} (docs/rabbitmq.md)`];
  if (vhost !== '/') out.push(`rabbitmqctl add_vhost ${v}`);
  out.push(
    '',
    `# the worker: tap queues l2scope.tap.*, read on Neutron's exchanges; declares ${NODE_EXCHANGE.name} (binds its node queue to it) and ${COMMAND_EXCHANGE}, on which it alone publishes`,
    `rabbitmqctl add_user ${shellQuote(worker)} "$L2SCOPE_WORKER_PASSWORD"`,
    `rabbitmqctl set_user_tags ${shellQuote(worker)}`,
    perms(worker, WORKER_PERMISSIONS),
  );
  for (const host of o.hosts ?? []) {
    if (!host || /\s/.test(host)) throw new Error(`not a host name: ${JSON.stringify(host)}`);
    const user = nodeAgentUser(host);
    const pw = `L2SCOPE_AGENT_PASSWORD_${host.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;
    const p = nodeAgentPermissions(host);
    out.push(
      '',
      `# node agent of ${host}: publishes on ${NODE_EXCHANGE.name} with routing keys snapshot|bum|reply.${host} only (user_id = ${user});`,
      `# declares and consumes its own queue ${COMMAND_WIRE.queue(host)}, bound to ${COMMAND_EXCHANGE} with the key ${COMMAND_WIRE.routingKey(host)} only`,
      `rabbitmqctl add_user ${shellQuote(user)} "$${pw}"`,
      `rabbitmqctl set_user_tags ${shellQuote(user)}`,
      perms(user, p.vhost),
      ...p.topics.map(
        (t) => `rabbitmqctl set_topic_permissions -p ${v} ${shellQuote(user)} ${shellQuote(t.exchange)} ${shellQuote(t.write)} ${shellQuote(t.read)}`,
      ),
    );
  }
  if (!o.hosts?.length) out.push('', '# node agents: add --host <name> per hypervisor for its user, its command queue and its topic permissions');
  return out;
}
