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
 * migration recorded and skips the schema engine. On PostgreSQL the same, with a template
 * database `l2scope_tmpl_<hash>` on the server (`CREATE DATABASE ... TEMPLATE`).
 */
export async function createTestDatabase(base = process.env.DATABASE_URL, opts: { migrated?: Migrate } = {}): Promise<TestDatabase> {
  if (base && /^postgres(ql)?:\/\//.test(base)) {
    const name = `l2scope_test_${randomBytes(5).toString('hex')}`;
    const template = opts.migrated ? await pgTemplate(base, opts.migrated) : null;
    await pgAdmin(base, (c) => c.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`));
    return {
      url: pgUrl(base, name),
      kind: 'postgresql',
      async drop() {
        await pgAdmin(base, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
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

/** prisma/<provider>/migrations of this repository. */
const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../prisma');

/** The first 16 hex digits of the SHA-256 of a provider's migrations (directory names and SQL). */
function migrationsHash(provider: 'sqlite' | 'postgresql'): string {
  const dir = path.join(MIGRATIONS, provider, 'migrations');
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    const sql = path.join(dir, name, 'migration.sql');
    if (existsSync(sql)) hash.update(`${name}\n`).update(readFileSync(sql));
  }
  return hash.digest('hex').slice(0, 16);
}

/** `fn` on a connection to the server of `base` (its maintenance database), closed afterwards. */
async function pgAdmin<T>(base: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** `base` with its database name replaced by `name`. */
function pgUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * The name of a database on the server of `base` holding every migration of
 * prisma/postgresql/migrations (`l2scope_tmpl_<hash>`), made with `migrate` on first use: built
 * under a temporary name and renamed into place (suites racing to make it: the first rename wins,
 * the others drop theirs). Nobody connects to it afterwards, so it can serve as a template.
 */
async function pgTemplate(base: string, migrate: Migrate): Promise<string> {
  const template = `l2scope_tmpl_${migrationsHash('postgresql')}`;
  const exists = async () => (await pgAdmin(base, (c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]))).rowCount === 1;
  if (await exists()) return template;
  const building = `l2scope_tmplnew_${randomBytes(5).toString('hex')}`;
  await pgAdmin(base, (c) => c.query(`CREATE DATABASE ${building}`));
  try {
    await migrate(pgUrl(base, building));
    await pgAdmin(base, (c) => c.query(`ALTER DATABASE ${building} RENAME TO ${template}`));
  } catch (err) {
    await pgAdmin(base, (c) => c.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`));
    if (!(await exists())) throw err;
  }
  return template;
}

/**
 * A directory holding `l2scope.db` (and its WAL, if SQLite left one) with every migration of
 * prisma/sqlite/migrations applied, made with `migrate` on first use: named after the SHA-256 of
 * the migrations (names and SQL), built in a temporary directory and renamed into place (atomic:
 * suites racing to make it each leave a whole one, the first rename wins).
 */
async function sqliteTemplate(migrate: Migrate): Promise<string> {
  const template = path.join(os.tmpdir(), `l2scope-test-template-${migrationsHash('sqlite')}`);
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
