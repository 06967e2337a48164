/** `dvr.view`: no input; the DVR page (docs/dvr.md): DVR MACs announced vs installed, static ARP announced vs held, findings. */
import type { DvrView } from '@l2scope/domain';
import { z } from 'zod';
import { domainValue } from '../../schemas/domain';

export const ZDvrViewInput = z.void();

export const ZDvrViewOutput = z.object({
  hosts: domainValue<DvrView['hosts']>('DvrHostRow[] (domain dvr/analysis), built by analyzeDvr'),
  arp: domainValue<DvrView['arp']>('DvrArpRow[] (domain dvr/analysis)'),
  findings: domainValue<DvrView['findings']>('DvrFinding[] (domain dvr/analysis)'),
  macs: domainValue<DvrView['macs']>('announced DVR MACs by host'),
  /** DVR messages folded (the newest 100,000 at most). */
  messages: z.number().int().nonnegative(),
  /** Epoch ms of the last dvr_mac_address_update; null when none was seen. */
  macsAt: z.number().nullable(),
});
