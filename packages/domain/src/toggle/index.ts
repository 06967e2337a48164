/** Admin toggles: agent commands (contract) and toggle jobs (state machine). */
export * from './command';
export * from './job';
export * from './view';
export * from './plan';
