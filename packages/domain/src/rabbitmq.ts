/**
 * RabbitMQ users and permissions of an l2scope deployment (docs/rabbitmq.md), as the exact
 * `rabbitmqctl` commands an operator runs (`l2scope rabbitmq print`): the worker's user (its tap
 * queues, read on Neutron's exchanges, declares `l2scope.node`), one publish-only user per
 * hypervisor's node agent (topic permission: only routing keys of its own host), and, reserved for
 * the next issue, the command exchange `l2scope.command`. Pure string building.
 */
import { nodeAgentUser } from './node/identity';
import { NODE_EXCHANGE } from './topics';

/** Permissions as `rabbitmqctl set_permissions` takes them (regexes on resource names). */
export interface VhostPermissions {
  configure: string;
  write: string;
  read: string;
}

/** The worker's user: its own `l2scope.tap.*` queues, dead-letter exchanges and `l2scope.node`; read on Neutron's exchanges. */
export const WORKER_PERMISSIONS: VhostPermissions = {
  configure: '^(l2scope\\.tap\\..*|l2scope\\.node)$',
  write: '^l2scope\\.tap\\..*',
  read: '^(l2scope\\.tap\\..*|l2scope\\.node|neutron|q-agent-notifier-.*_fanout|q-server-resource-versions_fanout)$',
};

/** A node agent's user: publish on `l2scope.node` only (no configure: it passive-checks the exchange; no read). */
export const NODE_AGENT_PERMISSIONS: VhostPermissions = { configure: '^$', write: '^l2scope\\.node$', read: '^$' };

/** The command exchange of the next issue (worker -> agents), reserved. */
export const COMMAND_EXCHANGE = 'l2scope.command';

/** `s` with every regex metacharacter escaped (host names carry dots). */
export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The topic permission (write) of a host's agent on `l2scope.node`: `^(snapshot|bum)\.<host>$`. */
export const nodeAgentTopicPattern = (host: string): string => `^(snapshot|bum)\\.${escapeRegex(host)}$`;

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
    `# the worker: tap queues l2scope.tap.*, read on Neutron's exchanges; declares ${NODE_EXCHANGE.name} and binds its node queue to it`,
    `rabbitmqctl add_user ${shellQuote(worker)} "$L2SCOPE_WORKER_PASSWORD"`,
    `rabbitmqctl set_user_tags ${shellQuote(worker)}`,
    perms(worker, WORKER_PERMISSIONS),
  );
  for (const host of o.hosts ?? []) {
    if (!host || /\s/.test(host)) throw new Error(`not a host name: ${JSON.stringify(host)}`);
    const user = nodeAgentUser(host);
    const pw = `L2SCOPE_AGENT_PASSWORD_${host.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`;
    out.push(
      '',
      `# node agent of ${host}: publish-only on ${NODE_EXCHANGE.name}, routing keys snapshot.${host} and bum.${host} only; user_id = ${user}`,
      `rabbitmqctl add_user ${shellQuote(user)} "$${pw}"`,
      `rabbitmqctl set_user_tags ${shellQuote(user)}`,
      perms(user, NODE_AGENT_PERMISSIONS),
      `rabbitmqctl set_topic_permissions -p ${v} ${shellQuote(user)} ${shellQuote(NODE_EXCHANGE.name)} ${shellQuote(nodeAgentTopicPattern(host))} '^$'`,
    );
  }
  if (!o.hosts?.length) out.push('', '# node agents: add --host <name> per hypervisor for its user and topic permission');
  // reserved (next issue): the worker declares l2scope.command and alone publishes on it; each agent
  // declares and binds its own queue l2scope.command.<host>, its topic read permission limiting the
  // binding key to its own host, so it receives only commands for itself
  const cmd = escapeRegex(COMMAND_EXCHANGE);
  out.push(
    '',
    `# reserved for the command exchange ${COMMAND_EXCHANGE} (next issue, not in use yet): only the worker publishes on it;`,
    '# each agent binds its own queue l2scope.command.<host> with its own host as the only key it may bind',
    `# rabbitmqctl set_permissions -p ${v} ${shellQuote(worker)} ${shellQuote(`^(l2scope\\.tap\\..*|l2scope\\.node|${cmd})$`)} ${shellQuote(`^(l2scope\\.tap\\..*|${cmd})$`)} ${shellQuote(WORKER_PERMISSIONS.read)}`,
  );
  for (const host of o.hosts ?? []) {
    const user = nodeAgentUser(host);
    const q = `${cmd}\\.${escapeRegex(host)}`;
    out.push(
      `# rabbitmqctl set_permissions -p ${v} ${shellQuote(user)} ${shellQuote(`^${q}$`)} ${shellQuote(`^(l2scope\\.node|${q})$`)} ${shellQuote(`^(${cmd}|${q})$`)}`,
      `# rabbitmqctl set_topic_permissions -p ${v} ${shellQuote(user)} ${shellQuote(COMMAND_EXCHANGE)} '^$' ${shellQuote(`^${escapeRegex(host)}$`)}`,
    );
  }
  return out;
}
