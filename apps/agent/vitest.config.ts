import { defineConfig } from 'vitest/config';

// Integration suites create network namespaces and talk to the real RabbitMQ: sequential, patient.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
