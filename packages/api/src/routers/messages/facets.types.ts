/** `messages.facets`: no input; the values the inspector's pickers offer (hosts: `messages.hosts`). */
import { z } from 'zod';

export const ZMessagesFacetsInput = z.void();

export const ZMessagesFacetsOutput = z.object({
  /** oslo methods of decoded messages with their counts, by name. */
  methods: z.array(z.object({ method: z.string(), count: z.number().int() })),
  /** Messages that could not be decoded. */
  undecodable: z.number().int(),
  /** Live networks by VNI, then deleted ones (`deletedAt`: epoch ms of their network_delete). */
  networks: z.array(z.object({ id: z.string(), vni: z.number().int().nullable(), deletedAt: z.number().nullable() })),
});
