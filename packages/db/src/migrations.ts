// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types for Prisma internals, needed by consumers compiling this file
/// <reference path="./prisma-internals.d.ts" />
/**
 * Migrations without the native schema engine: apply (`migrate`) and create
 * (`createMigration`), both through Prisma's Wasm schema engine (see ./engine.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DiffTarget } from '@prisma/schema-engine-wasm';
import { openAdapter, pgConnectionString } from './adapters';
import { type DbProvider, PROVIDERS, databaseUrl, dbProvider, libsqlUrl, migrationsDir, modelsFile, sqliteFilePath } from './config';
import { cjsExports } from './cjs';
import { NO_FILTER, datamodelTarget, offlineAdapter, startEngine } from './engine';
import { SQLITE_HAND_WRITTEN_TABLES } from './hand-written';
import { SNAPSHOT_FILE, migrationNames, readSnapshot, schemaFiles } from './schema';

/** What {@link migrate} did. */
export interface MigrateResult {
  /** Names of the migration directories applied by this call, in order; [] when up to date. */
  applied: string[];
}

/**
 * Applies the pending migrations of `prisma/<provider>/migrations` to the database at `url`
 * (default {@link databaseUrl}), like `prisma migrate deploy`: the Wasm schema engine takes
 * the lock, runs each pending migration.sql and writes its `_prisma_migrations` row
 * (checksum, started/finished_at, applied_steps_count). Idempotent: a second call returns
 * `{ applied: [] }`. When `_prisma_migrations` already records every migration as applied (same
 * checksums, nothing failed or unknown) that answer comes from one query, without starting the
 * engine (seconds: every worker restart).
 *
 * SQLite: creates the file and its directory if needed and switches the file to WAL.
 * PostgreSQL: the database must exist (its `public` schema is used; `?schema=` is refused).
 *
 * Throws, like `prisma migrate deploy`: the database's error for a migration whose SQL fails
 * (e.g. `SQLITE_ERROR: near "SELEC"`, with the migration name; its `_prisma_migrations` row is
 * left failed), then `P3009 ... found failed migrations` on every later call until the row is
 * resolved; "Can't reach database server at ..." / "Database `x` does not exist" for
 * connection problems; and when the provider has no migrations at all.
 */
export async function migrate(url: string = databaseUrl()): Promise<MigrateResult> {
  const provider = dbProvider(url);
  const dir = migrationsDir(provider);
  // the common case (a restart, a pre-migrated copy): nothing to do, and no Wasm engine to start (seconds)
  if (await recordsEveryMigration(url, provider)) {
    if (provider === 'sqlite') await enableWal(url);
    return { applied: [] };
  }
  const { listMigrations } = cjsExports(await import('@prisma/migrate/dist/utils/listMigrations.js'));
  const migrationsList = await listMigrations(dir, '');
  if (migrationsList.migrationDirectories.length === 0) throw new Error(`no migrations in ${dir}`);

  const adapter = await openAdapter(url, { createDir: true });
  let applied: string[];
  try {
    const engine = await startEngine(adapter.factory, schemaFiles(provider));
    try {
      ({ appliedMigrationNames: applied } = await engine.wasm.applyMigrations({ migrationsList, filters: NO_FILTER }));
    } finally {
      await engine.stop();
    }
  } finally {
    await adapter.close();
  }
  if (provider === 'sqlite') await enableWal(url);
  return { applied };
}

/**
 * Whether `_prisma_migrations` of the database at `url` records exactly the migrations of
 * `prisma/<provider>/migrations` as applied: one row each, finished, not rolled back, its checksum
 * the SHA-256 of that migration.sql (as Prisma writes it), and no other row. Any other state (no
 * file, no table, a failed, running, rolled-back, edited or unknown migration, an unreachable
 * server) is false: {@link migrate} then leaves the decision to the schema engine, as before.
 */
