/**
 * The Neutron API's names and the poller's status: one row (id 1), replaced by the worker's poller
 * after each poll, read by the dashboard (docs/neutron-api.md).
 */
import { type NeutronApiStatus, type NeutronApiView, type NeutronNames, neutronApiStatusSchema, neutronNamesSchema } from '@l2scope/domain';
import type { Db } from '../client';
import { jsonColumn, parseColumn } from './json';

type Client = Pick<Db, 'neutronApiState'>;

/**
 * Store the poller's status, and the names when given (a failed poll keeps the last names).
 * @param names the names of a successful fetch; undefined keeps the stored ones
 */
export async function saveNeutronApi(db: Client, status: NeutronApiStatus, names?: NeutronNames): Promise<void> {
  const data = { updatedAt: new Date(), status: jsonColumn(status), ...(names ? { names: jsonColumn(names) } : {}) };
  await db.neutronApiState.upsert({ where: { id: 1 }, create: { id: 1, ...data }, update: data });
}

/**
 * The stored status and names, or null when the worker never polled an API. A column that does not
 * fit the schema (another version's row) reads as no names / null.
 */
export async function readNeutronApi(db: Client): Promise<NeutronApiView | null> {
  const row = await db.neutronApiState.findUnique({ where: { id: 1 } });
  if (!row) return null;
  const status = parseColumn(row.status, (v) => neutronApiStatusSchema.parse(v));
  if (!status.ok) return null;
  const names = row.names === null ? null : parseColumn(row.names, (v) => neutronNamesSchema.parse(v));
  return { status: status.value, names: names?.ok ? names.value : null };
}
