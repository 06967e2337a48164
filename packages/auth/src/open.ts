/** One-call set-up of authentication on a database URL, for processes that do not hold a client yet. */
import { type Db, closeDb, databaseUrl, dbProvider, openDb } from '@l2scope/db';
import { authConfigFromEnv } from './config';
import { type L2scopeAuth, createAuth } from './server';

/**
 * Authentication on `db` (opened on `url`, default `databaseUrl()`), configured from `env`
 * (`authConfigFromEnv`: this may create the secret file on first use).
 */
export function openAuth(db: Db, url: string = databaseUrl(), env: NodeJS.ProcessEnv = process.env): L2scopeAuth {
  return createAuth(db, dbProvider(url), authConfigFromEnv(url, env));
}

/**
 * Open the database at `url` (default `databaseUrl()`), migrating it first when `migrate` is set
 * (a fresh SQLite file is created), and authentication on it: for the CLI and scripts. `close()`
 * releases the database. Throws when the database cannot be opened or migrated.
 */
export async function connectAuth(
  opts: { url?: string; migrate?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<{ auth: L2scopeAuth; close(): Promise<void> }> {
  const url = opts.url ?? databaseUrl(opts.env);
  if (opts.migrate) {
    const { migrate } = await import('@l2scope/db/migrate');
    await migrate(url);
  }
  const db = await openDb(url);
  try {
    return { auth: openAuth(db, url, opts.env), close: () => closeDb(db) };
  } catch (err) {
    await closeDb(db);
    throw err;
  }
}