async function recordsEveryMigration(url: string, provider: DbProvider): Promise<boolean> {
  type Row = { migration_name: string; checksum: string; finished_at: unknown; rolled_back_at: unknown };
  const sql = 'SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations';
  let rows: Row[];
  try {
    if (provider === 'sqlite') {
      const file = sqliteFilePath(url);
      if (file === null || !existsSync(file)) return false;
      const { createClient } = await import('@libsql/client');
      const client = createClient({ url: libsqlUrl(url) });
      try {
        rows = (await client.execute(sql)).rows as unknown as Row[];
      } finally {
        client.close();
      }
    } else {
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: pgConnectionString(url) });
      await client.connect();
      try {
        rows = (await client.query<Row>(sql)).rows;
      } finally {
        await client.end();
      }
    }
  } catch {
    return false;
  }
  const names = migrationNames(provider);
  if (rows.length !== names.length) return false;
  const byName = new Map(rows.map((r) => [r.migration_name, r]));
  return names.every((name) => {
    const r = byName.get(name);
    if (!r || r.finished_at === null || r.rolled_back_at !== null) return false;
    const script = readFileSync(path.join(migrationsDir(provider), name, 'migration.sql'));
    return r.checksum === createHash('sha256').update(script).digest('hex');
  });
}

/** Switches a SQLite file to WAL journal mode (persistent in the file). No-op for `:memory:`. */
export async function enableWal(url: string): Promise<void> {
  const target = libsqlUrl(url);
  if (target === ':memory:') return;
  const { createClient } = await import('@libsql/client');
  const client = createClient({ url: target });
  try {
    await client.execute('PRAGMA journal_mode = WAL');
  } finally {
    client.close();
  }
}

/** One provider's part of a new migration. */
export interface PlannedMigration {
  provider: DbProvider;
  /** SQL to go from the last migration's models snapshot (or an empty database) to prisma/models.prisma; '' when nothing changes. */
  script: string;
  /** The migration the diff starts from, or null for the first one. */
  after: string | null;
}

/** The plan for a new migration: the models it leads to and each provider's SQL. */
export interface MigrationPlan {
  /** prisma/models.prisma as read for this plan (becomes the new snapshot). */
  models: string;
  plans: PlannedMigration[];
}

/**
 * Diffs, for both providers, the models as of the last migration (its models.prisma.snapshot;
 * an empty database when there is none) against prisma/models.prisma. No database, no shadow
 * database: the engine runs on an offline adapter. Throws when the two providers' migration
 * histories differ (names), or when the last migration has no snapshot.
 */
export async function planMigration(): Promise<MigrationPlan> {
  const models = readFileSync(modelsFile(), 'utf8');
  const histories = PROVIDERS.map((p) => migrationNames(p));
  const [a, b] = histories;
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    throw new Error(
      `the migration histories of ${PROVIDERS.join(' and ')} differ: every migration must exist for both ` +
        `(${PROVIDERS.map((p, i) => `${p}: ${(histories[i] ?? []).join(', ') || 'none'}`).join('; ')})`,
    );
  }
  const plans: PlannedMigration[] = [];
  for (const provider of PROVIDERS) {
    const names = migrationNames(provider);
    const after = names.at(-1) ?? null;
    let from: DiffTarget = { tag: 'empty' };
    if (after !== null) {
      const snapshot = readSnapshot(provider, after);
      if (snapshot === null) {
        throw new Error(
          `${path.join(migrationsDir(provider), after)} has no ${SNAPSHOT_FILE}: write it (prisma/models.prisma as ` +
            `that migration leaves the database) before creating the next migration`,
        );
      }
      from = datamodelTarget(schemaFiles(provider, snapshot));
    }
    const engine = await startEngine(offlineAdapter(provider === 'sqlite' ? 'sqlite' : 'postgres'), schemaFiles(provider, models));
    try {
      const script = await engine.diffScript(from, datamodelTarget(schemaFiles(provider, models)));
      plans.push({ provider, script, after });
    } finally {
      await engine.stop();
    }
  }
  return { models, plans };
}

/** The name part of a migration directory: lower case, runs of other characters as `_`. */
function migrationSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 200);
  if (!slug) throw new Error(`invalid migration name ${JSON.stringify(name)}: use letters, digits, _`);
  return slug;
}

/** Prisma's migration directory name: `<UTC yyyymmddhhmmss>_<slug>`, sorting after `after`. */
function migrationDirName(slug: string, now: Date, after: string | null): string {
  let t = now.getTime();
  for (;;) {
    const ts = new Date(t).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const dir = `${ts}_${slug}`;
    // Keep the order: a new migration must sort after the last one.
    if (after === null || dir.localeCompare(after) > 0) return dir;
    t += 1000;
  }
}

