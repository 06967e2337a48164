export { startWorker, DEFAULT_CAPTURE, type WorkerOptions, type WorkerHandle } from './worker';
export { AmqpTap, type TapOptions } from './tap';
export { replayToBroker, replayInProcess, readCapture, exchangeFor } from './replay';
export { IngestPipeline, summarize, type IngestedMessage, type PipelineEvents } from './pipeline';
export { PrismaStore } from './store';
export { LiveServer, type HealthResponse } from './live';
export { NodeMonitor, type NodeMonitorEvents, type NodeStore, type NodesStatus, type NodeCounters } from './nodes';
export { TapHealth, type TapHealthEvents } from './tap-health';
export type { Delivery } from './delivery';
