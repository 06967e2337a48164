/** Neutron's API as a second source: its validated responses, the names it adds, and its checks (docs/neutron-api.md). */
export * from './schema';
export * from './enrich';
export * from './view';
