export { appRouter, type AppRouter } from './router';
export { adminProcedure, createCallerFactory, createContext, operatorProcedure, roleProcedure, viewerProcedure, type Context } from './trpc';
export { messageFilterSchema, type MessageFilter } from './filters';
export { exportCaptureLines } from './export';
