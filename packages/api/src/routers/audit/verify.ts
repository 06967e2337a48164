import { verifyAuditChain } from '@l2scope/db';
import { adminProcedure } from '../../trpc';
import { ZAuditVerifyInput, ZAuditVerifyOutput } from './verify.types';

/** Verify the audit log's hash chain (admin): a row edited by hand breaks it. */
export const auditVerify = adminProcedure
  .input(ZAuditVerifyInput)
  .output(ZAuditVerifyOutput)
  .query(({ ctx }) => verifyAuditChain(ctx.db));
