import { defineConfig } from 'vitest/config';

// the integration test starts a real worker on a real broker vhost and database
export default defineConfig({ test: { include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 60_000 } });
