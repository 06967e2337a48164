/**
 * Where the database is and which provider it uses. Pure Node (fs/path/url): no Prisma import, so
 * `prisma.config.ts`, the scripts and the runtime all share it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { redactUrl } from '@l2scope/domain';

/** The two databases l2scope runs on. */
export type DbProvider = 'sqlite' | 'postgresql';

export const PROVIDERS: readonly DbProvider[] = ['sqlite', 'postgresql'];

function isWorkspaceRoot(dir: string): boolean {
  const pkg = path.join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    const json = JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown };
    return Array.isArray(json.workspaces) && existsSync(path.join(dir, 'prisma', 'models.prisma'));
  } catch {
    return false;
  }
}

function findUp(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (isWorkspaceRoot(dir)) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

let cachedRoot: string | undefined;

/**
 * Absolute path of the repository root: the npm-workspaces root that holds `prisma/models.prisma`.
 * Found by walking up from this module's directory (works under tsx, vitest and a Next.js server
 * that keeps the sources in place), then from `process.cwd()`; `L2SCOPE_ROOT` (read on every
 * call) overrides both.
 * Throws when none of them leads to the root.
 */
export function repoRoot(): string {
  const override = process.env.L2SCOPE_ROOT;
  if (override) return path.resolve(override);
  if (cachedRoot) return cachedRoot;
  let here: string | undefined;
  try {
    here = path.dirname(fileURLToPath(import.meta.url));
  } catch {
    here = undefined;
  }
  const found = (here && findUp(here)) || findUp(process.cwd());
  if (!found) {
    throw new Error(
      `@l2scope/db: cannot find the repository root (a package.json with "workspaces" next to prisma/models.prisma) ` +
        `above ${here ?? '?'} or ${process.cwd()}; set L2SCOPE_ROOT`,
    );
  }
  return (cachedRoot = found);
}

/** Default SQLite file: `<repo root>/data/l2scope.db`. */
export function defaultSqlitePath(): string {
  return path.join(repoRoot(), 'data', 'l2scope.db');
}

/**
 * The database URL l2scope uses: `env.DATABASE_URL` when set and not blank, otherwise
 * `file:<repo root>/data/l2scope.db` (absolute path). Never throws except when the repository
 * root cannot be found (see {@link repoRoot}) and DATABASE_URL is unset.
 */
export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL?.trim();
  if (url) return url;
  return `file:${defaultSqlitePath()}`;
}

/**
 * Provider of a database URL: `postgres://` or `postgresql://` (any case) -> 'postgresql';
 * anything else (`file:...`, a bare path, ...) -> 'sqlite'. Never throws.
 */
export function dbProvider(url: string): DbProvider {
  return /^postgres(ql)?:\/\//i.test(url.trim()) ? 'postgresql' : 'sqlite';
}

/** True for SQLite URLs that name an in-memory database (`:memory:`, `file::memory:`). */
export function isSqliteMemory(url: string): boolean {
  const rest = url.trim().replace(/^file:/i, '');
  return rest === ':memory:' || rest.startsWith(':memory:?');
}

/**
 * Absolute file path of a SQLite URL, or null for an in-memory database.
 * Accepts `file:/abs`, `file:///abs`, `file:rel`, `file:./rel` and bare paths. A relative path
 * is resolved against the repository root (not the cwd), so `npm run db:migrate` (run in
 * packages/db) and the apps (run in apps/*) agree on the same file. Query strings are dropped.
 * Throws for a postgres URL or a file URL with a host.
 */
export function sqliteFilePath(url: string): string | null {
  if (dbProvider(url) !== 'sqlite') throw new Error(`not a SQLite URL: ${redactUrl(url)}`);
  if (isSqliteMemory(url)) return null;
  let rest = url.trim();
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  if (/^file:\/\//i.test(rest)) {
    const u = new URL(rest);
    if (u.host && u.host !== 'localhost') throw new Error(`SQLite file URL with a host: ${url}`);
    return fileURLToPath(`file://${u.pathname}`);
  }
  rest = rest.replace(/^file:/i, '');
  rest = decodeURIComponent(rest);
  return path.isAbsolute(rest) ? path.normalize(rest) : path.resolve(repoRoot(), rest);
}

/**
 * The URL handed to @libsql/client for a SQLite URL: `file:///abs/path` (percent-encoded), or
 * `:memory:`.
 */
export function libsqlUrl(url: string): string {
  const file = sqliteFilePath(url);
  return file === null ? ':memory:' : pathToFileURL(file).href;
}

/** `<repo root>/prisma`. */
export function prismaDir(): string {
  return path.join(repoRoot(), 'prisma');
}

/** `<repo root>/prisma/models.prisma`: the one model file, shared by both schema folders. */
export function modelsFile(): string {
  return path.join(prismaDir(), 'models.prisma');
}

/** `<repo root>/prisma/<provider>`: the provider's schema folder (datasource + generator + models link). */
export function schemaDir(provider: DbProvider): string {
  return path.join(prismaDir(), provider);
}

/** `<repo root>/prisma/<provider>/migrations`. */
export function migrationsDir(provider: DbProvider): string {
  return path.join(schemaDir(provider), 'migrations');
}
