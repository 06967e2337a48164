/**
 * `toggle.plan`: switch `l2_population` / `arp_responder` on some hosts (1 to 1,000, by name) or
 * on every host of a network; creates one `planned` job per host (a batch when several). The
 * worker asks each host's agent for its dry run and fills the job's plan within seconds (read it
 * with `jobs.get` or the live `toggle` event).
 */
import { modeChangeSchema } from '@l2scope/domain';
import { z } from 'zod';
import { hostNameSchema, jobOutputSchema } from '../../schemas/toggle';

export const ZTogglePlanInput = z.union([
  z.object({ hosts: z.array(hostNameSchema).min(1).max(1000), change: modeChangeSchema, inPlace: z.boolean() }).strict(),
  z.object({ network: z.string().min(1).max(64), change: modeChangeSchema, inPlace: z.boolean() }).strict(),
]);

/** The jobs created, in batch order. */
export const ZTogglePlanOutput = z.array(jobOutputSchema);
