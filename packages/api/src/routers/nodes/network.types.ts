/** `nodes.network`: a network id; every member host's flood list and BUM report, findings. */
import type { BumReport, DriftItem, FloodList } from '@l2scope/domain';
import { z } from 'zod';
import { domainValue } from '../../schemas/domain';
import { listedFindingSchema } from '../../schemas/nodes';

export const ZNodesNetworkInput = z.object({ network: z.string().min(1) });

export const ZNodesNetworkOutput = z.object({
  /** `deletedAt`: epoch ms Neutron deleted the network (its `network_delete`), null while it lives. */
  network: z.object({ id: z.string(), vni: z.number().int().nullable(), networkType: z.string(), deletedAt: z.number().nullable() }),
  /** Analysed hosts with a flood list on the network, by host name. */
  hosts: z.array(
    z.object({
      host: z.string(),
      vtep: z.string().nullable(),
      /** l2pop mode summary, e.g. `l2pop, ARP responder`. */
      mode: z.string(),
      flood: domainValue<FloodList>('FloodList (domain node/analysis): actual / ideal / excess / missing'),
      drift: z.array(domainValue<DriftItem>('DriftItem (domain node/analysis)')),
      bum: domainValue<BumReport>('BumReport (domain node/bum), validated by bumReportSchema in packages/db').nullable(),
    }),
  ),
  /** Open findings of the network. */
  findings: z.array(listedFindingSchema),
});
