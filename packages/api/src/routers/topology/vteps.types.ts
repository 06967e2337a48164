/** `topology.vteps`: no input; every VTEP's entries of the projection and the `seq` they are current at. */
import type { VtepEntries } from '@l2scope/domain';
import { z } from 'zod';
import { domainValue } from '../../schemas/domain';

export const ZTopologyVtepsInput = z.void();

/** `{ seq, vteps: VtepEntries[] }` (times in epoch ms). */
export const ZTopologyVtepsOutput = z.object({
  seq: z.number().int().nonnegative(),
  vteps: domainValue<VtepEntries[]>('VtepEntries[] (domain model): per network and VTEP, flood flag, unicast MACs, neighbour rows'),
});
