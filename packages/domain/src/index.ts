/** @l2scope/domain: pure l2pop semantics, no I/O. */
export * from './topics';
export * from './oslo';
export * from './l2pop';
export * from './agent';
export * from './decode';
export * from './capture';
export * from './output';
export * from './model';
export * from './model-fold';
export * from './model-query';
export * from './inspect';
export * from './live';
export * from './node';
export * from './redact';
export * from './rabbitmq';
export * from './vtep-conflict';
export * from './message-summary';
