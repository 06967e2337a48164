/**
 * Export of the inspector's filtered messages as a capture file (JSONL, the fixtures' shape:
 * re-readable by `l2scope decode` and `--replay`). Streams in pages, oldest first.
 */
import { type Db, exportMessages } from '@l2scope/db';
import { toCaptureLine } from '@l2scope/domain';
import type { MessageFilter } from './filters';

/**
 * Yield capture lines (each ending in "\n") for the messages matching `filter`, oldest first.
 * @param max stop after this many messages
 */
export async function* exportCaptureLines(db: Db, filter: MessageFilter, max = 1_000_000): AsyncGenerator<string> {
  for await (const record of exportMessages(db, filter, max)) yield `${toCaptureLine(record)}\n`;
}
