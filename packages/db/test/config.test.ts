import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseUrl, dbProvider, openDb } from '../src/index';
import { redactUrl } from '@l2scope/domain';
import { libsqlUrl, repoRoot, sqliteFilePath } from '../src/config';
import { pgConnectionString } from '../src/adapters';

describe('databaseUrl / dbProvider', () => {
  it('defaults to the absolute SQLite file <repo root>/data/l2scope.db', () => {
    const root = repoRoot();
    expect(path.isAbsolute(root)).toBe(true);
    expect(databaseUrl({})).toBe(`file:${path.join(root, 'data', 'l2scope.db')}`);
    expect(databaseUrl({ DATABASE_URL: '   ' })).toBe(`file:${path.join(root, 'data', 'l2scope.db')}`);
    expect(dbProvider(databaseUrl({}))).toBe('sqlite');
  });

  it('takes DATABASE_URL as is', () => {
    expect(databaseUrl({ DATABASE_URL: 'postgresql://u:p@db:5432/l2scope' })).toBe('postgresql://u:p@db:5432/l2scope');
    expect(databaseUrl({ DATABASE_URL: 'file:/var/lib/l2scope.db' })).toBe('file:/var/lib/l2scope.db');
  });

  it('postgres:// and postgresql:// (any case) are PostgreSQL, everything else SQLite', () => {
    expect(dbProvider('postgres://h/db')).toBe('postgresql');
    expect(dbProvider('postgresql://h/db')).toBe('postgresql');
    expect(dbProvider('POSTGRESQL://h/db')).toBe('postgresql');
    expect(dbProvider('file:./x.db')).toBe('sqlite');
    expect(dbProvider('/tmp/x.db')).toBe('sqlite');
    expect(dbProvider('mysql://h/db')).toBe('sqlite');
    expect(dbProvider('')).toBe('sqlite');
  });
});

describe('SQLite URLs', () => {
  it('resolves absolute, file:///, relative (to the repo root) and in-memory forms', () => {
    expect(sqliteFilePath('file:/a/b.db')).toBe('/a/b.db');
    expect(sqliteFilePath('file:///a/b%20c.db')).toBe('/a/b c.db');
    expect(sqliteFilePath('file://localhost/a/b.db')).toBe('/a/b.db');
    expect(sqliteFilePath('file:./data/x.db')).toBe(path.join(repoRoot(), 'data', 'x.db'));
    expect(sqliteFilePath('data/x.db?mode=rwc')).toBe(path.join(repoRoot(), 'data', 'x.db'));
    expect(sqliteFilePath('file::memory:')).toBeNull();
    expect(libsqlUrl(':memory:')).toBe(':memory:');
    expect(libsqlUrl('file:/a/b c.db')).toBe('file:///a/b%20c.db');
    expect(() => sqliteFilePath('file://host/a.db')).toThrow(/host/);
    expect(() => sqliteFilePath('postgres://h/db')).toThrow(/not a SQLite URL/);
  });

  it('openDb refuses a SQLite file that does not exist (instead of creating an empty one)', async () => {
    await expect(openDb('file:/nonexistent-dir/l2scope.db')).rejects.toThrow(/does not exist: run "npm run db:migrate" first/);
  });
});

describe('PostgreSQL URLs', () => {
  it('refuses ?schema= (migrations would ignore it) and redacts passwords', async () => {
    expect(pgConnectionString('postgresql://u:p@h:5432/db?sslmode=disable')).toBe('postgresql://u:p@h:5432/db?sslmode=disable');
    expect(() => pgConnectionString('postgresql://u:p@h/db?schema=l2')).toThrow(/postgresql:\/\/u:\*\*\*@h\/db\?schema=l2: \?schema= is not supported/);
    await expect(openDb('postgresql://postgres@127.0.0.1:5432/test?schema=l2')).rejects.toThrow(/schema= is not supported/);
    expect(redactUrl('postgresql://u:secret@h/db')).toBe('postgresql://u:***@h/db');
    expect(redactUrl('postgresql://u@h/db')).toBe('postgresql://u@h/db');
  });
});
