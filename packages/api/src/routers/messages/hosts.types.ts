/** `messages.hosts`: what the operator typed in the inspector's host filter; hosts that start so. */
import { z } from 'zod';
import { HOST_SUGGESTIONS_MAX } from '@l2scope/db';

export const ZMessagesHostsInput = z.object({
  /** Prefix of a host id, name or VTEP address; empty lists the first hosts by id. */
  prefix: z.string().max(255),
  limit: z.number().int().min(1).max(HOST_SUGGESTIONS_MAX).default(10),
});

export const ZMessagesHostsOutput = z.array(
  z.object({
    /** The host filter's value (Host id: the name, or `vtep:<ip>`). */
    id: z.string(),
    name: z.string().nullable(),
    vtep: z.string().nullable(),
    /** Expired by the worker (no report_state for --host-expiry); its messages are kept. */
    expired: z.boolean(),
  }),
);
