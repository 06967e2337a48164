import { defineConfig } from '@playwright/test';
import { STORAGE_STATE } from './auth';

/**
 * Debian's Chromium (apt-get install chromium), never a downloaded browser. Each spec starts its
 * own stack (worker + built web app) on an isolated RabbitMQ vhost and a fresh database.
 */
export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  timeout: 90_000,
  // a bound on waiting for a state, not a delay: a busy machine (CI beside a build) may need more than 5 s to render
  expect: { timeout: 15_000 },
  retries: 0,
  reporter: process.env.CI ? [['list']] : [['list']],
  outputDir: './test-results',
  globalSetup: './global-setup.ts',
  use: {
    browserName: 'chromium',
    storageState: STORAGE_STATE,
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
