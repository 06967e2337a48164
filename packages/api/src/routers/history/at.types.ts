/** `history.at`: the model and the open findings as of a past time T (db `readModelAt`, `readFindingsAt`). */
import type { ModelSnapshot } from '@l2scope/domain';
import { z } from 'zod';
import { domainValue } from '../../schemas/domain';
import { listedFindingSchema } from '../../schemas/nodes';

export const ZHistoryAtInput = z.object({
  /** T, ISO-8601 with a zone (`2026-12-06T05:00:00Z`). */
  at: z.iso.datetime({ offset: true }),
});

export const ZHistoryBounds = z.object({
  /** The oldest retained message's receive time: the model as of any later T is exact. Null: nothing stored. */
  from: z.string().nullable(),
  /** The newest stored model change. */
  to: z.string().nullable(),
});

export const ZHistoryAtOutput = z.object({
  at: z.string(),
  bounds: ZHistoryBounds,
  /** T is at or after `bounds.from`: every record's value at T is stored. False: T is older than what retention kept. */
  exact: z.boolean(),
  /** `{ seq, hosts, networks, vteps }` as of T; seq = the last message at or before T that changed the model. */
  model: domainValue<ModelSnapshot>('ModelSnapshot (domain model) as of T, from the stored model changes'),
  /** Findings open at T (first seen by T, not resolved by T), newest first, at most 500. */
  findings: z.array(listedFindingSchema),
});
