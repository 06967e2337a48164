/** DVR: messages, the announced fold, node-side flows and router namespaces, and the analysis (docs/dvr.md). */
export * from './messages';
export * from './fold';
export * from './flows';
export * from './neigh';
export * from './analysis';
export * from './inputs';
