import { defineConfig } from '@playwright/test';
import base from './playwright.config';

/**
 * The web's performance script (`npm run perf`, not part of `npm test`): e2e/perf/*.perf.ts, the
 * same Debian Chromium and signed-in state as the e2e suite, one worker, no retries.
 */
export default defineConfig({
  ...base,
  testDir: './perf',
  testMatch: '*.perf.ts',
  timeout: 600_000,
  expect: { timeout: 180_000 },
});
