/** What `toggle.plan` does: resolve the hosts, refuse unknown or busy ones, create the jobs. */
import { TRPCError } from '@trpc/server';
import type { SessionUser } from '@l2scope/auth';
import { type Db, ToggleHostBusyError, createToggleJobs, listHosts, readModelSnapshot } from '@l2scope/db';
import type { ModeChange, ToggleJobView } from '@l2scope/domain';
import { actorOf } from './actor';

/**
 * The named hosts of a network in the model projection (the agents whose `network_map` has it),
 * sorted by name. Reads the whole projection: a plan is rare, the projection bounded by the model.
 */
export async function networkHosts(db: Db, network: string): Promise<string[]> {
  const s = await readModelSnapshot(db);
  return s.hosts
    .filter((h) => h.name !== null && Object.hasOwn(h.networks, network))
    .map((h) => h.name as string)
    .sort();
}

/**
 * Create one `planned` job per host.
 * @param target `{hosts}` (names, duplicates once, order kept) or `{network}`
 * @throws TRPCError NOT_FOUND for a network without named hosts; BAD_REQUEST naming hosts the model
 *   does not know; CONFLICT naming hosts that already have an open job (`jobOpen`: not final, or
 *   `failed` still owing its rollback)
 */
export async function planToggle(
  db: Db,
  user: SessionUser,
  origin: string | null,
  target: { hosts: string[] } | { network: string },
  change: ModeChange,
  inPlace: boolean,
): Promise<ToggleJobView[]> {
  let hosts: string[];
  if ('network' in target) {
    hosts = await networkHosts(db, target.network);
    if (hosts.length === 0) throw new TRPCError({ code: 'NOT_FOUND', message: `no host of network ${target.network} in the model` });
  } else {
    hosts = [...new Set(target.hosts)];
    const known = new Set((await listHosts(db)).map((h) => h.name).filter((n): n is string => n !== null));
    const unknown = hosts.filter((h) => !known.has(h));
    if (unknown.length > 0) throw new TRPCError({ code: 'BAD_REQUEST', message: `unknown host ${unknown.slice(0, 10).join(', ')}` });
  }
  try {
    // the check of an open job on a host runs in the creating transaction (packages/db)
    return await createToggleJobs(db, { hosts, change, inPlace, requestedBy: actorOf(user), origin });
  } catch (err) {
    if (err instanceof ToggleHostBusyError) throw new TRPCError({ code: 'CONFLICT', message: err.message });
    throw err;
  }
}
