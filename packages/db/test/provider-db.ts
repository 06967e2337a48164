/**
 * One database per provider for a test file: a temporary SQLite file and a uniquely named
 * PostgreSQL database on 127.0.0.1:5432 (L2SCOPE_TEST_PG), migrated, opened before the tests,
 * closed and dropped after.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { type Db, closeDb, dbProvider, openDb } from '../src/index';
import { type DbProvider, PROVIDERS } from '../src/config';
import { migrate } from '../src/migrate';

const PG_ADMIN = process.env.L2SCOPE_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function pgAdmin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/**
 * `describe.each` over both providers; `body` registers its tests and reads the open client
 * through `opened()` (in a hook or a test, not while registering). `name` names the databases.
 */
export function eachProvider(name: string, body: (provider: DbProvider, opened: () => Db) => void): void {
  const pgDbName = `l2scope_${name}_${process.pid}_${randomBytes(3).toString('hex')}`;
  let tmpDir = '';
  beforeAll(async () => {
    tmpDir = mkdtempSync(path.join(tmpdir(), `l2scope-${name}-`));
    await pgAdmin(`CREATE DATABASE "${pgDbName}"`);
  });
  afterAll(async () => {
    rmSync(tmpDir, { recursive: true, force: true });
    await pgAdmin(`DROP DATABASE IF EXISTS "${pgDbName}" WITH (FORCE)`);
  });
  describe.each(PROVIDERS)('%s', (provider) => {
    let db: Db | undefined;
    beforeAll(async () => {
      const url = provider === 'sqlite' ? `file:${path.join(tmpDir, 'repo.db')}` : Object.assign(new URL(PG_ADMIN), { pathname: `/${pgDbName}` }).toString();
      expect(dbProvider(url)).toBe(provider);
      await migrate(url);
      db = await openDb(url);
    });
    afterAll(async () => {
      if (db) await closeDb(db);
    });
    body(provider, () => {
      if (!db) throw new Error('eachProvider: the database is not open yet');
      return db;
    });
  });
}
