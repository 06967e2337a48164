/** @l2scope/agent: the node agent (library entry; the CLI is main.ts). */
export * from './agent';
export * from './bum-capture';
export * from './bundle';
export * from './children';
export * from './collect';
export * from './exec';
export * from './log';
export * from './net';
export * from './publisher';
export * from './options';
export * from './status';
