import { defineConfig } from 'vitest/config';

// The real-lab integration suite (`npm run test:lab`): root, Debian, a real neutron-server and
// agents in namespaces, l2scope's worker tapping them live. Never part of `npm test`.
// A lab test that has not passed yet is `*.lab.pending.ts`: test:lab leaves it out, and a file named
// on the command line is only run when it matches `include`, so `L2SCOPE_LAB_PENDING=1` adds them:
//   L2SCOPE_LAB_PENDING=1 flock /tmp/l2lab.lock npx vitest run --config vitest.lab.config.ts test-lab/<name>.lab.pending.ts
export default defineConfig({
  test: {
    include: ['test-lab/**/*.lab.test.ts', ...(process.env.L2SCOPE_LAB_PENDING === '1' ? ['test-lab/**/*.lab.pending.ts'] : [])],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
