/** One-call set-up of authentication on a database URL, for processes that do not hold a client yet. */
import { type Db, databaseUrl, dbProvider } from '@l2scope/db';
import { authConfigFromEnv } from './config';
import { type L2scopeAuth, createAuth } from './server';

/**
 * Authentication on `db` (opened on `url`, default `databaseUrl()`), configured from `env`
 * (`authConfigFromEnv`: this may create the secret file on first use).
 */
export function openAuth(db: Db, url: string = databaseUrl(), env: NodeJS.ProcessEnv = process.env): L2scopeAuth {
  return createAuth(db, dbProvider(url), authConfigFromEnv(url, env));
}
