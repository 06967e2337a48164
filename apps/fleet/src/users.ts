/**
 * The fleet's node agent users: one RabbitMQ user per host, `l2scope-agent-<host>`, with the
 * permissions and topic permissions of a real node agent (domain `nodeAgentPermissions`,
 * docs/rabbitmq.md#identity), as a definitions document that `rabbitmqctl import_definitions`
 * loads in one call (`rabbitmqctl add_user` costs about a second per call: 4,000 calls for a
 * 1,000-host fleet). Deleting them is one `rabbitmqctl eval`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { nodeAgentPermissions, nodeAgentUser } from '@l2scope/domain';

/** A RabbitMQ definitions document (the parts `import_definitions` reads for users). */
export interface UserDefinitions {
  users: { name: string; password_hash: string; hashing_algorithm: string; tags: string[] }[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
  topic_permissions: { user: string; vhost: string; exchange: string; write: string; read: string }[];
}

/**
 * RabbitMQ's default password hash (`rabbit_password_hashing_sha256`): base64 of a 4-byte salt
 * followed by SHA-256(salt + UTF-8 password).
 */
export function rabbitPasswordHash(password: string, salt = randomBytes(4)): string {
  return Buffer.concat([
    salt,
    createHash('sha256')
      .update(Buffer.concat([salt, Buffer.from(password, 'utf8')]))
      .digest(),
  ]).toString('base64');
}

/**
 * The definitions of the node agent users of `hosts` on `vhost`, all with `password`.
 * @throws Error on an empty password
 */
export function nodeAgentDefinitions(hosts: readonly string[], vhost: string, password: string): UserDefinitions {
  if (!password) throw new Error('the node agent users need a password');
  const d: UserDefinitions = { users: [], permissions: [], topic_permissions: [] };
  for (const host of hosts) {
    const user = nodeAgentUser(host);
    const p = nodeAgentPermissions(host);
    d.users.push({ name: user, password_hash: rabbitPasswordHash(password), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: [] });
    d.permissions.push({ user, vhost, ...p.vhost });
    for (const t of p.topics) d.topic_permissions.push({ user, vhost, exchange: t.exchange, write: t.write, read: t.read });
  }
  return d;
}

/** The vhost of an amqp URL (`/` when it names none). */
export function vhostOf(url: string): string {
  const p = new URL(url).pathname;
  return p.length > 1 ? decodeURIComponent(p.slice(1)) : '/';
}

/** `url` with the node agent user of `host` and `password` in place of its credentials. */
export function nodeAgentUrl(url: string, host: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(nodeAgentUser(host));
  u.password = encodeURIComponent(password);
  return u.toString();
}

const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', ['-q', ...args], { timeout: 120_000 });

/**
 * Create (or update) the node agent users of `hosts` on the local broker with one
 * `rabbitmqctl import_definitions` (root, or the broker's user, on the broker's machine). The
 * file holds salted hashes, never the password; it must be readable by the `rabbitmq` user that
 * Debian's rabbitmqctl wrapper switches to, and is deleted right after the import.
 * @throws the command's error (rabbitmqctl missing, not allowed, broker down)
 */
export async function createNodeAgentUsers(hosts: readonly string[], vhost: string, password: string): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'l2scope-fleet-users-'));
  try {
    chmodSync(dir, 0o755);
    const file = path.join(dir, 'definitions.json');
    writeFileSync(file, JSON.stringify(nodeAgentDefinitions(hosts, vhost, password)), { mode: 0o644 });
    await rabbitmqctl('import_definitions', file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An Erlang binary literal of `s` (UTF-8 bytes), safe for any host name. */
const erlBinary = (s: string) => `<<${[...Buffer.from(s, 'utf8')].join(',')}>>`;

/**
 * Delete the node agent users of `hosts` from the local broker with one `rabbitmqctl eval`
 * (users that are not there are skipped: `catch`).
 * @throws the command's error
 */
export async function deleteNodeAgentUsers(hosts: readonly string[]): Promise<void> {
  if (hosts.length === 0) return;
  const users = hosts.map((h) => erlBinary(nodeAgentUser(h))).join(',');
  await rabbitmqctl('eval', `[catch rabbit_auth_backend_internal:delete_user(U, <<"l2scope-fleet">>) || U <- [${users}]], ok.`);
}
