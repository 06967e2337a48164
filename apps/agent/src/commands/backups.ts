/**
 * The ini backups `set_mode` takes and the index job -> backup (`<state-dir>/backups.json`) that
 * `rollback {job}` reads. A backup sits beside the ini, `<ini>.l2scope-<job>-<UTC stamp>.bak`, with
 * the ini's mode. The first backup of a job is the one kept (the ini before the job touched it).
 * The index holds the newest {@link BACKUP_INDEX_MAX} jobs; the backup file of a job dropped from it
 * is deleted, so backups do not pile up without bound.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { z } from 'zod';
import { readBounded, writeFileAtomic } from './atomic';

/** Largest ini the agent backs up or edits (bytes). */
export const INI_MAX_BYTES = 1024 * 1024;

/** Jobs kept in the index (and backup files kept on disk). */
export const BACKUP_INDEX_MAX = 200;

const entrySchema = z.object({ ini: z.string().max(4096), backup: z.string().max(4096), at: z.string().max(40) });
const fileSchema = z.object({ schema: z.literal('l2scope.agent-backups/1'), jobs: z.record(z.string().max(64), entrySchema) });
/** One job's backup. */
export type BackupEntry = z.infer<typeof entrySchema>;

/** `20261205T121500Z` for a time (UTC, seconds). */
export function utcStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** The index of backups, persisted in the state directory. */
export class BackupIndex {
  private jobs = new Map<string, BackupEntry>();

  constructor(readonly file: string) {}

  /**
   * Read the index (missing: empty).
   * @throws Error when the file exists but is not a backup index
   */
  async load(): Promise<void> {
    const text = await readBounded(this.file, 4 * 1024 * 1024);
    if (text === null) return;
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${this.file}: not an l2scope backup index`);
    this.jobs = new Map(Object.entries(parsed.data.jobs));
  }

  /** The backup of a job, if any. */
  get(job: string): BackupEntry | undefined {
    return this.jobs.get(job);
  }

  /**
   * Copy `ini` to its backup for `job` (unless the job has one already) and record it.
   * @returns the job's backup (new or the one it had)
   * @throws the file system's error
   */
  async backup(job: string, ini: string, nowMs: number): Promise<BackupEntry> {
    const had = this.jobs.get(job);
    if (had) return had;
    const backup = `${ini}.l2scope-${job}-${utcStamp(nowMs)}.bak`;
    const st = await stat(ini);
    if (st.size > INI_MAX_BYTES) throw new Error(`${ini}: ${st.size} bytes, over the ${INI_MAX_BYTES} byte limit`);
    await writeFileAtomic(backup, await readFile(ini), st.mode & 0o7777);
    const entry = { ini, backup, at: new Date(nowMs).toISOString() };
    this.jobs.set(job, entry);
    while (this.jobs.size > BACKUP_INDEX_MAX) {
      const [oldest, e] = this.jobs.entries().next().value as [string, BackupEntry];
      this.jobs.delete(oldest);
      await rm(e.backup, { force: true }).catch(() => undefined);
    }
    await this.save();
    return entry;
  }

  private async save(): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify({ schema: 'l2scope.agent-backups/1', jobs: Object.fromEntries(this.jobs) })}\n`, 0o600);
  }
}
