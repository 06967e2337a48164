/**
 * Prisma 7 config for the Prisma CLI run in this package (`npx prisma validate`, `format`,
 * `studio`...). It picks the schema folder from DATABASE_URL like the runtime does:
 * postgres:// or postgresql:// -> prisma/postgresql, anything else or unset -> prisma/sqlite
 * (default file <repo root>/data/l2scope.db).
 *
 * Not for `prisma migrate` / `db push`: those need the native schema engine, which cannot be
 * downloaded here. Use `npm run migrate` / `npm run migrate:create` (Wasm engine) instead;
 * `npm run generate` generates both clients. Commands that start the CLI need
 * PRISMA_SCHEMA_ENGINE_BINARY=/bin/false to get past the engine download.
 */
import { defineConfig } from 'prisma/config';
import { databaseUrl, dbProvider, migrationsDir, schemaDir, sqliteFilePath } from './src/config';

const url = databaseUrl();
const provider = dbProvider(url);
const sqliteFile = provider === 'sqlite' ? sqliteFilePath(url) : null;

export default defineConfig({
  schema: schemaDir(provider),
  migrations: { path: migrationsDir(provider) },
  datasource: { url: provider === 'sqlite' ? (sqliteFile ? `file:${sqliteFile}` : 'file::memory:') : url },
});
