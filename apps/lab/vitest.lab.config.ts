import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The lab suite's order: files that need one lab shape run one after another, so that each reuses
 * the lab the one before left up (test-lab/ensure-lab.ts) instead of a cold `up` + `down`. Files
 * not listed run after these, in vitest's own order.
 */
const ORDER = [
  // 3 Linux bridge hosts (lab.lab brings it up cold: it times `up`)
  'lab.lab.test.ts',
  'toggles.lab.test.ts',
  'findings-fidelity.lab.test.ts',
  'convergence.lab.test.ts',
  'leftovers.lab.test.ts',
  'fidelity.lab.test.ts',
  // any lab with compute1
  'toggle-hooks.lab.test.ts',
  'network-lifecycle.lab.test.ts',
  // 2 Linux bridge hosts, short heartbeats
  'liveness.lab.test.ts',
  'neutron-names.lab.test.ts',
  // 2 + 2 OVS, then 2 + 2 OVS with GRE and the hybrid firewall, then DVR (cold)
  'ovs-toggles.lab.test.ts',
  'gre.lab.test.ts',
  'dvr.lab.test.ts',
  'dvr-mountns.lab.test.ts',
];

class LabShapeSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = ORDER.indexOf(path.basename(f.moduleId));
      return i === -1 ? ORDER.length : i;
    };
    const rest = await super.sort(files.filter((f) => rank(f) === ORDER.length));
    return [...files.filter((f) => rank(f) < ORDER.length).sort((a, b) => rank(a) - rank(b)), ...rest];
  }
}

// The real-lab integration suite (`npm run test:lab`): root, Debian, a real neutron-server and
// agents in namespaces, l2scope's worker tapping them live. Never part of `npm test`.
// A lab test that has not passed yet is `*.lab.pending.ts`: test:lab leaves it out, and a file named
// on the command line is only run when it matches `include`, so `L2SCOPE_LAB_PENDING=1` adds them:
//   L2SCOPE_LAB_PENDING=1 flock /tmp/l2lab.lock npx vitest run --config vitest.lab.config.ts test-lab/<name>.lab.pending.ts
// Test files leave their lab up for the next; the global setup takes it down at the end if no lab
// was running before the run.
export default defineConfig({
  test: {
    include: ['test-lab/**/*.lab.test.ts', ...(process.env.L2SCOPE_LAB_PENDING === '1' ? ['test-lab/**/*.lab.pending.ts'] : [])],
    globalSetup: ['test-lab/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    fileParallelism: false,
    sequence: { concurrent: false, sequencer: LabShapeSequencer },
  },
});
