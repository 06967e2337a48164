export { appRouter, type AppRouter } from './router';
export { createCallerFactory, publicProcedure, type Context } from './trpc';
export { messageFilterSchema, type MessageFilter } from './filters';
export { exportCaptureLines } from './export';
