/**
 * `npm run migrate`: applies the pending migrations to DATABASE_URL (default: the SQLite file
 * <repo root>/data/l2scope.db, created with its directory). Idempotent.
 */
import { redactUrl } from '@l2scope/domain';
import { databaseUrl, dbProvider } from '../src/config';
import { migrate } from '../src/migrations';

const url = databaseUrl();
try {
  const { applied } = await migrate(url);
  const where = `${dbProvider(url)} ${redactUrl(url)}`;
  if (applied.length === 0) console.log(`${where}: up to date, no migration applied`);
  else console.log(`${where}: applied ${applied.length} migration(s):\n${applied.map((n) => `  ${n}`).join('\n')}`);
} catch (err) {
  console.error(`migrate failed on ${redactUrl(url)}:\n${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
