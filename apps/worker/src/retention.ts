/**
 * Message retention: after every 5,000 committed messages, the oldest beyond the newest `keep`
 * are pruned (with their refs and model changes; the model projection is untouched).
 */
import type { IngestPipeline } from './pipeline';

/** Prunes old messages as the pipeline commits new ones. */
export class MessageRetention {
  private sincePrune = 0;

  /**
   * @param store what prunes (the worker's `PrismaStore`)
   * @param keep messages kept (the worker's `--retain-messages`)
   */
  constructor(
    private readonly store: { prune(keep: number): Promise<number> },
    private readonly keep: number,
    private readonly log: (line: string) => void,
    private readonly every = 5_000,
  ) {}

  /** Count the pipeline's committed batches; prune in the background every `every` messages. */
  follow(pipeline: Pick<IngestPipeline, 'on'>): void {
    pipeline.on('committed', (batch) => {
      this.sincePrune += batch.length;
      if (this.sincePrune < this.every) return;
      this.sincePrune = 0;
      this.store.prune(this.keep).catch((err: unknown) => this.log(`worker: pruning failed: ${String(err)}`));
    });
  }
}
