/**
 * The repositories: every Prisma read and write of l2scope, one concept per module. Callers (the
 * worker, the tRPC API, tests) pass the client from `openDb` and get domain shapes back; no Prisma
 * model type or query leaves this folder.
 */
export * from './messages';
export * from './message-query';
export * from './ingest';
export * from './model-projection';
export * from './prepared-model';
export * from './counters';
export * from './tap-gaps';
export * from './node-state';
export * from './host-analyses';
export * from './findings';
export * from './convergence';
export * from './node-view';
export * from './node-refusals';
export * from './auth';
export { jsonColumn, jsonColumnFromText } from './json';
export * from './history';
export * from './held-history';
export * from './bum-history';
export * from './retention';
export * from './audit';
export * from './toggle-jobs';
export * from './neutron-api';
export * from './dvr-view';
export * from './l3-agents';
export * from './search';
