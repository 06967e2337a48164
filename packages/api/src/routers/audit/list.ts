import { listAudit } from '@l2scope/db';
import { auditEntryWire } from '../../schemas/toggle';
import { operatorProcedure } from '../../trpc';
import { ZAuditListInput, ZAuditListOutput } from './list.types';

/**
 * The audit log, newest first (operators and admins: it names users, origins and ini diffs;
 * viewers get 403).
 */
export const auditList = operatorProcedure
  .input(ZAuditListInput)
  .output(ZAuditListOutput)
  .query(async ({ ctx, input }) => (await listAudit(ctx.db, input)).map(auditEntryWire));
