/**
 * `migrate` on a database whose `_prisma_migrations` already records migrations (a worker restart,
 * a pre-migrated test copy): answered without the schema engine only when every migration is
 * recorded finished with its checksum; a pending or failed migration still goes to the engine,
 * which applies it or refuses (P3009) as `prisma migrate deploy` does. A fresh SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrations';
import { migrationNames } from '../src/schema';

const dir = mkdtempSync(path.join(tmpdir(), 'l2scope-migrate-recorded-'));
const url = `file:${path.join(dir, 'l2scope.db')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function sql(statement: string, args: string[] = []): Promise<void> {
  const c = createClient({ url });
  try {
    await c.execute({ sql: statement, args });
  } finally {
    c.close();
  }
}

describe('migrate on recorded migrations', () => {
  const all = migrationNames('sqlite');
  const last = all.at(-1)!;

  it('applies every migration to a fresh file, then finds nothing to do', async () => {
    expect((await migrate(url)).applied).toEqual(all);
    expect((await migrate(url)).applied).toEqual([]);
  });

  it('applies a migration whose row is missing (pending), not only answers up to date', async () => {
    await sql('DELETE FROM _prisma_migrations WHERE migration_name = ?', [last]);
    // the engine runs its SQL again on a database that already has its effect: applied again, or
    // that SQL's error naming it; never "up to date"
    const outcome = await migrate(url).then(
      (r) => r.applied,
      (e: Error) => e.message,
    );
    if (Array.isArray(outcome)) expect(outcome).toEqual([last]);
    else expect(outcome).toContain(last);
  });

  it('refuses a failed migration (P3009) instead of answering up to date', async () => {
    await sql('UPDATE _prisma_migrations SET finished_at = NULL, rolled_back_at = NULL WHERE migration_name = ?', [last]);
    await expect(migrate(url)).rejects.toThrow(/P3009|failed migrations/);
  });
});
