/**
 * A fresh database per test suite on the same kind as DATABASE_URL: a new PostgreSQL database on
 * that server when DATABASE_URL is postgres(ql)://, else a new SQLite file in a temp dir.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  kind: 'sqlite' | 'postgresql';
  drop(): Promise<void>;
}

/** Applies the migrations to a database URL (`migrate` of `@l2scope/db/migrate`, passed in: testkit sits below db). */
export type Migrate = (url: string) => Promise<unknown>;

/**
 * Create a database: empty (not migrated: the worker migrates on start, or call `migrate`), or,
 * with `opts.migrated`, already migrated. A migrated SQLite database is a copy of a template file
 * that `opts.migrated` migrated once (in os.tmpdir(), keyed by the SHA-256 of the migrations, so
 * every suite and run on the same migrations shares it): a worker started on it finds every
 * migration recorded and skips the schema engine. On PostgreSQL `opts.migrated` runs on the new
 * database itself.
 */
export async function createTestDatabase(base = process.env.DATABASE_URL, opts: { migrated?: Migrate } = {}): Promise<TestDatabase> {
  if (base && /^postgres(ql)?:\/\//.test(base)) {
    const name = `l2scope_test_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    if (opts.migrated) await opts.migrated(u.toString());
    return {
      url: u.toString(),
      kind: 'postgresql',
      async drop() {
        const c = new pg.Client({ connectionString: base });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'l2scope-test-'));
  if (opts.migrated) copyTemplate(await sqliteTemplate(opts.migrated), dir);
  return {
    url: `file:${path.join(dir, 'l2scope.db')}`,
    kind: 'sqlite',
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** prisma/sqlite/migrations of this repository. */
const SQLITE_MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../prisma/sqlite/migrations');

/**
 * A directory holding `l2scope.db` (and its WAL, if SQLite left one) with every migration of
 * prisma/sqlite/migrations applied, made with `migrate` on first use: named after the SHA-256 of
 * the migrations (names and SQL), built in a temporary directory and renamed into place (atomic:
 * suites racing to make it each leave a whole one, the first rename wins).
 */
async function sqliteTemplate(migrate: Migrate): Promise<string> {
  const hash = createHash('sha256');
  for (const name of readdirSync(SQLITE_MIGRATIONS).sort()) {
    const sql = path.join(SQLITE_MIGRATIONS, name, 'migration.sql');
    if (existsSync(sql)) hash.update(`${name}\n`).update(readFileSync(sql));
  }
  const template = path.join(os.tmpdir(), `l2scope-test-template-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(path.join(template, 'l2scope.db'))) return template;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'l2scope-template-'));
  try {
    await migrate(`file:${path.join(dir, 'l2scope.db')}`);
    renameSync(dir, template);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (!existsSync(path.join(template, 'l2scope.db'))) throw err; // else another suite made it first
  }
  return template;
}

/** Copy a template's database file and WAL (not the shared-memory index, rebuilt on open) into `dir`. */
function copyTemplate(template: string, dir: string): void {
  for (const f of readdirSync(template)) if (!f.endsWith('-shm')) copyFileSync(path.join(template, f), path.join(dir, f));
}
