export { appRouter, type AppRouter } from './router';
export { createCallerFactory, type Context } from './trpc';
export { messageFilterSchema, messageWhere, type MessageFilter } from './filters';
export { exportCaptureLines } from './export';
