/**
 * The two schema folders and the one models file.
 *
 *   prisma/models.prisma                 the models (one file, both databases)
 *   prisma/<provider>/schema.prisma      datasource + generator of that database
 *   prisma/<provider>/models.prisma      symlink -> ../models.prisma (what the Prisma CLI reads)
 *   prisma/<provider>/migrations/        migration_lock.toml, <ts>_<name>/migration.sql,
 *                                        <ts>_<name>/models.prisma.snapshot
 *
 * The Prisma CLI (generate) reads a folder and follows the symlink. Everything in this package
 * that talks to the schema engine ignores the symlink and reads prisma/models.prisma itself.
 */
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SchemaContainer } from '@prisma/schema-engine-wasm';
import { type DbProvider, migrationsDir, modelsFile, schemaDir } from './config';

/** File next to each migration.sql holding prisma/models.prisma as it was when the migration was made. */
export const SNAPSHOT_FILE = 'models.prisma.snapshot';

const LINK_NAME = 'models.prisma';
const LINK_TARGET = '../models.prisma';

/**
 * The schema files of a provider as the schema engine wants them: every `*.prisma` file of
 * prisma/<provider>/ except the models link, plus prisma/models.prisma (or `models`, e.g. a
 * snapshot, in its place). Throws when the folder has no datasource file.
 */
export function schemaFiles(provider: DbProvider, models?: string): SchemaContainer[] {
  const dir = schemaDir(provider);
  const own = readdirSync(dir)
    .filter((f) => f.endsWith('.prisma') && f !== LINK_NAME)
    .sort()
    .map((f) => ({ path: path.join(dir, f), content: readFileSync(path.join(dir, f), 'utf8') }));
  if (!own.some((f) => /^\s*datasource\s+\w+\s*\{/m.test(f.content))) {
    throw new Error(`${dir}: no datasource block in its *.prisma files`);
  }
  return [...own, { path: modelsFile(), content: models ?? readFileSync(modelsFile(), 'utf8') }];
}

/**
 * Makes sure prisma/<provider>/models.prisma shows the Prisma CLI exactly prisma/models.prisma.
 * Normally it is a symlink kept in git; if it is missing, dangling or a stale regular file
 * (a checkout with core.symlinks=false writes the link text into a file) it is recreated as a
 * symlink, or, where symlinks cannot be created, as a copy. Returns what it did.
 */
export function ensureModelsLink(provider: DbProvider): 'ok' | 'linked' | 'copied' {
  const link = path.join(schemaDir(provider), LINK_NAME);
  const models = readFileSync(modelsFile(), 'utf8');
  let stat: ReturnType<typeof lstatSync> | undefined;
  try {
    stat = lstatSync(link);
  } catch {
    stat = undefined;
  }
  if (stat?.isSymbolicLink() && readlinkSync(link) === LINK_TARGET && existsSync(link)) return 'ok';
  if (stat) rmSync(link, { force: true });
  try {
    symlinkSync(LINK_TARGET, link);
    if (readFileSync(link, 'utf8') === models) return 'linked';
    rmSync(link, { force: true });
  } catch {
    // fall through to a copy
  }
  writeFileSync(link, models);
  return 'copied';
}

/** Names of the migration directories of a provider, sorted (what Prisma applies, in order). */
export function migrationNames(provider: DbProvider): string[] {
  const dir = migrationsDir(provider);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b));
}

/**
 * The models snapshot stored with a migration, or null when that migration has none
 * (a hand-written migration).
 */
export function readSnapshot(provider: DbProvider, migration: string): string | null {
  const file = path.join(migrationsDir(provider), migration, SNAPSHOT_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}
