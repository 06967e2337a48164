/** `topology.snapshot`: no input; the model projection as a domain `ModelSnapshot`. */
import type { ModelSnapshot } from '@l2scope/domain';
import { z } from 'zod';
import { domainValue } from '../../schemas/domain';

export const ZTopologySnapshotInput = z.void();

/** `{ seq, hosts: HostView[], networks: NetworkView[], vteps: VtepEntries[] }` (times in epoch ms). */
export const ZTopologySnapshotOutput = domainValue<ModelSnapshot>('ModelSnapshot (domain model): the persisted projection, seq = last message folded');
