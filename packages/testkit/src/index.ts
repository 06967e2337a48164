export * from './rabbit';
export * from './database';
export * from './wait';
export * from './worker-token';
export * from './fuzz';
export * from './tcp-proxy';
export * from './bum-fixture';
