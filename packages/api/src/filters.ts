/**
 * Inspector filters -> a Prisma `where` on Message. Shared by the list query and the JSONL export.
 */
import { z } from 'zod';

export const messageFilterSchema = z.object({
  /** Exact oslo method; "undecodable" selects messages that failed to decode. */
  method: z.string().min(1).optional(),
  /** Network UUID. */
  network: z.string().min(1).optional(),
  vni: z.number().int().nonnegative().optional(),
  /** Host name (target of a host-directed cast, or the reporting agent). */
  host: z.string().min(1).optional(),
  vtep: z.string().min(1).optional(),
  /** Free text, matched case-insensitively against method, keys, MACs, IPs, hosts and errors. */
  text: z.string().trim().max(200).optional(),
  /** Only messages with id < before (paging, newest first). */
  before: z.number().int().positive().optional(),
  /** Only messages with id > after (catching up after a live burst). */
  after: z.number().int().nonnegative().optional(),
});

export type MessageFilter = z.infer<typeof messageFilterSchema>;

/** Build the Prisma `where` for a filter. */
export function messageWhere(f: MessageFilter) {
  const and: object[] = [];
  if (f.method === 'undecodable') and.push({ ok: false });
  else if (f.method) and.push({ method: f.method });
  const refs: [string, string | undefined][] = [
    ['network', f.network],
    ['vni', f.vni === undefined ? undefined : String(f.vni)],
    ['host', f.host],
    ['vtep', f.vtep],
  ];
  for (const [kind, value] of refs) if (value !== undefined) and.push({ refs: { some: { kind, value } } });
  if (f.text) and.push({ search: { contains: f.text.toLowerCase() } });
  if (f.before !== undefined || f.after !== undefined) {
    and.push({ id: { ...(f.before !== undefined ? { lt: BigInt(f.before) } : {}), ...(f.after !== undefined ? { gt: BigInt(f.after) } : {}) } });
  }
  return and.length ? { AND: and } : {};
}
