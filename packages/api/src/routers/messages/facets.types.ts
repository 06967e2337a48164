/** `messages.facets`: no input; the values the inspector's filters offer. */
import { z } from 'zod';

export const ZMessagesFacetsInput = z.void();

export const ZMessagesFacetsOutput = z.object({
  /** oslo methods of decoded messages with their counts, by name. */
  methods: z.array(z.object({ method: z.string(), count: z.number().int() })),
  /** Messages that could not be decoded. */
  undecodable: z.number().int(),
  /** Networks of the model, by VNI. */
  /** Live networks by VNI, then deleted ones (`deletedAt`: epoch ms of their network_delete). */
  networks: z.array(z.object({ id: z.string(), vni: z.number().int().nullable(), deletedAt: z.number().nullable() })),
  /** Hosts of the model with their VTEP, by id. */
  hosts: z.array(z.object({ id: z.string(), name: z.string().nullable(), vtep: z.string().nullable() })),
});
