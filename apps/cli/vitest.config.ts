import { defineConfig } from 'vitest/config';

// the user tests start the CLI (tsx) a few times each on a real database
export default defineConfig({ test: { include: ['test/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 60_000 } });
