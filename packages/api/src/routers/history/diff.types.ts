/** `history.diff`: what changed in the model between T1 and T2 (domain `diffModels` of the model as of each). */
import type { ModelDiff } from '@l2scope/domain';
import { z } from 'zod';
import { domainValue } from '../../schemas/domain';
import { ZHistoryBounds } from './at.types';

export const ZHistoryDiffInput = z.object({
  /** T1, ISO-8601 with a zone. */
  from: z.iso.datetime({ offset: true }),
  /** T2, ISO-8601 with a zone; may be before T1 (the difference is then read backwards). */
  to: z.iso.datetime({ offset: true }),
  /** Entries per list at most (hosts, networks, VTEP entries): 1 to 2,000, default 500. */
  limit: z.number().int().min(1).max(2000).default(500),
});

export const ZHistoryDiffOutput = z.object({
  from: z.string(),
  to: z.string(),
  bounds: ZHistoryBounds,
  /** Both times are at or after `bounds.from`. */
  exact: z.boolean(),
  diff: domainValue<ModelDiff>('ModelDiff (domain model-diff): hosts, networks, VTEP entries changed from T1 to T2'),
});
