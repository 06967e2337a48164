#!/usr/bin/env node
// @ts-check
/**
 * Creates (or updates) l2scope's least-privilege tap user on a RabbitMQ through the management
 * HTTP API: the compose stack's one-shot `rabbitmq-init` service, also usable against a real
 * cloud's broker. Idempotent: re-running it resets the password and the permissions.
 *
 * Permissions come from tap-permissions.json beside this file (= TAP_LEAST_PRIVILEGE of the
 * test kit): configure/write only on the tap's own `l2scope.tap.*` queues and exchanges, read on
 * those and on Neutron's exchanges. The user gets no tags (no management UI access).
 *
 * Environment
 *   RABBITMQ_API_URL         management API base URL (default http://rabbitmq:15672)
 *   RABBITMQ_ADMIN_USER      an administrator (default admin)
 *   RABBITMQ_ADMIN_PASSWORD  its password (required)
 *   L2SCOPE_TAP_USER         the tap user to create (default l2scope)
 *   L2SCOPE_TAP_PASSWORD     its password (required)
 *   L2SCOPE_AMQP_VHOST       the vhost Neutron uses (default /); created when missing
 *   RABBITMQ_WAIT_SECONDS    how long to wait for the API to answer (default 120)
 *
 *   node docker/rabbitmq/provision.mjs                   # provision
 *   node docker/rabbitmq/provision.mjs --print-rabbitmqctl   # the same as rabbitmqctl commands
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** @typedef {{ configure: string; write: string; read: string }} Permissions */

/** @type {Permissions} */
export const TAP_PERMISSIONS = (() => {
  const json = JSON.parse(readFileSync(new URL('./tap-permissions.json', import.meta.url), 'utf8'));
  return { configure: json.configure, write: json.write, read: json.read };
})();

/** A value for a POSIX shell, single-quoted. */
function shq(/** @type {string} */ s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The equivalent rabbitmqctl commands (password left as a placeholder). */
export function rabbitmqctlCommands(user = 'l2scope', vhost = '/') {
  const p = TAP_PERMISSIONS;
  return [
    ...(vhost === '/' ? [] : [`rabbitmqctl add_vhost ${shq(vhost)}`]),
    `rabbitmqctl add_user ${shq(user)} "$L2SCOPE_TAP_PASSWORD"`,
    `rabbitmqctl set_user_tags ${shq(user)}`,
    `rabbitmqctl set_permissions -p ${shq(vhost)} ${shq(user)} ${shq(p.configure)} ${shq(p.write)} ${shq(p.read)}`,
  ];
}

/**
 * @param {string} name
 * @param {string | undefined} v
 */
function required(name, v) {
  if (!v) {
    console.error(`provision: ${name} is required`);
    process.exit(2);
  }
  return v;
}

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const user = process.env.L2SCOPE_TAP_USER || 'l2scope';
  const vhost = process.env.L2SCOPE_AMQP_VHOST || '/';
  if (process.argv.includes('--print-rabbitmqctl')) {
    console.log(rabbitmqctlCommands(user, vhost).join('\n'));
    return;
  }
  const api = (process.env.RABBITMQ_API_URL || 'http://rabbitmq:15672').replace(/\/+$/, '');
  const admin = process.env.RABBITMQ_ADMIN_USER || 'admin';
  const adminPassword = required('RABBITMQ_ADMIN_PASSWORD', process.env.RABBITMQ_ADMIN_PASSWORD);
  const password = required('L2SCOPE_TAP_PASSWORD', process.env.L2SCOPE_TAP_PASSWORD);
  const waitSeconds = Number(process.env.RABBITMQ_WAIT_SECONDS ?? 120);
  const auth = `Basic ${Buffer.from(`${admin}:${adminPassword}`).toString('base64')}`;

  /**
   * @param {'GET' | 'PUT'} method
   * @param {string} path
   * @param {unknown} [body]
   */
  const call = async (method, path, body) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw Object.assign(new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`), { status: res.status });
    return text ? JSON.parse(text) : null;
  };

  // wait for the management API (the broker's health check may pass a moment before it answers)
  const deadline = Date.now() + waitSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      const o = await call('GET', '/api/overview');
      console.log(`provision: RabbitMQ ${o?.rabbitmq_version ?? '?'} at ${api}`);
      break;
    } catch (err) {
      const e = /** @type {Error & { status?: number }} */ (err);
      // wrong credentials or no management rights: waiting will not help
      if (e.status === 401 || e.status === 403) throw new Error(`${e.message} (check RABBITMQ_ADMIN_USER / RABBITMQ_ADMIN_PASSWORD)`, { cause: err });
      if (Date.now() > deadline) throw new Error(`management API ${api} not answering after ${waitSeconds}s: ${e.message}`, { cause: err });
      if (attempt === 1 || attempt % 10 === 0) console.log(`provision: waiting for ${api} (${e.message})`);
      await sleep(1000);
    }
  }

  const v = encodeURIComponent(vhost);
  const u = encodeURIComponent(user);
  if (vhost !== '/') await call('PUT', `/api/vhosts/${v}`, {});
  await call('PUT', `/api/users/${u}`, { password, tags: '' });
  await call('PUT', `/api/permissions/${v}/${u}`, TAP_PERMISSIONS);

  const got = await call('GET', `/api/permissions/${v}/${u}`);
  for (const k of /** @type {const} */ (['configure', 'write', 'read'])) {
    if (got?.[k] !== TAP_PERMISSIONS[k])
      throw new Error(`permission ${k} of ${user} on ${vhost} reads back as ${JSON.stringify(got?.[k])}, expected ${TAP_PERMISSIONS[k]}`);
  }
  console.log(`provision: user ${user} on vhost ${vhost}: configure ${got.configure}  write ${got.write}  read ${got.read}`);
}

// run only as a script (the test imports the exports)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`provision: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
