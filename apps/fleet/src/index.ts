/** The fleet simulator: a seeded fleet, neutron-server's and the agents' messages for it, published or captured. */
export * from './fleet';
export * from './neutron';
export * from './node';
export * from './schedule';
export * from './wire';
export * from './pyjson';
export * from './random';
export * from './templates';
export * from './publish';
export * from './users';
