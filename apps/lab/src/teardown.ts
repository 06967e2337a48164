/**
 * `down`: stop every process the lab started (by recorded PID, agents first, the server and
 * relays last), delete every namespace it made (those recorded, plus any leftover with the lab's
 * `l2lab-` prefix), drop Neutron's database, remove the lab's queues from the broker's vhost,
 * and clear configs and state. Logs are kept. Idempotent.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import amqp from 'amqplib';
import path from 'node:path';
import { amqpEndpoint } from './broker';
import { dropDatabase } from './db';
import { removeAllDvrMountNs } from './dvr-lab';
import { listNamespaces, run } from './exec';
import { LAB_ROOT, LAB_RUN, NS_PREFIX, paths } from './paths';
import { stopDaemon } from './procs';
import type { LabState } from './state';

/** Order in which process records are stopped: agents, OVS daemons, host relays, server, root relay. */
export function stopOrder(keys: string[]): string[] {
  return [...keys].sort((a, b) => rankOf(a) - rankOf(b) || a.localeCompare(b));
}

/** Stop rank of a process key: l2scope, agents, vswitchd, ovsdb, host relays, server, root relay, anything else. */
export function rankOf(k: string): number {
  if (k.startsWith('l2scope:')) return 0;
  if (k.startsWith('agent:') || k.startsWith('l3agent:')) return 1;
  if (k.startsWith('vswitchd:')) return 2;
  if (k.startsWith('ovsdb:')) return 3;
  if (k.startsWith('relay:')) return 4;
  if (k === 'server') return 5;
  if (k === 'relay') return 6;
  return 7;
}

/**
 * Queues oslo.messaging leaves in the lab's vhost once every consumer is gone: topic queues
 * (`q-...`, `neutron-vo-...`) and reply queues. Only those with no consumer are returned.
 * @param listing lines of `rabbitmqctl list_queues --no-table-headers name consumers`
 */
export function staleLabQueues(listing: string): string[] {
  return listing
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 2 && f[1] === '0' && /^(q-|neutron-vo-|reply_)/.test(f[0]!))
    .map((f) => f[0]!);
}

/** Stop all recorded processes of the state, one {@link stopOrder} rank at a time (in parallel within a rank), removing their records. */
export async function stopAll(s: LabState, log: (s: string) => void): Promise<void> {
  const keys = stopOrder(Object.keys(s.procs));
  const ranks = [...new Set(keys.map(rankOf))];
  for (const rank of ranks) {
    await Promise.all(
      keys
        .filter((k) => rankOf(k) === rank)
        .map(async (key) => {
          if (await stopDaemon(s.procs[key])) log(`stopped ${key} (pid ${s.procs[key]!.pid})`);
          delete s.procs[key];
        }),
    );
  }
}

/** Tear the whole lab down. */
export async function teardown(s: LabState | null, log: (s: string) => void, opts: { keepDb?: boolean } = {}): Promise<void> {
  if (s) await stopAll(s, log);
  // DVR hosts' mount namespaces (docs/lab.md#dvr): their qrouter-* namespaces go with them
  await removeAllDvrMountNs();
  const existing = await listNamespaces();
  const ours = new Set([...(s?.namespaces ?? []), ...existing.filter((n) => n.startsWith(NS_PREFIX))]);
  // VMs first, then hosts, the fabric last
  const order = [...ours].filter((n) => existing.includes(n)).sort((a, b) => rankNs(a) - rankNs(b));
  for (const ns of order) await run('ip', ['netns', 'del', ns], { allowFail: true });
  if (order.length) log(`deleted ${order.length} namespaces`);
  if (!opts.keepDb) {
    await dropDatabase().catch((e: Error) => log(`could not drop the database: ${e.message}`));
  }
  if (s) await purgeQueues(s.amqpUrl, log);
  rmSync(LAB_RUN, { recursive: true, force: true });
  for (const dir of ['etc', 'agents', 'ovs', 'neutron', 'netns']) rmSync(path.join(LAB_ROOT, dir), { recursive: true, force: true });
  // the node agents' state dirs (replay caches, ini backup indexes) name files of this lab only
  for (const dir of existsSync(LAB_ROOT) ? readdirSync(LAB_ROOT) : [])
    if (dir.startsWith('l2scope-agent-')) rmSync(path.join(LAB_ROOT, dir), { recursive: true, force: true });
  rmSync(paths.state, { force: true });
}

function rankNs(ns: string): number {
  if (ns.startsWith(`${NS_PREFIX}vm-`)) return 0;
  if (ns === `${NS_PREFIX}fabric`) return 2;
  return 1;
}

async function purgeQueues(amqpUrl: string, log: (s: string) => void): Promise<void> {
  const { host } = amqpEndpoint(amqpUrl);
  if (!['127.0.0.1', 'localhost'].includes(host) || !existsSync('/usr/sbin/rabbitmqctl')) return;
  const vhost = decodeURIComponent(new URL(amqpUrl).pathname.slice(1)) || '/';
  const r = await run('/usr/sbin/rabbitmqctl', ['list_queues', '-p', vhost, '--no-table-headers', '-q', 'name', 'consumers'], {
    allowFail: true,
    timeout: 30_000,
  });
  if (!r.ok) return;
  const stale = staleLabQueues(r.stdout);
  if (stale.length === 0) return;
  const conn = await amqp.connect(amqpUrl);
  try {
    for (const q of stale) {
      // a channel is closed by the broker on error, so one per queue keeps going past a vanished one
      const ch = await conn.createChannel();
      await ch.deleteQueue(q, { ifUnused: true }).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
  log(`deleted ${stale.length} idle Neutron queues from vhost ${vhost}`);
}
