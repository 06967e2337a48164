import { defineConfig } from 'vitest/config';

// Unit tests only: pure logic, no root, no Neutron. The real-lab suite is vitest.lab.config.ts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // guards against a hung test only: a busy machine must not fail a CPU-bound test
    testTimeout: 120_000,
  },
});
