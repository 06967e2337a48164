/**
 * A fresh database per test suite on the same kind as DATABASE_URL: a new PostgreSQL database on
 * that server when DATABASE_URL is postgres(ql)://, else a new SQLite file in a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  kind: 'sqlite' | 'postgresql';
  drop(): Promise<void>;
}

/** Create an empty database (not migrated: the worker migrates on start, or call `migrate`). */
export async function createTestDatabase(base = process.env.DATABASE_URL): Promise<TestDatabase> {
  if (base && /^postgres(ql)?:\/\//.test(base)) {
    const name = `l2scope_test_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
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
  return {
    url: `file:${path.join(dir, 'l2scope.db')}`,
    kind: 'sqlite',
    async drop() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
