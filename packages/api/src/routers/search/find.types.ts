/** `search.find`: what the operator typed in the header search; hosts, networks and ports it names. */
import { z } from 'zod';

export const ZSearchFindInput = z.object({
  /** As typed: a host name or VTEP IP, a MAC (any spelling, or a prefix), a port IP, a UUID prefix, a VNI, a Neutron name. */
  q: z.string().max(200),
  /** Results per kind at most (1 to 50, default 10). */
  limit: z.number().int().min(1).max(50).default(10),
});

/** Hosts by id, then networks by VNI, then ports (db `SearchHit`). */
export const ZSearchFindOutput = z.array(
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('host'), host: z.string(), vtep: z.string().nullable() }),
    z.object({ kind: z.literal('network'), network: z.string(), vni: z.number().int().nullable(), name: z.string().nullable() }),
    z.object({
      kind: z.literal('port'),
      mac: z.string(),
      ips: z.array(z.string()),
      network: z.string(),
      vtep: z.string().nullable(),
      host: z.string().nullable(),
      portId: z.string().nullable(),
      name: z.string().nullable(),
    }),
  ]),
);
