/** `topology.snapshot`: optionally which parts; the model projection as a domain `ModelSnapshot`. */
import type { ModelSnapshot } from '@l2scope/domain';
import { z } from 'zod';
import { domainValue } from '../../schemas/domain';

/** Omitted: the whole projection. `{ vteps: false }`: hosts and networks only (`vteps: []`), a large cloud's first picture. */
export const ZTopologySnapshotInput = z.object({ vteps: z.boolean().optional() }).strict().optional();

/** `{ seq, hosts: HostView[], networks: NetworkView[], vteps: VtepEntries[] }` (times in epoch ms). */
export const ZTopologySnapshotOutput = domainValue<ModelSnapshot>('ModelSnapshot (domain model): the persisted projection, seq = last message folded');
