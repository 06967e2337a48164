export { appRouter, type AppRouter } from './router';
export {
  ERROR_REASONS,
  ReasonError,
  adminProcedure,
  createCallerFactory,
  createContext,
  operatorProcedure,
  roleProcedure,
  viewerProcedure,
  type Context,
  type ErrorReason,
} from './trpc';
export { messageFilterSchema, type MessageFilter } from './filters';
export { exportCaptureLines } from './export';
export { exportAuditLines } from './audit-export';
export { STEP_UP_MAX_AGE_MS, stepUpNeeded } from './toggle/step-up';
export { auditEntrySchema, jobSelectionSchema, type AuditEntryWire, type JobSelection } from './schemas/toggle';
