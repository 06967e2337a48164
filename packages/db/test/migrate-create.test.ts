/**
 * `migrate:create` on a copy of the repository's prisma/ folder (L2SCOPE_ROOT points at a temp
 * directory): change the models, create a migration for both providers offline, then apply the
 * whole history to a fresh SQLite file and a fresh PostgreSQL database.
 */
import { cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsDir, modelsFile, repoRoot } from '../src/config';
import { createMigration, databaseDrift, migrate, planMigration } from '../src/migrations';
import { SNAPSHOT_FILE, ensureModelsLink, migrationNames } from '../src/schema';

const PG_ADMIN = process.env.L2SCOPE_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const pgDbName = `l2scope_test_create_${process.pid}_${Date.now()}_${randomBytes(3).toString('hex')}`;
const realRoot = repoRoot();
let root = '';
let changedModels = '';

async function pgAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'l2scope-root-'));
  cpSync(path.join(realRoot, 'prisma'), path.join(root, 'prisma'), { recursive: true, verbatimSymlinks: true });
  process.env.L2SCOPE_ROOT = root;
  const models = readFileSync(modelsFile(), 'utf8');
  expect(models).toContain('  networkType String\n');
  changedModels =
    models.replace('  networkType String\n', '  networkType String\n  note        String?\n') +
    '\nmodel Probe {\n  id   BigInt   @id\n  at   DateTime\n  body Bytes\n}\n';
  writeFileSync(modelsFile(), changedModels);
});

afterAll(async () => {
  delete process.env.L2SCOPE_ROOT;
  rmSync(root, { recursive: true, force: true });
  await pgAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${pgDbName}" WITH (FORCE)`));
});

describe('migrate:create', () => {
  let created = '';

  it('works on the copy, not on the repository', () => {
    expect(repoRoot()).toBe(root);
    expect(readFileSync(path.join(realRoot, 'prisma', 'models.prisma'), 'utf8')).not.toContain('model Probe');
  });

  it('writes one migration, same name, for both providers, with the models snapshot', async () => {
    const before = migrationNames('sqlite');
    const res = await createMigration('Add note + probe!');
    expect(res.name).toMatch(/^\d{14}_add_note_probe$/);
    created = res.name!;
    expect(created.localeCompare(before.at(-1)!)).toBeGreaterThan(0);
    expect(migrationNames('sqlite')).toEqual([...before, created]);
    expect(migrationNames('postgresql')).toEqual([...before, created]);
    expect(res.files).toEqual([path.join(migrationsDir('sqlite'), created, 'migration.sql'), path.join(migrationsDir('postgresql'), created, 'migration.sql')]);

    const sqlite = readFileSync(res.files[0]!, 'utf8');
    expect(sqlite).toContain('ALTER TABLE "Network" ADD COLUMN "note" TEXT;');
    expect(sqlite).toMatch(/CREATE TABLE "Probe" \(\s*"id" BIGINT NOT NULL PRIMARY KEY,\s*"at" DATETIME NOT NULL,\s*"body" BLOB NOT NULL\s*\);/);
    expect(sqlite).not.toContain('CREATE TABLE "Message"');
    const postgres = readFileSync(res.files[1]!, 'utf8');
    expect(postgres).toContain('ALTER TABLE "Network" ADD COLUMN     "note" TEXT;');
    expect(postgres).toMatch(/CREATE TABLE "Probe" \(\s*"id" BIGINT NOT NULL,\s*"at" TIMESTAMP\(3\) NOT NULL,\s*"body" BYTEA NOT NULL,/);
    expect(postgres).not.toContain('CREATE TABLE "Message"');

    for (const p of ['sqlite', 'postgresql'] as const) {
      expect(readFileSync(path.join(migrationsDir(p), created, SNAPSHOT_FILE), 'utf8')).toBe(changedModels);
      expect(readFileSync(path.join(migrationsDir(p), 'migration_lock.toml'), 'utf8')).toContain(`provider = "${p}"`);
    }
  });

  it('is a no-op once the migrations match the models', async () => {
    const { plans } = await planMigration();
    expect(plans.map((p) => p.script)).toEqual(['', '']);
    expect(await createMigration('nothing')).toEqual({ name: null, files: [] });
    expect(migrationNames('sqlite').at(-1)).toBe(created);
  });

  it('the new history applies to a fresh SQLite file and a fresh PostgreSQL database', async () => {
    const all = migrationNames('sqlite');
    const sqliteUrl = `file:${path.join(root, 'data', 'l2scope.db')}`;
    expect((await migrate(sqliteUrl)).applied).toEqual(all);
    expect(existsSync(path.join(root, 'data', 'l2scope.db'))).toBe(true);
    expect(await databaseDrift(sqliteUrl)).toBe('');
    expect((await migrate(sqliteUrl)).applied).toEqual([]);

    await pgAdmin((c) => c.query(`CREATE DATABASE "${pgDbName}"`));
    const u = new URL(PG_ADMIN);
    u.pathname = `/${pgDbName}`;
    expect((await migrate(u.toString())).applied).toEqual(all);
    const c = new pg.Client({ connectionString: u.toString() });
    await c.connect();
    try {
      const cols = await c.query(
        `SELECT table_name || '.' || column_name AS col FROM information_schema.columns WHERE (table_name = 'Network' AND column_name = 'note') OR table_name = 'Probe' ORDER BY 1`,
      );
      expect(cols.rows.map((r) => r.col)).toEqual(['Network.note', 'Probe.at', 'Probe.body', 'Probe.id']);
    } finally {
      await c.end();
    }
  });

  it('repairs the models link of a schema folder (checkout without symlinks)', () => {
    const link = path.join(root, 'prisma', 'sqlite', 'models.prisma');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(ensureModelsLink('sqlite')).toBe('ok');
    rmSync(link);
    writeFileSync(link, '../models.prisma'); // what git writes with core.symlinks=false
    expect(ensureModelsLink('sqlite')).toBe('linked');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(link, 'utf8')).toBe(changedModels);
    rmSync(link);
    expect(ensureModelsLink('sqlite')).toBe('linked');
    expect(ensureModelsLink('sqlite')).toBe('ok');
  });

  it('refuses bad names, missing snapshots and diverging histories', async () => {
    await expect(createMigration('  ---  ')).rejects.toThrow(/invalid migration name/);

    const snap = path.join(migrationsDir('postgresql'), created, SNAPSHOT_FILE);
    renameSync(snap, `${snap}.away`);
    await expect(createMigration('x')).rejects.toThrow(/has no models\.prisma\.snapshot/);
    renameSync(`${snap}.away`, snap);

    rmSync(path.join(migrationsDir('postgresql'), created), { recursive: true });
    await expect(planMigration()).rejects.toThrow(/migration histories of sqlite and postgresql differ/);
  });
});
