import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // child processes (node, docker-compose) and one suite on the real RabbitMQ
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