/** What {@link createMigration} wrote. */
export interface CreatedMigration {
  /** The migration directory name, identical for both providers; null when nothing changed. */
  name: string | null;
  /** Absolute paths of the migration.sql files written. */
  files: string[];
}

/**
 * Writes a new migration for BOTH providers from {@link planMigration}:
 * `prisma/<provider>/migrations/<ts>_<name>/migration.sql` plus the models snapshot, and the
 * `migration_lock.toml` when missing. Does nothing (name null) when the models did not change,
 * unless `allowEmpty`. Throws as {@link planMigration}, and for an invalid name.
 */
export async function createMigration(name: string, opts: { allowEmpty?: boolean; now?: Date } = {}): Promise<CreatedMigration> {
  const slug = migrationSlug(name);
  const { models, plans } = await planMigration();
  if (!opts.allowEmpty && plans.every((p) => p.script === '')) return { name: null, files: [] };
  const {
    createMigration: mkdirMigration,
    writeMigrationScript,
    writeMigrationLockfile,
  } = cjsExports(await import('@prisma/migrate/dist/utils/createMigration.js'));
  const dirName = migrationDirName(slug, opts.now ?? new Date(), plans[0]?.after ?? null);
  const files: string[] = [];
  for (const plan of plans) {
    const baseDir = migrationsDir(plan.provider);
    await mkdirMigration({ baseDir, generatedMigrationName: dirName }); // also creates baseDir
    if (!existsSync(path.join(baseDir, 'migration_lock.toml'))) {
      await writeMigrationLockfile({ baseDir, connectorType: plan.provider, lockfile: { path: 'migration_lock.toml' } });
    }
    const script = plan.script === '' ? '-- This is an empty migration.\n' : plan.script;
    await writeMigrationScript({ baseDir, migrationName: dirName, extension: 'sql', script });
    writeFileSync(path.join(baseDir, dirName, SNAPSHOT_FILE), models);
    files.push(path.join(baseDir, dirName, 'migration.sql'));
  }
  return { name: dirName, files };
}

/**
 * SQL that creates prisma/models.prisma (or `models`) on an empty database of `provider`
 * (`prisma migrate diff --from-empty --to-schema ... --script`), computed offline.
 */
export async function modelsScript(provider: DbProvider, models?: string): Promise<string> {
  const files = schemaFiles(provider, models);
  const engine = await startEngine(offlineAdapter(provider === 'sqlite' ? 'sqlite' : 'postgres'), files);
  try {
    return await engine.diffScript({ tag: 'empty' }, datamodelTarget(files));
  } finally {
    await engine.stop();
  }
}

/**
 * SQLite only: the SQL that would bring the live database at `url` to prisma/models.prisma;
 * '' when it matches (the tests use it to prove the migrations produce the models). The
 * hand-written FTS5 table of the free-text filter and its shadow tables
 * ({@link SQLITE_HAND_WRITTEN_TABLES}) are external to the models: not drift.
 * Not available on PostgreSQL with Prisma 7.10.0: describing a live PostgreSQL schema through
 * @prisma/adapter-pg fails ("Column type 'char' could not be deserialized": `fieldToColumnType`
 * in packages/adapter-pg/src/conversion.ts has no mapping for the catalog type "char", OID 18),
 * so this throws for a PostgreSQL URL.
 */
export async function databaseDrift(url: string = databaseUrl()): Promise<string> {
  const provider = dbProvider(url);
  if (provider !== 'sqlite') {
    throw new Error('databaseDrift: SQLite only (@prisma/adapter-pg 7.10.0 cannot describe a live PostgreSQL schema)');
  }
  const adapter = await openAdapter(url);
  try {
    const files = schemaFiles(provider);
    const engine = await startEngine(adapter.factory, files);
    try {
      const live: DiffTarget = { tag: 'schemaDatasource', files, configDir: path.dirname(files[0]!.path) };
      return await engine.diffScript(live, datamodelTarget(files), { externalTables: [...SQLITE_HAND_WRITTEN_TABLES], externalEnums: [] });
    } finally {
      await engine.stop();
    }
  } finally {
    await adapter.close();
  }
}
