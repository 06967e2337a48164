/** Node state: what a node agent collects on a hypervisor, and how it compares with l2pop. */
export * from './commands';
export * from './ini';
export * from './kernel';
export * from './linuxbridge';
export * from './ovs';
export * from './ovs-host';
export * from './ovs-datapath';
export * from './snapshot';
export * from './support-bundle';
export * from './analysis';
export * from './convergence';
export * from './summary';
export * from './bum';
export * from './identity';
export * from './ucast-probe';
