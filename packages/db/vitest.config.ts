import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real databases (a SQLite file, a PostgreSQL server) and a 10 MB row per provider.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
