/**
 * Host identity of node agents (docs/rabbitmq.md#identity): which host a message on `l2scope.node`
 * may speak for, and whether a snapshot is newer than the one held.
 *
 * Three names must agree before the worker takes a node message: the publishing RabbitMQ user
 * (the AMQP `user_id` property, which RabbitMQ checks equals the connection's user), the routing
 * key (`snapshot.<host>` / `bum.<host>`, which RabbitMQ's topic permission restricts per user) and
 * the `host` in the body. The user names its host by convention, `l2scope-agent-<host>`, or through
 * an explicit map (the worker's `--node-agent-user user=host`).
 *
 * Refusals are counted per {@link NodeRefusalReason}. Pure: no clock, no I/O.
 */
import type { NodeSnapshot } from './snapshot';

/** Prefix of a node agent's RabbitMQ user by convention: `l2scope-agent-<host>`. */
export const NODE_AGENT_USER_PREFIX = 'l2scope-agent-';

/** Default cap on one node message's body (bytes, checked on the raw length before parsing): 8 MiB. */
export const NODE_MESSAGE_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Why the worker refused a node message: `host_mismatch` (user, routing key and body do not name
 * the same host, or the user names none), `stale` (a snapshot not newer than the one held),
 * `oversize` (body over the byte cap, not parsed), `invalid` (not JSON, or not a valid snapshot /
 * BUM report, or an unknown routing key).
 */
export const NODE_REFUSAL_REASONS = ['host_mismatch', 'stale', 'oversize', 'invalid'] as const;
/** One of {@link NODE_REFUSAL_REASONS}. */
export type NodeRefusalReason = (typeof NODE_REFUSAL_REASONS)[number];
/** Refusals counted per reason (monotonic since the database was created). */
export type NodeRefusals = Record<NodeRefusalReason, number>;

/** Zero refusals of every reason. */
export const noRefusals = (): NodeRefusals => ({ host_mismatch: 0, stale: 0, oversize: 0, invalid: 0 });

/** The conventional RabbitMQ user of a host's node agent: `l2scope-agent-<host>`. */
export const nodeAgentUser = (host: string): string => `${NODE_AGENT_USER_PREFIX}${host}`;

/**
 * The host a RabbitMQ user may publish for: `users[user]` when the map names it, else the part
 * after `l2scope-agent-` by convention, else null (the user speaks for no host).
 * @param user the AMQP `user_id` property (undefined when the publisher set none)
 * @param users explicit map user -> host (checked first)
 */
export function hostOfNodeUser(user: string | undefined, users: Readonly<Record<string, string>> = {}): string | null {
  if (!user) return null;
  if (Object.hasOwn(users, user)) return users[user] || null;
  if (user.startsWith(NODE_AGENT_USER_PREFIX) && user.length > NODE_AGENT_USER_PREFIX.length) return user.slice(NODE_AGENT_USER_PREFIX.length);
  return null;
}

/** A node routing key split: `snapshot.<host>` or `bum.<host>` (the host may contain dots); null for any other key. */
export function parseNodeRoutingKey(routingKey: string): { kind: 'snapshot' | 'bum'; host: string } | null {
  for (const kind of ['snapshot', 'bum'] as const) {
    if (routingKey.startsWith(`${kind}.`) && routingKey.length > kind.length + 1) return { kind, host: routingKey.slice(kind.length + 1) };
  }
  return null;
}

/** What the worker knows of a node message before trusting it. */
export interface NodeIdentityClaim {
  /** AMQP `user_id` (validated by RabbitMQ against the connection's user); undefined when unset. */
  userId: string | undefined;
  /** The host named in the routing key. */
  keyHost: string;
  /** The host named in the body (`host` of the snapshot / BUM report). */
  bodyHost: string;
  /** Explicit user -> host map (the convention applies to users it does not name). */
  users?: Readonly<Record<string, string>>;
}

/**
 * Whether user, routing key and body name the same host.
 * @returns null when they agree, else the reason in words (for the log; the refusal is `host_mismatch`)
 */
export function nodeIdentityMismatch(c: NodeIdentityClaim): string | null {
  const userHost = hostOfNodeUser(c.userId, c.users);
  if (userHost === null) return c.userId ? `user ${c.userId} is no node agent's user` : 'no user_id property (the agent sets it to its RabbitMQ user)';
  if (userHost !== c.keyHost) return `user ${c.userId} (host ${userHost}) published with routing key host ${c.keyHost}`;
  if (c.bodyHost !== c.keyHost) return `body names host ${c.bodyHost}, routing key host ${c.keyHost}`;
  return null;
}

/** What ordering a snapshot carries: the agent process (`instance`), its `seq` and when it was taken. */
export type SnapshotOrder = Pick<NodeSnapshot, 'instance' | 'seq' | 'takenAt'>;

/**
 * Whether `next` is newer than the snapshot held (`held`): from the same agent process, a higher
 * `seq`; from another one (a restarted agent, whose `seq` starts again at 1), a later `takenAt`
 * (equal: not newer). Nothing held: newer.
 */
export function isNewerSnapshot(held: SnapshotOrder | undefined, next: SnapshotOrder): boolean {
  if (!held) return true;
  if (held.instance === next.instance) return next.seq > held.seq;
  return Date.parse(next.takenAt) > Date.parse(held.takenAt);
}
