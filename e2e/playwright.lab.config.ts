import { defineConfig } from '@playwright/test';

/**
 * The lab specs (`npm -w @l2scope/e2e run e2e:lab`, part of `npm run test:lab`): Debian's
 * Chromium against the l2scope dashboard tapping the real lab (apps/lab). Root on Debian 12 only;
 * each spec brings up (or reuses) the lab and signs in as the dashboard's first admin, so there is
 * no global setup and no saved sign-in. Run it under `flock /tmp/l2lab.lock` where others use the lab.
 */
export default defineConfig({
  testDir: './lab',
  testMatch: '**/*.lab.spec.ts',
  fullyParallel: false,
  workers: 1,
  // the specs set their own, per hook and test: a lab switch waits on real agents
  timeout: 900_000,
  expect: { timeout: 15_000 },
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results-lab',
  use: {
    browserName: 'chromium',
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});
