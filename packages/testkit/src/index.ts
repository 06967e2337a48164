export * from './rabbit';
export * from './database';
export * from './wait';
export * from './tcp-proxy';
