import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // integration suites talk to the real RabbitMQ and database; keep them sequential and patient
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
