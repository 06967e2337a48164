export { startWorker, DEFAULT_CAPTURE, type WorkerOptions, type WorkerHandle } from './worker';
export { AmqpTap, type TapOptions } from './tap';
export { replayToBroker, replayInProcess, readCapture, exchangeFor } from './replay';
export { IngestPipeline, summarize, type IngestedMessage, type PipelineEvents } from './pipeline';
export { PrismaStore } from './store';
export { LiveServer, type HealthResponse } from './live';
export { HostMonitor, type HostMonitorEvents, type NodeStore, type NodesStatus, type NodeCounters } from './host-monitor';
export { TapHealth, type TapHealthEvents } from './tap-health';
export type { Delivery } from './delivery';
