/**
 * An isolated corner of the real local RabbitMQ for one test suite: its own vhost and user,
 * created and deleted with `rabbitmqctl` (root, as in CI), so tests never see each other's
 * traffic nor a running lab's, and can close their own connections without touching others.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The broker the tests use (host:port); override with L2SCOPE_TEST_AMQP_HOST. */
export const AMQP_HOST = process.env.L2SCOPE_TEST_AMQP_HOST ?? '127.0.0.1:5672';

async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });
  return stdout;
}

/** Permissions as rabbitmqctl set_permissions takes them (regexes). */
export interface Permissions {
  configure: string;
  write: string;
  read: string;
}

/** Full permissions (what neutron-server's user has in a lab). */
export const ALL: Permissions = { configure: '.*', write: '.*', read: '.*' };

/**
 * What l2scope's worker needs (docs/rabbitmq.md; the domain's `WORKER_PERMISSIONS`, kept equal by
 * a test): its own queues, `l2scope.node`, the command exchange it alone publishes on, read on
 * Neutron's exchanges.
 */
export const TAP_LEAST_PRIVILEGE: Permissions = {
  configure: '^(l2scope\\.tap\\..*|l2scope\\.node|l2scope\\.command)$',
  write: '^(l2scope\\.tap\\..*|l2scope\\.command)$',
  read: '^(l2scope\\.tap\\..*|l2scope\\.node|neutron|q-agent-notifier-.*_fanout|q-server-resource-versions_fanout|l3_agent_fanout)$',
};

/** What a node agent's user needs (docs/rabbitmq.md): publish on `l2scope.node` only, no configure, no read. */
export const NODE_AGENT_PRIVILEGE: Permissions = { configure: '^$', write: '^l2scope\\.node$', read: '^$' };

/** A topic permission (`rabbitmqctl set_topic_permissions`): regexes on routing keys of one topic exchange. */
export interface TopicPermission {
  exchange: string;
  write: string;
  read: string;
}

/** Options of {@link TestVhost.addUser}. */
export interface AddUserOptions {
  /** The user's name (default: a generated one, unique to the suite). Users are broker-wide: keep names unique. */
  name?: string;
  /** Topic permissions to set on the vhost. */
  topics?: TopicPermission[];
}

export interface TestVhost {
  vhost: string;
  /** amqp URL of an admin-like user with full permissions on the vhost (plays neutron-server). */
  adminUrl: string;
  /** Add a user with the given permissions (and topic permissions); returns its amqp URL. Deleted by `cleanup`. */
  addUser(perms: Permissions, opts?: AddUserOptions): Promise<{ user: string; url: string }>;
  /** Close every connection of a user (simulates a broker-side disconnect). */
  closeConnections(user: string): Promise<void>;
  /** Delete the vhost and users. */
  cleanup(): Promise<void>;
}

/** Create a fresh vhost with an admin user. Requires root and rabbitmqctl. */
export async function createTestVhost(prefix = 'l2scope-test'): Promise<TestVhost> {
  const id = randomBytes(4).toString('hex');
  const vhost = `${prefix}-${id}`;
  const users: string[] = [];
  await rabbitmqctl('add_vhost', vhost);
  const addUser = async (perms: Permissions, opts: AddUserOptions = {}) => {
    const user = opts.name ?? `${prefix}-${id}-u${users.length}`;
    const password = randomBytes(8).toString('hex');
    // a named user left over by a crashed run would make add_user fail
    if (opts.name) await rabbitmqctl('delete_user', user).catch(() => '');
    await rabbitmqctl('add_user', user, password);
    users.push(user);
    await rabbitmqctl('set_permissions', '-p', vhost, user, perms.configure, perms.write, perms.read);
    for (const t of opts.topics ?? []) await rabbitmqctl('set_topic_permissions', '-p', vhost, user, t.exchange, t.write, t.read);
    return { user, url: `amqp://${encodeURIComponent(user)}:${password}@${AMQP_HOST}/${encodeURIComponent(vhost)}` };
  };
  const admin = await addUser(ALL);
  return {
    vhost,
    adminUrl: admin.url,
    addUser,
    async closeConnections(user: string) {
      await rabbitmqctl('close_all_user_connections', user, 'l2scope test: simulated broker disconnect');
    },
    async cleanup() {
      await rabbitmqctl('delete_vhost', vhost).catch(() => '');
      for (const u of users) await rabbitmqctl('delete_user', u).catch(() => '');
    },
  };
}

/**
 * The broker-side ids (`pid`) of the open AMQP connections of `user`, as `rabbitmqctl
 * close_connection` takes them.
 */
export async function connectionsOf(user: string): Promise<string[]> {
  const out = await rabbitmqctl('list_connections', 'pid', 'user');
  return out
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((cols) => cols[1]?.trim() === user)
    .map((cols) => cols[0]!.trim());
}

/** `rabbitmqctl close_connection <pid> <reason>`: the broker closes that connection. */
export async function closeConnection(pid: string, reason: string): Promise<void> {
  await rabbitmqctl('close_connection', pid, reason);
}
