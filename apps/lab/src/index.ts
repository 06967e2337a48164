/** @l2scope/lab: a real Neutron l2pop lab in network namespaces (library entry; the CLI is main.ts). */
export * from './paths';
export * from './config';
export * from './state';
export * from './procstat';
export * from './procs';
export * from './api';
export * from './kernel';
export * from './ping';
export * from './lab';
export * from './modes';
export * from './vms';
export * from './report';
export * from './teardown';
export * from './l2scope';
