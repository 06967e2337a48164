export { startWorker, DEFAULT_CAPTURE, type WorkerOptions, type WorkerHandle } from './worker';
export { AmqpTap, type TapOptions } from './tap';
export { replayToBroker, replayInProcess, readCapture, exchangeFor } from './replay';
export { IngestPipeline, summarize, type IngestedMessage } from './pipeline';
export { PrismaStore } from './store';
export { LiveServer } from './live';
export type { Delivery } from './delivery';
