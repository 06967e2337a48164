import { defineConfig } from 'vitest/config';

// The real-lab integration suite (`npm run test:lab`): root, Debian, a real neutron-server and
// agents in namespaces, l2scope's worker tapping them live. Never part of `npm test`.
export default defineConfig({
  test: {
    include: ['test-lab/**/*.lab.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
