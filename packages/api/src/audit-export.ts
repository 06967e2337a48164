/**
 * Export of the audit log as JSONL (`GET /api/audit/export`, admin): every entry with its
 * `prevHash` and `hash`, newest first (seq descending), in pages of 1,000, so the chain can be
 * checked outside l2scope (docs/toggles.md#audit).
 */
import { type Db, listAudit } from '@l2scope/db';
import { auditEntryWire } from './schemas/toggle';

/** Yield one JSON line (ending in "\n") per audit entry, newest first; at most `max` entries. */
export async function* exportAuditLines(db: Db, max = 10_000_000): AsyncGenerator<string> {
  let beforeSeq: number | undefined;
  let n = 0;
  while (n < max) {
    const page = await listAudit(db, { limit: 1000, ...(beforeSeq !== undefined ? { beforeSeq } : {}) });
    for (const e of page) {
      if (n++ >= max) return;
      yield `${JSON.stringify(auditEntryWire(e))}\n`;
    }
    if (page.length < 1000) return;
    beforeSeq = page[page.length - 1]!.seq;
  }
}
